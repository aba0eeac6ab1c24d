package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/chanrtc/chanrtc"
	"github.com/chanrtc/chanrtc/codec/h264"
	"github.com/chanrtc/chanrtc/codec/ogg"
	"github.com/chanrtc/chanrtc/codec/opus"
)

// The Ogg Opus header the audio files get: stereo, as Opus is negotiated
// in WebRTC (RFC 7587; a mono packet decodes to both channels), and the
// pre-skip of libopus, the encoder of browsers.
const (
	oggChannels = 2
	oggPreSkip  = 312
)

// fileResult is what one track's recording came to.
type fileResult struct {
	Kind   string `json:"kind"`
	Codec  string `json:"codec"`
	Path   string `json:"path,omitempty"` // "" when nothing was written
	Frames int    `json:"frames"`         // access units or Opus packets written
	Bytes  int64  `json:"bytes"`
	// Seconds is the media time written: from the RTP timestamps for
	// video, the sum of the packet durations for audio.
	Seconds float64 `json:"seconds"`
	// Skipped counts the frames not written: video before the first
	// keyframe, audio packets that are not valid Opus.
	Skipped int `json:"skipped,omitempty"`
	// Gaps counts frames that came after a loss the jitter buffer could
	// not repair (for video, decoding resumed at a keyframe).
	Gaps  int    `json:"gaps,omitempty"`
	Error string `json:"error,omitempty"`
}

func (r *fileResult) logArgs() []any {
	args := []any{"kind", r.Kind, "codec", r.Codec, "file", r.Path, "frames", r.Frames,
		"seconds", strconv.FormatFloat(r.Seconds, 'f', 2, 64), "bytes", r.Bytes}
	if r.Skipped > 0 {
		args = append(args, "skipped", r.Skipped)
	}
	if r.Gaps > 0 {
		args = append(args, "gaps", r.Gaps)
	}
	if r.Error != "" {
		args = append(args, "err", r.Error)
	}
	return args
}

// recordTrack writes what t receives to a new file named after id in dir,
// until the track ends (its connection closed); H.264 video and Opus audio
// are recorded, other codecs are not.
func recordTrack(t *chanrtc.RemoteTrack, dir, id string, log *slog.Logger) (res fileResult) {
	res.Kind = string(t.Kind())
	// The codec is known once the track is bound, by its first frame.
	first, err := t.ReadFrame()
	if err != nil {
		res.Error = "no frame received"
		return res
	}
	res.Codec = t.Codec().Name
	var rec recorder
	switch {
	case t.Kind() == chanrtc.MediaKindVideo && strings.EqualFold(res.Codec, "H264"):
		rec = &videoRecorder{track: t}
	case t.Kind() == chanrtc.MediaKindAudio && strings.EqualFold(res.Codec, "opus"):
		rec = &audioRecorder{}
	default:
		res.Error = fmt.Sprintf("%s is not recorded (H.264 video and Opus audio are)", res.Codec)
		log.Warn("track not recorded", "kind", res.Kind, "codec", res.Codec)
		return res
	}
	log.Info("recording track", "kind", res.Kind, "codec", res.Codec, "mid", t.MID())

	var f *countingFile
	defer func() {
		if f == nil {
			return
		}
		if err := rec.close(); err != nil && res.Error == "" {
			res.Error = err.Error()
		}
		if err := f.Close(); err != nil && res.Error == "" {
			res.Error = err.Error()
		}
		res.Bytes = f.n
	}()
	for fr := first; ; {
		if fr.LostBefore {
			res.Gaps++
		}
		if !rec.wants(fr) {
			res.Skipped++
		} else {
			if f == nil {
				if f, err = createFile(dir, id, rec.ext()); err != nil {
					res.Error = err.Error()
					log.Error("cannot record", "kind", res.Kind, "err", err)
					return res
				}
				res.Path = f.Name()
				if err := rec.open(f); err != nil {
					res.Error = err.Error()
					return res
				}
			}
			if err := rec.write(fr); err != nil {
				res.Error = err.Error()
				log.Error("recording stopped", "file", res.Path, "err", err)
				return res
			}
			res.Frames++
			res.Seconds = rec.seconds()
		}
		if fr, err = t.ReadFrame(); err != nil {
			return res
		}
	}
}

