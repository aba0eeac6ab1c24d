package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/chanrtc/chanrtc"
	"github.com/chanrtc/chanrtc/codec/h264"
	"github.com/chanrtc/chanrtc/codec/ogg"
	"github.com/chanrtc/chanrtc/codec/opus"
)

// media is the H.264 + Opus part of the run: the offerer sends the clips
// under testdata in real time, the answerer reads whole frames back.
type media struct {
	video, audio *chanrtc.LocalTrack
	aus, pkts    [][]byte
	tracks       chan *chanrtc.RemoteTrack
}

// mediaReport is what the media part measured.
type mediaReport struct {
	VideoSent, VideoGot, AudioSent, AudioGot int
	Send, Receive                            [2]string // per track: stats lines
	Took                                     time.Duration
}

// addMedia adds the tracks to the offerer before the offer.
func addMedia(offerer, answerer *chanrtc.PeerConnection, videoFile, audioFile string) (*media, error) {
	m := &media{tracks: make(chan *chanrtc.RemoteTrack, 2)}
	var err error
	if m.aus, err = h264.ReadFile(videoFile); err != nil {
		return nil, err
	}
	if m.pkts, err = ogg.ReadFile(audioFile); err != nil {
		return nil, err
	}
	if m.video, err = chanrtc.NewLocalTrack(chanrtc.CodecH264, "camera", "loopback"); err != nil {
		return nil, err
	}
	if m.audio, err = chanrtc.NewLocalTrack(chanrtc.CodecOpus, "microphone", "loopback"); err != nil {
		return nil, err
	}
	for _, t := range []*chanrtc.LocalTrack{m.video, m.audio} {
		if _, err := offerer.AddTrack(t); err != nil {
			return nil, err
		}
	}
	answerer.OnTrack(func(t *chanrtc.RemoteTrack, _ *chanrtc.RTPReceiver) { m.tracks <- t })
	return m, nil
}

// run sends the clips once, in real time, and counts the frames that come
// back identical.
func (m *media) run(ctx context.Context) (mediaReport, error) {
	var rep mediaReport
	t0 := time.Now()
	remote := map[chanrtc.MediaKind]*chanrtc.RemoteTrack{}
	for range 2 {
		t, err := recv(ctx, m.tracks, "a remote track")
		if err != nil {
			return rep, err
		}
		remote[t.Kind()] = t
	}
	counts := make(chan [2]int, 2)
	done := make(chan struct{})
	for i, kind := range []chanrtc.MediaKind{chanrtc.MediaKindVideo, chanrtc.MediaKindAudio} {
		want := m.aus
		if kind == chanrtc.MediaKindAudio {
			want = m.pkts
		}
		go func() {
			got := 0
			for _, w := range want {
				f, err := readFrame(remote[kind], done)
				if err != nil {
					break
				}
				if kind == chanrtc.MediaKindVideo && h264.EqualAU(f.Data, w) || kind == chanrtc.MediaKindAudio && bytes.Equal(f.Data, w) {
					got++
				}
			}
			counts <- [2]int{i, got}
		}()
	}
	// Play both clips on their own clocks: each frame goes out when the
	// previous one of its track has played.
	start := time.Now()
	nextVideo, nextAudio := start, start
	vi, ai := 0, 0
	for vi < len(m.aus) || ai < len(m.pkts) {
		video := vi < len(m.aus) && (ai >= len(m.pkts) || !nextAudio.Before(nextVideo))
		due := nextAudio
		if video {
			due = nextVideo
		}
		if err := sleep(ctx, time.Until(due)); err != nil {
			return rep, err
		}
		var err error
		if video {
			err = m.video.WriteFrame(chanrtc.Frame{Data: m.aus[vi], Duration: time.Second / 30})
			vi++
			nextVideo = nextVideo.Add(time.Second / 30)
		} else {
			d, derr := opus.PacketDuration(m.pkts[ai])
			if derr != nil {
				d = 20 * time.Millisecond
			}
			err = m.audio.WriteFrame(chanrtc.Frame{Data: m.pkts[ai], Duration: d})
			ai++
			nextAudio = nextAudio.Add(d)
		}
		if err != nil {
			return rep, err
		}
	}
	timeout := time.AfterFunc(time.Second, func() { close(done) })
	defer timeout.Stop()
	for range 2 {
		c := <-counts
		if c[0] == 0 {
			rep.VideoGot = c[1]
		} else {
			rep.AudioGot = c[1]
		}
	}
	rep.VideoSent, rep.AudioSent = len(m.aus), len(m.pkts)
	rep.Took = time.Since(t0)
	for i, kind := range []chanrtc.MediaKind{chanrtc.MediaKindVideo, chanrtc.MediaKindAudio} {
		local := m.video
		if kind == chanrtc.MediaKindAudio {
			local = m.audio
		}
		s, r := local.Stats(), remote[kind].Stats()
		rep.Send[i] = fmt.Sprintf("%d packets sent, %d retransmitted", s.PacketsSent, s.PacketsRetransmitted)
		rep.Receive[i] = fmt.Sprintf("%d recovered by NACK, %d lost, %d keyframe requests", r.PacketsRecovered, r.PacketsLost, r.KeyframeRequests)
	}
	if rep.VideoGot < rep.VideoSent || rep.AudioGot < rep.AudioSent {
		return rep, fmt.Errorf("media: %d/%d video and %d/%d audio frames came back intact", rep.VideoGot, rep.VideoSent, rep.AudioGot, rep.AudioSent)
	}
	return rep, nil
}

// readFrame reads one frame, giving up when done closes.
func readFrame(t *chanrtc.RemoteTrack, done <-chan struct{}) (chanrtc.Frame, error) {
	type res struct {
		f   chanrtc.Frame
		err error
	}
	ch := make(chan res, 1)
	go func() { f, err := t.ReadFrame(); ch <- res{f, err} }()
	select {
	case r := <-ch:
		return r.f, r.err
	case <-done:
		return chanrtc.Frame{}, errors.New("timed out")
	}
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}
