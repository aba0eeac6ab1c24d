// Package h264 carries H.264 video over RTP (RFC 6184, packetization-mode 1)
// and reads and writes H.264 Annex-B elementary streams.
//
// Everything here is pure and deterministic: no goroutines, no sockets, no
// clocks. The RTP sender feeds access units to a [Packetizer]; the RTP
// receiver hands the payloads of one frame, as the jitter buffer releases
// them, to a [Depacketizer]. Neither allocates once warmed up.
//
// # Usage
//
// Sending a file:
//
//	r := h264.NewReader(f)
//	p := h264.Packetizer{MTU: 1200}
//	for {
//		au, err := r.Next()
//		if err == io.EOF {
//			break
//		} else if err != nil {
//			return err
//		}
//		err = p.Packetize(au, func(payload []byte, marker bool) {
//			// copy payload into an RTP packet; set the marker bit
//		})
//		if err != nil {
//			return err
//		}
//	}
//
// Receiving:
//
//	var d h264.Depacketizer
//	au, keyframe, err := d.Depacketize(buf[:0], payloadsOfOneFrame)
//	if errors.Is(err, h264.ErrNoParameterSets) || errors.Is(err, h264.ErrBrokenFrame) {
//		// ask the sender for a keyframe (PLI)
//	}
//
// Access units are always in Annex-B form: each NAL unit preceded by a start
// code. Output from this package uses four-byte start codes (00 00 00 01);
// input may use three- or four-byte ones.
//
// # Limitations
//
// Only packetization-mode 1 is produced and understood: single NAL unit
// packets, STAP-A and FU-A. STAP-B, MTAP16, MTAP24 and FU-B (interleaved
// mode) are rejected with [ErrUnsupported]. The access-unit splitter of
// [Reader] uses the rules a live encoder's output needs (access unit
// delimiters, parameter sets and SEI after a picture, first_mb_in_slice equal
// to 0); it does not compare frame_num or picture order counts, so streams
// using arbitrary slice order are not split correctly.
package h264
