package jitter

import "time"

// minKeyframeInterval floors the spacing of keyframe requests; the interval
// is max(2·RTT, 300 ms): a keyframe takes at least a round trip to arrive,
// usually more since it is large, and a storm of requests only makes the
// sender's next keyframes bigger and later.
const minKeyframeInterval = 300 * time.Millisecond

// KeyframeRequested reports, once per request to send, that the sender should
// be asked for a keyframe (RTCP PLI): video only, after frames were given up
// on, dropped or withheld. While the need lasts it is repeated, no more often
// than every max(2·RTT, 300 ms), judged by the latest now the buffer has seen.
func (b *Buffer) KeyframeRequested() bool {
	if !b.keyframeNeeded() {
		return false
	}
	if b.kfSent && b.now < b.lastKF+b.keyframeInterval() {
		return false
	}
	b.kfSent, b.lastKF = true, b.now
	b.stats.KeyframeRequests++
	return true
}

func (b *Buffer) keyframeNeeded() bool { return b.cfg.Video && b.needKey && b.kfRaised }

func (b *Buffer) keyframeInterval() int64 {
	return max(2*b.rttOrDefault(), int64(minKeyframeInterval))
}

// nextKeyframeRequest is when KeyframeRequested will next report true.
func (b *Buffer) nextKeyframeRequest() (int64, bool) {
	if !b.keyframeNeeded() {
		return 0, false
	}
	if !b.kfSent {
		return b.now, true
	}
	return b.lastKF + b.keyframeInterval(), true
}
