//go:build !unix

package chanrtc

import "time"

// processCPU is not measured here: benchmarks leave out cpu-ms/100MB.
func processCPU() time.Duration { return 0 }