// recorder writes one kind of media to a file.
type recorder interface {
	ext() string
	// wants reports whether f is to be written; the file is created at the
	// first frame it wants.
	wants(f chanrtc.Frame) bool
	open(w io.Writer) error
	write(f chanrtc.Frame) error
	close() error
	seconds() float64
}

// videoRecorder writes H.264 access units, from the first keyframe on.
type videoRecorder struct {
	track       *chanrtc.RemoteTrack
	w           *h264.Writer
	asked       bool
	started     bool
	first, last uint32 // RTP timestamps of the frames written
}

func (v *videoRecorder) ext() string { return ".h264" }

func (v *videoRecorder) wants(f chanrtc.Frame) bool {
	if v.w != nil || f.Keyframe {
		return true
	}
	// The jitter buffer hands out video from a keyframe on, so this is a
	// safety net: ask once for a keyframe instead of waiting for the next.
	if !v.asked {
		v.asked = true
		v.track.RequestKeyframe()
	}
	return false
}

func (v *videoRecorder) open(w io.Writer) error {
	v.w = h264.NewWriter(w)
	return nil
}

func (v *videoRecorder) write(f chanrtc.Frame) error {
	if err := v.w.WriteAU(f.Data); err != nil {
		return err
	}
	if !v.started {
		v.started, v.first = true, f.Timestamp
	}
	v.last = f.Timestamp
	return nil
}

func (v *videoRecorder) close() error { return nil }

func (v *videoRecorder) seconds() float64 { return float64(v.last-v.first) / 90000 }

// audioRecorder writes Opus packets to Ogg, each page's granule position
// the running total of 48 kHz samples.
type audioRecorder struct {
	w       *ogg.Writer
	granule uint64
}

func (a *audioRecorder) ext() string { return ".ogg" }

func (a *audioRecorder) wants(f chanrtc.Frame) bool {
	_, err := opus.PacketDuration(f.Data)
	return err == nil
}

func (a *audioRecorder) open(w io.Writer) (err error) {
	a.w, err = ogg.NewWriter(w, oggChannels, oggPreSkip, 48000)
	return err
}

func (a *audioRecorder) write(f chanrtc.Frame) error {
	d, err := opus.PacketDuration(f.Data)
	if err != nil {
		return err // not reached: wants checked it
	}
	a.granule += uint64(opus.Samples(d))
	return a.w.WritePacket(f.Data, a.granule)
}

// close writes the last page, marked as the end of the stream.
func (a *audioRecorder) close() error {
	if a.w == nil {
		return nil
	}
	return a.w.Close()
}

func (a *audioRecorder) seconds() float64 { return float64(a.granule) / opus.ClockRate }

// countingFile is a file that counts the bytes written to it.
type countingFile struct {
	*os.File
	n int64
}

func (f *countingFile) Write(p []byte) (int, error) {
	n, err := f.File.Write(p)
	f.n += int64(n)
	return n, err
}

// createFile creates dir/id+ext, or dir/id-2+ext and so on if it exists:
// a recording never overwrites a file.
func createFile(dir, id, ext string) (*countingFile, error) {
	name := id
	for n := 2; ; n++ {
		f, err := os.OpenFile(filepath.Join(dir, name+ext), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err == nil {
			return &countingFile{File: f}, nil
		}
		if !errors.Is(err, os.ErrExist) || n > 100 {
			return nil, err
		}
		name = id + "-" + strconv.Itoa(n)
	}
}

// newID names a recording: the time of the offer and a counter, which
// sorts and does not repeat within a run.
func newID(now time.Time, n uint64) string {
	return now.Format("20060102-150405") + "-" + strconv.FormatUint(n, 10)
}
