package actors

import "runtime"

// goid returns the calling goroutine's id, read from the header line of its
// stack trace ("goroutine 42 [running]:"). Go does not expose it otherwise;
// the emitter needs it for one question only — is Stop being called from
// inside a callback? — so the cost (about a microsecond) is paid on Stop,
// never per event.
func goid() uint64 {
	var buf [64]byte
	n := runtime.Stack(buf[:], false)
	const prefix = "goroutine "
	if n <= len(prefix) {
		return 0
	}
	var id uint64
	for _, c := range buf[len(prefix):n] {
		if c < '0' || c > '9' {
			break
		}
		id = id*10 + uint64(c-'0')
	}
	return id
}
