//go:build !chanrtc_nomedia

// The RTP case needs the media router, hence the build constraint.

package transport

import (
	"context"
	"testing"
)

// BenchmarkMuxDispatchDTLS: one 1,225-byte DTLS record classified by the
// mux, queued on the DTLS endpoint and read off it, as pion/dtls reads.
func BenchmarkMuxDispatchDTLS(b *testing.B) {
	m := NewMux(newFakeConn())
	defer m.DTLS().Close()
	pkt := record(23, make([]byte, 1212)...)
	buf := make([]byte, 8192)
	ctx := context.Background()
	b.ReportAllocs()
	b.SetBytes(int64(len(pkt)))
	for b.Loop() {
		m.dispatch(ctx, pkt)
		if n, _, err := m.DTLS().ReadFrom(buf); err != nil || n != len(pkt) {
			b.Fatal(n, err)
		}
	}
}

// BenchmarkMuxDispatchDTLSBurst: the same for bursts of 6 records, which a
// read returns together (see Endpoint.ReadFrom).
func BenchmarkMuxDispatchDTLSBurst(b *testing.B) {
	m := NewMux(newFakeConn())
	defer m.DTLS().Close()
	pkt := record(23, make([]byte, 1212)...)
	buf := make([]byte, 8192)
	ctx := context.Background()
	const burst = 6
	b.ReportAllocs()
	b.SetBytes(int64(len(pkt)) * burst)
	for b.Loop() {
		for range burst {
			m.dispatch(ctx, pkt)
		}
		if n, _, err := m.DTLS().ReadFrom(buf); err != nil || n != burst*len(pkt) {
			b.Fatal(n, err)
		}
	}
}

// BenchmarkMuxDispatchRTP: one 1,200-byte RTP packet classified and handed
// to the media actor's queue, and taken off it.
func BenchmarkMuxDispatchRTP(b *testing.B) {
	m := NewMux(newFakeConn())
	defer m.DTLS().Close()
	md := NewMedia(nil)
	m.SetMedia(md)
	pkt := make([]byte, 1200)
	pkt[0], pkt[1] = 0x80, 96
	ctx := context.Background()
	b.ReportAllocs()
	b.SetBytes(int64(len(pkt)))
	for b.Loop() {
		m.dispatch(ctx, pkt)
		putPacket(<-md.in)
	}
}
