package h264_test

import (
	"bytes"
	"fmt"

	"github.com/chanrtc/chanrtc/codec/h264"
)

func Example() {
	sps := []byte{0x67, 0x42, 0xc0, 0x1f, 0xd9}
	pps := []byte{0x68, 0xcb, 0x83, 0xcb, 0x20}
	idr := append([]byte{0x65, 0x88}, bytes.Repeat([]byte{0xab}, 2500)...)
	au := h264.AppendAnnexB(h264.AppendAnnexB(h264.AppendAnnexB(nil, sps), pps), idr)

	// Sender: one RTP payload per emit call; copy it before the call returns.
	p := h264.Packetizer{MTU: 1200}
	var payloads [][]byte
	_ = p.Packetize(au, func(payload []byte, marker bool) {
		fmt.Printf("payload type %2d, %4d bytes, marker %v\n", payload[0]&0x1f, len(payload), marker)
		payloads = append(payloads, bytes.Clone(payload))
	})

	// Receiver: the payloads of one frame, in sequence order.
	var d h264.Depacketizer
	out, keyframe, err := d.Depacketize(nil, payloads)
	fmt.Println(bytes.Equal(out, au), keyframe, err)
	// Output:
	// payload type 24,   15 bytes, marker false
	// payload type 28,  836 bytes, marker false
	// payload type 28,  836 bytes, marker false
	// payload type 28,  835 bytes, marker true
	// true true <nil>
}
