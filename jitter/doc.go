// Package jitter is the receive-side jitter buffer of one RTP stream, with
// its NACK and keyframe-request (PLI) logic.
//
// It is a pure state machine: packets and the current time go in; frames in
// order, the sequence numbers to NACK, keyframe requests and the next
// deadline come out. It starts no goroutine, holds no timer and never reads
// the clock, so tests drive it with explicit times and the RTP receiver
// actor is a thin loop around it.
//
// # Usage
//
// The receiver actor owns one Buffer per stream:
//
//	b := jitter.New(jitter.Config{Video: true, Codec: h264Codec, NACK: true})
//	// for each RTP packet, after SRTP and RTX unwrapping:
//	b.Push(arrival, seq, ts, marker, payload)
//	// then, and whenever NextDeadline passes:
//	for {
//		f, ok := b.Pop(now)
//		if !ok {
//			break
//		}
//		depacketize(f.Payloads) // valid until the next call on b
//	}
//	if nacks = b.AppendNACKs(nacks[:0], now); len(nacks) > 0 {
//		sendNACK(nacks)
//	}
//	if b.KeyframeRequested() {
//		sendPLI()
//	}
//	if d := b.NextDeadline(); !d.IsZero() { // zero: nothing pending
//		timer.Reset(time.Until(d))
//	}
//
// SetRTT feeds it the round-trip time from RTCP; Reset forgets the stream
// (an SSRC change).
//
// A frame is the packets of one RTP timestamp, in sequence order, ended by
// the marker bit (or by the next packet carrying another timestamp). It is
// delivered once complete and due: its first packet's arrival plus the
// target playout delay, 3·J + L clamped to [MinDelay, MaxDelay], where J is
// the RFC 3550 jitter and L how late recent NACK-recovered frames
// completed. The formulas are in delay.go.
//
// # Limitations
//
//   - Playout times follow arrival, not the RTP clock: the delay gives time
//     for reordering and retransmission but does not re-space frames that
//     arrive bunched; a renderer that wants an even cadence paces by
//     Frame.Timestamp.
//   - After a hole, only Codec.IsFrameStart says whether a packet starts a
//     frame. A frame whose first packets were all lost may be delivered
//     without them if the next one claims to start a frame (for H.264, a
//     PPS after a lost SPS); a decoder error should then ask for a keyframe.
//   - Frames must have increasing timestamps in sequence order (no B-frames,
//     as in WebRTC); others are dropped, and after 8 in a row the buffer
//     follows the sender's new timestamps.
//   - A jump of more than 3000 sequence numbers restarts the stream only
//     when the next packet confirms it (RFC 3550 A.1); the first packet of
//     the new stream becomes a hole, recovered by NACK if on.
//   - Memory: MaxPackets slots plus at most MaxPackets payload buffers of
//     MaxPayload bytes, made as needed and reused.
package jitter
