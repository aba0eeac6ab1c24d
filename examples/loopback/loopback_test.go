package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestRun(t *testing.T) {
	opts := goleak.IgnoreCurrent()
	defer goleak.VerifyNone(t, opts)

	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	// Small enough for the race detector, which slows DataChannels a lot.
	o := options{Messages: 48, Pings: 50, BurstBytes: 1 << 20,
		VideoFile: "../../testdata/h264/clip.h264", AudioFile: "../../testdata/opus/clip.ogg"}
	rep, err := run(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Messages != 2*o.Messages || len(rep.RTT) != o.Pings || rep.BurstBytes != 1<<20 {
		t.Errorf("report %+v", rep)
	}
	if m := rep.Media; m == nil || m.VideoGot != m.VideoSent || m.AudioGot != m.AudioSent || m.VideoSent == 0 || m.AudioSent == 0 {
		t.Errorf("media report %+v", rep.Media)
	}
	if rep.Candidates[0] == 0 || rep.Candidates[1] == 0 {
		t.Errorf("no candidates trickled: %v", rep.Candidates)
	}
	if rep.Connected[0] <= 0 || rep.Open < rep.Connected[0] || rep.Total < rep.Open {
		t.Errorf("timings out of order: %+v", rep)
	}
	var out bytes.Buffer
	rep.print(&out, o)
	t.Log("\n" + out.String())
	for _, want := range []string{"connected", "round trip", "p99", "throughput", "MB/s", "H.264 60/60", "Opus", "ok in"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q", want)
		}
	}
}

func TestRunTimesOut(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), time.Millisecond)
	defer cancel()
	if _, err := run(ctx, options{Messages: 1}); err == nil || !strings.Contains(err.Error(), "timed out") {
		t.Fatalf("error %v, want a time-out", err)
	}
}

func TestMessage(t *testing.T) {
	for i := range 2 * len(chatSizes) {
		m := message(0, i)
		if m.IsString != (i%2 == 0) || len(m.Data) != chatSizes[i/2] {
			t.Errorf("message %d: text %v, %d bytes", i, m.IsString, len(m.Data))
		}
		if !bytes.Equal(m.Data, message(0, i).Data) || (len(m.Data) > 8 && bytes.Equal(m.Data, message(1, i).Data)) {
			t.Errorf("message %d is not a function of (direction, index)", i)
		}
	}
}

func TestPercentile(t *testing.T) {
	var d []time.Duration
	for i := 1; i <= 100; i++ {
		d = append(d, time.Duration(i))
	}
	for q, want := range map[float64]time.Duration{0.5: 50, 0.99: 99, 1: 100, 0: 1} {
		if got := percentile(d, q); got != want {
			t.Errorf("percentile(%v) = %v, want %v", q, got, want)
		}
	}
	if percentile(nil, .5) != 0 {
		t.Error("percentile of nothing")
	}
}
