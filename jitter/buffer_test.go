package jitter

import (
	"slices"
	"testing"
	"time"
)

var (
	videoCfg = Config{Video: true, Codec: testCodec{}}
	audioCfg = Config{Codec: testCodec{}}
)

func TestDelivery(t *testing.T) {
	tests := []struct {
		name   string
		cfg    Config
		evs    []ev
		want   []string
		wantAt []float64 // when each frame leaves, if checked
		wantKF []float64 // when keyframe requests go out, if checked
		stats  Stats     // counters checked when non-zero
	}{{
		name:   "audio in order",
		cfg:    audioCfg,
		evs:    audio(0, 10, 0, 4),
		want:   []string{"10", "11", "12", "13"},
		wantAt: []float64{0, 20, 40, 60},
	}, {
		name: "video in order",
		cfg:  videoCfg,
		evs: cat(frame(0, 1, 0, 3, true), frame(100, 4, 9000, 2, false),
			frame(200, 6, 18000, 1, false)),
		want:   []string{"1-3", "4-5", "6"},
		wantAt: []float64{0, 100, 200},
	}, {
		name: "video frame ends at a timestamp change when the marker is missing",
		cfg:  videoCfg,
		evs:  []ev{{0, 1, 0, "ks"}, {0, 2, 0, "k"}, {50, 3, 4500, "s"}, {50, 4, 4500, "m"}},
		want: []string{"1-2", "3-4"},
	}, {
		name: "video reordered within a frame and across frames",
		cfg:  videoCfg,
		evs: []ev{
			{0, 1, 0, "ks"}, {1, 3, 0, "km"}, {2, 2, 0, "k"},
			{100, 5, 9000, "m"}, {103, 4, 9000, "s"}, {200, 7, 18000, "m"}, {200, 6, 18000, "s"},
		},
		want: []string{"1-3", "4-5", "6-7"},
	}, {
		name:   "audio reordered within the reorder wait",
		cfg:    audioCfg,
		evs:    []ev{{0, 1, 0, "s"}, {40, 3, 1920, "s"}, {45, 2, 960, "s"}, {60, 4, 2880, "s"}},
		want:   []string{"1", "2", "3", "4"},
		wantAt: []float64{0, 45, 45, 60},
	}, {
		name:   "audio packet too late: given up, next frame LostBefore",
		cfg:    audioCfg,
		evs:    []ev{{0, 1, 0, "s"}, {40, 3, 1920, "s"}, {55, 2, 960, "s"}, {60, 4, 2880, "s"}},
		want:   []string{"1", "!3", "4"},
		wantAt: []float64{0, 50, 60},
		stats:  Stats{Lost: 1, Late: 1},
	}, {
		name: "duplicates held and late",
		cfg:  Config{Codec: testCodec{}, MinDelay: 50 * time.Millisecond},
		evs: []ev{{0, 1, 0, "s"}, {20, 2, 960, "s"}, {25, 2, 960, "s"}, {40, 3, 1920, "s"},
			{60, 1, 0, "s"}},
		want:   []string{"1", "2", "3"},
		wantAt: []float64{50, 70, 90},
		stats:  Stats{Duplicates: 1, Late: 1, Received: 5},
	}, {
		name: "audio sequence and timestamp wrap",
		cfg:  audioCfg,
		evs:  audio(0, 65534, 1<<32-1920, 4),
		want: []string{"65534", "65535", "0", "1"},
	}, {
		name: "video frame across the sequence wrap",
		cfg:  videoCfg,
		evs:  cat(frame(0, 65533, 1<<32-3000, 2, true), frame(33, 65535, 1<<32-1000, 3, false), frame(66, 2, 2000, 2, false)),
		want: []string{"65533-65534", "65535-1", "2-3"},
	}, {
		name: "first packets reordered at the start of the stream",
		cfg:  videoCfg,
		evs:  []ev{{0, 11, 0, "k"}, {1, 12, 0, "km"}, {3, 10, 0, "ks"}, {100, 13, 9000, "sm"}},
		want: []string{"10-12", "13"},
	}, {
		name: "video starts mid-frame: leftovers dropped, keyframe awaited",
		cfg:  videoCfg,
		evs: cat([]ev{{0, 5, 0, ""}, {0, 6, 0, "m"}}, frame(33, 7, 3000, 2, false),
			frame(66, 9, 6000, 2, true), frame(100, 11, 9000, 2, false)),
		want:   []string{"!9-10", "11-12"},
		wantKF: []float64{33},
		stats:  Stats{Dropped: 4},
	}, {
		name: "unrecoverable video loss: keyframe awaited, request raised",
		cfg:  videoCfg,
		evs: without(cat(frame(0, 1, 0, 2, true), frame(100, 3, 9000, 2, false),
			frame(200, 5, 18000, 2, false), frame(300, 7, 27000, 2, true),
			frame(400, 9, 36000, 2, false)), 3),
		want:   []string{"1-2", "!7-8", "9-10"},
		wantAt: []float64{0, 300, 400},
		wantKF: []float64{110},
		stats:  Stats{Lost: 1, Dropped: 3, KeyframeRequests: 1},
	}, {
		name:   "waiting for a keyframe jumps to one that arrives",
		cfg:    Config{Video: true, Codec: testCodec{}, NACK: true},
		evs:    cat(without(frame(0, 1, 0, 3, false), 2), frame(50, 4, 4500, 2, true)),
		want:   []string{"!4-5"},
		wantAt: []float64{50},
	}, {
		name:  "padding between frames is passed over",
		cfg:   videoCfg,
		evs:   cat(frame(0, 1, 0, 2, true), []ev{{10, 3, 0, "p"}, {20, 4, 0, "p"}}, frame(33, 5, 3000, 2, false)),
		want:  []string{"1-2", "5-6"},
		stats: Stats{Dropped: 0},
	}, {
		name:  "timestamp going backwards is dropped",
		cfg:   audioCfg,
		evs:   []ev{{0, 1, 1000, "s"}, {20, 2, 500, "s"}, {40, 3, 2000, "s"}},
		want:  []string{"1", "!3"},
		stats: Stats{Dropped: 1},
	}, {
		name:   "payload over MaxPayload is dropped and its frame given up at once",
		cfg:    Config{Codec: testCodec{}, MaxPayload: 10, MinDelay: 100 * time.Millisecond},
		evs:    []ev{{0, 1, 0, "s"}, {20, 2, 960, "sb"}, {40, 3, 1920, "s"}},
		want:   []string{"1", "!3"},
		wantAt: []float64{100, 140},
		stats:  Stats{Dropped: 1},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newActor(t, tt.cfg)
			a.feed(tt.evs)
			a.runUntil(ms(5000))
			if !slices.Equal(a.frames, tt.want) {
				t.Fatalf("frames %q, want %q", a.frames, tt.want)
			}
			if tt.wantAt != nil && !slices.Equal(a.at, tt.wantAt) {
				t.Errorf("popped at %v ms, want %v", a.at, tt.wantAt)
			}
			if tt.wantKF != nil && !slices.Equal(a.kfs, tt.wantKF) {
				t.Errorf("keyframe requests at %v ms, want %v", a.kfs, tt.wantKF)
			}
			checkCounters(t, a.b.Stats(), tt.stats)
			if h := a.b.Held(); h != 0 {
				t.Errorf("still holding %d packets", h)
			}
		})
	}
}

// checkCounters compares the counters set in want (zero means unchecked).
func checkCounters(t *testing.T, got, want Stats) {
	t.Helper()
	pairs := []struct {
		name      string
		got, want uint64
	}{
		{"Received", got.Received, want.Received}, {"Duplicates", got.Duplicates, want.Duplicates},
		{"Late", got.Late, want.Late}, {"Dropped", got.Dropped, want.Dropped},
		{"Lost", got.Lost, want.Lost}, {"Recovered", got.Recovered, want.Recovered},
		{"NACKsSent", got.NACKsSent, want.NACKsSent}, {"KeyframeRequests", got.KeyframeRequests, want.KeyframeRequests},
		{"Restarts", got.Restarts, want.Restarts},
	}
	for _, p := range pairs {
		if p.want != 0 && p.got != p.want {
			t.Errorf("Stats.%s = %d, want %d", p.name, p.got, p.want)
		}
	}
}
