package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/chanrtc/chanrtc"
	"github.com/chanrtc/chanrtc/codec/h264"
	"github.com/chanrtc/chanrtc/codec/ogg"
	"github.com/chanrtc/chanrtc/codec/opus"
)

// mediaCheck sends an H.264 and an Opus track from files and counts the
// frames that come back identical.
type mediaCheck struct {
	video, audio *chanrtc.LocalTrack
	aus, pkts    [][]byte
	sentVideo    map[string]bool
	sentAudio    map[string]bool

	mu        sync.Mutex
	gotVideo  int
	gotAudio  int
	readers   sync.WaitGroup
	videoBack chan struct{} // closed at the first reflected video frame
	once      sync.Once
}

// minReflected is the share of frames that must come back intact: the
// path has two jitter buffers and NACK on both legs, so on loopback all do;
// the margin is for a frame or two at the very start or end.
const minReflected = 0.9

func newMediaCheck(pc *chanrtc.PeerConnection, videoFile, audioFile string) (*mediaCheck, error) {
	m := &mediaCheck{sentVideo: map[string]bool{}, sentAudio: map[string]bool{}, videoBack: make(chan struct{})}
	var err error
	if m.aus, err = h264.ReadFile(videoFile); err != nil {
		return nil, err
	}
	if m.pkts, err = ogg.ReadFile(audioFile); err != nil {
		return nil, err
	}
	for _, au := range m.aus {
		m.sentVideo[nalKey(au)] = true
	}
	for _, p := range m.pkts {
		m.sentAudio[string(p)] = true
	}
	if m.video, err = chanrtc.NewLocalTrack(chanrtc.CodecH264, "video", "dial"); err != nil {
		return nil, err
	}
	if m.audio, err = chanrtc.NewLocalTrack(chanrtc.CodecOpus, "audio", "dial"); err != nil {
		return nil, err
	}
	for _, t := range []*chanrtc.LocalTrack{m.video, m.audio} {
		if _, err := pc.AddTrack(t); err != nil {
			return nil, err
		}
	}
	// The echo asks for keyframes on our behalf when its receiver lost
	// one; resending the clip's first frame (a keyframe) answers.
	m.video.OnKeyframeRequest(func() { _ = m.video.WriteFrame(chanrtc.Frame{Data: m.aus[0], Duration: time.Second / 30}) })
	pc.OnTrack(func(t *chanrtc.RemoteTrack, _ *chanrtc.RTPReceiver) {
		m.readers.Add(1)
		go func() {
			defer m.readers.Done()
			m.read(t)
		}()
	})
	return m, nil
}

func (m *mediaCheck) read(t *chanrtc.RemoteTrack) {
	for {
		f, err := t.ReadFrame()
		if err != nil {
			return
		}
		m.mu.Lock()
		if t.Kind() == chanrtc.MediaKindVideo && m.sentVideo[nalKey(f.Data)] {
			m.gotVideo++
			m.once.Do(func() { close(m.videoBack) })
		}
		if t.Kind() == chanrtc.MediaKindAudio && m.sentAudio[string(f.Data)] {
			m.gotAudio++
		}
		m.mu.Unlock()
	}
}

// play sends the clips in real time, then waits for the reflections to
// drain, and checks what came back.
func (m *mediaCheck) play(ctx context.Context) (string, error) {
	video := time.NewTicker(time.Second / 30)
	defer video.Stop()
	audio := time.NewTicker(20 * time.Millisecond)
	defer audio.Stop()
	vi, ai := 0, 0
	for vi < len(m.aus) || ai < len(m.pkts) {
		select {
		case <-ctx.Done():
			return "", context.Cause(ctx)
		case <-video.C:
			if vi < len(m.aus) {
				_ = m.video.WriteFrame(chanrtc.Frame{Data: m.aus[vi], Duration: time.Second / 30})
				vi++
			}
		case <-audio.C:
			if ai < len(m.pkts) {
				d, err := opus.PacketDuration(m.pkts[ai])
				if err != nil {
					d = 20 * time.Millisecond
				}
				_ = m.audio.WriteFrame(chanrtc.Frame{Data: m.pkts[ai], Duration: d})
				ai++
			}
		}
	}
	select {
	case <-time.After(time.Second): // the last frames' round trip
	case <-ctx.Done():
		return "", context.Cause(ctx)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	res := fmt.Sprintf("media: %d/%d video frames and %d/%d audio frames came back intact", m.gotVideo, len(m.aus), m.gotAudio, len(m.pkts))
	if float64(m.gotVideo) < minReflected*float64(len(m.aus)) || float64(m.gotAudio) < minReflected*float64(len(m.pkts)) {
		return "", errors.New(res)
	}
	return res, nil
}

// nalKey identifies an access unit by its NAL units, whatever start codes
// and AUD units carried them (as h264.EqualAU compares them).
func nalKey(au []byte) string {
	var b bytes.Buffer
	h264.SplitAnnexB(au, func(n []byte) {
		if len(n) > 0 && n[0]&0x1f != h264.NALUAUD {
			b.Write([]byte{0, 0, 1})
			b.Write(n)
		}
	})
	return b.String()
}
