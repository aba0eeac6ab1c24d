package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync/atomic"
	"time"

	"github.com/chanrtc/chanrtc"
	"github.com/chanrtc/chanrtc/codec/h264"
	"github.com/chanrtc/chanrtc/codec/ogg"
	"github.com/chanrtc/chanrtc/codec/opus"
)

// maxFileSize bounds what -video and -audio may hold: the files are kept
// in memory, shared by every connection.
const maxFileSize = 256 << 20

// media is what the server streams to each connection: the files' frames,
// read once, and how to pace them. It is read-only once loaded.
type media struct {
	video *videoClip // nil: no video
	audio *audioClip // nil: no audio
	fps   float64
	frame time.Duration
	loop  bool
	// videoPad and audioPad lengthen the last frame of the shorter file
	// when looping, so that both start over together: the files loop as
	// one piece, and audio stays in step with video round after round.
	videoPad, audioPad time.Duration
}

// videoClip is an H.264 file as access units.
type videoClip struct {
	path  string
	aus   [][]byte
	key   []bool // key[i]: aus[i] holds an IDR picture
	first int    // the first keyframe: where playing starts, and starts over
}

// audioClip is an Ogg Opus file as packets.
type audioClip struct {
	path  string
	pkts  [][]byte
	durs  []time.Duration
	total time.Duration
}

func loadMedia(videoPath, audioPath string, fps float64, loop bool) (*media, error) {
	m := &media{fps: fps, frame: time.Duration(float64(time.Second)/fps + 0.5), loop: loop}
	var err error
	if videoPath != "" {
		if m.video, err = loadVideo(videoPath); err != nil {
			return nil, err
		}
	}
	if audioPath != "" {
		if m.audio, err = loadAudio(audioPath); err != nil {
			return nil, err
		}
	}
	if loop && m.video != nil && m.audio != nil {
		if v, a := m.video.duration(m.frame), m.audio.total; v < a {
			m.videoPad = a - v
		} else {
			m.audioPad = v - a
		}
	}
	return m, nil
}

// duration is how long the clip plays, from its first keyframe.
func (c *videoClip) duration(frame time.Duration) time.Duration {
	return time.Duration(len(c.aus)-c.first) * frame
}

func (m *media) describe(log *slog.Logger) {
	if v := m.video; v != nil {
		keys := 0
		for _, k := range v.key {
			if k {
				keys++
			}
		}
		log.Info("video", "file", v.path, "frames", len(v.aus), "keyframes", keys,
			"duration", v.duration(m.frame).Round(time.Millisecond), "fps", m.fps)
	}
	if a := m.audio; a != nil {
		log.Info("audio", "file", a.path, "packets", len(a.pkts), "duration", a.total.Round(time.Millisecond))
	}
	args := []any{"loop", m.loop}
	if m.videoPad > 0 {
		args = append(args, "video_pad", m.videoPad.Round(time.Millisecond))
	}
	if m.audioPad > 0 {
		args = append(args, "audio_pad", m.audioPad.Round(time.Millisecond))
	}
	log.Info("streaming", args...)
}

// openBounded opens path for reading, refusing a file over maxFileSize.
func openBounded(path string) (*os.File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	if fi, err := f.Stat(); err != nil || fi.Size() > maxFileSize {
		f.Close()
		if err == nil {
			err = fmt.Errorf("%s: %d bytes, over the %d this example keeps in memory", path, fi.Size(), maxFileSize)
		}
		return nil, err
	}
	return f, nil
}

