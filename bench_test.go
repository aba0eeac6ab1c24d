//go:build !chanrtc_nodatachannel

package chanrtc

import (
	"testing"
)

// BenchmarkDataChannelThroughput moves b.N messages one way over loopback
// UDP on a reliable ordered channel, with BufferedAmountLowThreshold flow
// control, and reports MB/s, allocations (of both peers, per message) and
// cpu-ms/100MB: the process's CPU time (both peers, user and system) per
// 100 MB moved, the figure to compare on a machine shared with other work,
// where wall-clock throughput says little.
func BenchmarkDataChannelThroughput(b *testing.B) {
	for _, size := range []int{1 << 10, 16 << 10, 64 << 10} {
		b.Run(byteSize(size), func(b *testing.B) { benchThroughput(b, size) })
	}
}

func byteSize(n int) string {
	if n >= 1<<10 {
		return itoa(n>>10) + "KiB"
	}
	return itoa(n) + "B"
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}

func benchThroughput(b *testing.B, size int) {
	offerer, err := NewPeerConnection(testConfig())
	if err != nil {
		b.Fatal(err)
	}
	defer offerer.Close()
	answerer, err := NewPeerConnection(testConfig())
	if err != nil {
		b.Fatal(err)
	}
	defer answerer.Close()
	done := make(chan struct{})
	want := b.N
	answerer.OnDataChannel(func(dc *DataChannel) {
		n := 0
		dc.OnMessage(func(m DataChannelMessage) {
			n++
			if n == want {
				close(done)
			}
		})
	})
	dc, err := offerer.CreateDataChannel("bulk", nil)
	if err != nil {
		b.Fatal(err)
	}
	opened := make(chan struct{})
	dc.OnOpen(func() { close(opened) })
	low := make(chan struct{}, 1)
	const highWater = 1 << 20
	dc.SetBufferedAmountLowThreshold(highWater / 2)
	dc.OnBufferedAmountLow(func() {
		select {
		case low <- struct{}{}:
		default:
		}
	})
	tb := &testing.T{}
	signalNonTrickle(tb, offerer, answerer)
	<-opened
	msg := make([]byte, size)
	b.SetBytes(int64(size))
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := processCPU()
	for i := 0; i < b.N; i++ {
		for dc.BufferedAmount() > highWater {
			<-low
		}
		if err := dc.Send(msg); err != nil {
			b.Fatal(err)
		}
	}
	<-done
	b.StopTimer()
	if cpu := processCPU() - cpu0; cpu > 0 {
		b.ReportMetric(float64(cpu.Milliseconds())/(float64(b.N)*float64(size)/100e6), "cpu-ms/100MB")
	}
}