func loadVideo(path string) (*videoClip, error) {
	f, err := openBounded(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	c := &videoClip{path: path, first: -1}
	r := h264.NewReader(f)
	for {
		au, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		key := h264.IsKeyframe(au)
		if key && c.first < 0 {
			c.first = len(c.aus)
		}
		c.aus = append(c.aus, au) // Next returns a slice of its own
		c.key = append(c.key, key)
	}
	if c.first < 0 {
		return nil, fmt.Errorf("%s: no keyframe (IDR picture) in %d access units: is it an H.264 Annex-B stream?", path, len(c.aus))
	}
	return c, nil
}

func loadAudio(path string) (*audioClip, error) {
	f, err := openBounded(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r, err := ogg.NewReader(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	c := &audioClip{path: path}
	for {
		p, _, err := r.ReadPacket()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		d, err := opus.PacketDuration(p)
		if err != nil {
			return nil, fmt.Errorf("%s: packet %d: %w", path, len(c.pkts), err)
		}
		c.pkts = append(c.pkts, bytes.Clone(p))
		c.durs = append(c.durs, d)
		c.total += d
	}
	if len(c.pkts) == 0 {
		return nil, fmt.Errorf("%s: no audio packet", path)
	}
	return c, nil
}

// streamStats counts what one connection was sent.
type streamStats struct {
	videoFrames, audioFrames atomic.Int64
	dropped                  atomic.Int64 // frames the sender's full queue refused
	keyframeRequests         atomic.Int64
	keyframesResent          atomic.Int64
}

// streamVideo sends the clip on t in real time, one access unit per frame
// time, until ctx ends (or the clip does, without loop). When looping, the
// last frame lasts pad longer.
//
// A keyframe request (kf) is answered at the next frame time: the latest
// keyframe sent is sent again, and playing goes on from the frame after
// it, since those are the frames that decode after it. A request that
// comes while the latest frame sent is a keyframe is not: that keyframe is
// on its way (the request crossed it).
func streamVideo(ctx context.Context, t *chanrtc.LocalTrack, kf <-chan struct{}, c *videoClip, frame, pad time.Duration, loop bool, st *streamStats) {
	i := c.first
	lastKey, lastWasKey := -1, false
	var pace pacer
	for {
		select {
		case <-kf:
			st.keyframeRequests.Add(1)
			if lastKey >= 0 && !lastWasKey {
				i = lastKey
				st.keyframesResent.Add(1)
			}
		default:
		}
		d := frame
		if i == len(c.aus)-1 && loop {
			d += pad
		}
		if !send(ctx, t, c.aus[i], d, st) {
			return
		}
		st.videoFrames.Add(1)
		if lastWasKey = c.key[i]; lastWasKey {
			lastKey = i
		}
		if i++; i == len(c.aus) {
			if !loop {
				return
			}
			i = c.first
		}
		if !pace.wait(ctx, d) {
			return
		}
	}
}

// streamAudio sends the clip on t in real time, each packet after the
// previous one's duration, until ctx ends (or the clip does, without loop).
// When looping, the last packet lasts pad longer (silence follows it).
func streamAudio(ctx context.Context, t *chanrtc.LocalTrack, c *audioClip, pad time.Duration, loop bool, st *streamStats) {
	var pace pacer
	for i := 0; ; {
		d := c.durs[i]
		if i == len(c.pkts)-1 && loop {
			d += pad
		}
		if !send(ctx, t, c.pkts[i], d, st) {
			return
		}
		st.audioFrames.Add(1)
		if i++; i == len(c.pkts) {
			if !loop {
				return
			}
			i = 0
		}
		if !pace.wait(ctx, d) {
			return
		}
	}
}

// send writes one frame. The track starts sending a moment after the
// connection is up: until then the frame is tried again, so that playing
// starts with it. It reports false once ctx has ended.
func send(ctx context.Context, t *chanrtc.LocalTrack, data []byte, d time.Duration, st *streamStats) bool {
	for {
		err := t.WriteFrame(chanrtc.Frame{Data: data, Duration: d})
		switch {
		case err == nil:
			return true
		case errors.Is(err, chanrtc.ErrTrackNotSending):
			select {
			case <-ctx.Done():
				return false
			case <-time.After(5 * time.Millisecond):
			}
		default: // ErrFrameDropped: the sender is behind; go on in time
			st.dropped.Add(1)
			return ctx.Err() == nil
		}
	}
}

// pacer spaces frames in real time from a fixed start, so that timer
// lateness does not add up. After a stall (a suspended process), it starts
// over from now rather than send the backlog in a burst.
type pacer struct {
	next  time.Time
	timer *time.Timer
}

func (p *pacer) wait(ctx context.Context, d time.Duration) bool {
	now := time.Now()
	if p.next.IsZero() || now.Sub(p.next) > time.Second {
		p.next = now
	}
	p.next = p.next.Add(d)
	wait := p.next.Sub(now)
	if wait <= 0 {
		return ctx.Err() == nil
	}
	if p.timer == nil {
		p.timer = time.NewTimer(wait)
	} else {
		p.timer.Reset(wait)
	}
	select {
	case <-p.timer.C:
		return true
	case <-ctx.Done():
		p.timer.Stop()
		return false
	}
}
