package jitter

import (
	"testing"
	"time"
)

func TestNextDeadline(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		evs  []ev
		now  float64 // Pop (and AppendNACKs, KeyframeRequested) at this time
		want float64 // -1: zero Time
	}{
		{"nothing pushed", audioCfg, nil, 0, -1},
		{"nothing left after delivery", audioCfg, audio(0, 1, 0, 1), 0, -1},
		{"a frame waits for its playout time", Config{Codec: testCodec{}, MinDelay: 50 * time.Millisecond},
			audio(0, 1, 0, 1), 0, 50},
		{"a hole: first NACK after the reorder wait", Config{Codec: testCodec{}, NACK: true},
			[]ev{{0, 1, 0, "s"}, {20, 3, 1920, "s"}}, 20, 30},
		{"a hole without NACK: its give-up time", Config{Codec: testCodec{}, MinDelay: 100 * time.Millisecond},
			[]ev{{0, 1, 0, "s"}, {20, 3, 1920, "s"}}, 100, 120},
		{"a video frame still arriving: give up only after MaxDelay of silence", videoCfg,
			[]ev{{0, 1, 0, "ks"}, {5, 2, 0, "k"}}, 5, 1005},
		{"keyframe request repeated while needed", videoCfg,
			cat(frame(0, 1, 0, 2, true), []ev{{100, 4, 9000, "m"}}), 110, 410},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := New(tt.cfg)
			b.SetRTT(30 * time.Millisecond)
			for _, e := range tt.evs {
				e.push(b)
			}
			for {
				if _, ok := b.Pop(ms(tt.now)); !ok {
					break
				}
			}
			b.AppendNACKs(nil, ms(tt.now))
			b.KeyframeRequested()
			got := b.NextDeadline()
			if tt.want < 0 {
				if !got.IsZero() {
					t.Errorf("NextDeadline %v ms, want zero", toMS(got))
				}
				return
			}
			if got.IsZero() || toMS(got) != tt.want {
				t.Errorf("NextDeadline %v ms (zero %v), want %v", toMS(got), got.IsZero(), tt.want)
			}
		})
	}
}

func TestTimeGoingBackwards(t *testing.T) {
	// The caller's clock should not go back, but if it does nothing breaks
	// and NextDeadline never reports a time before the latest seen.
	b := New(Config{Video: true, Codec: testCodec{}, NACK: true})
	for i, at := range []float64{100, 50, 120, 10, 200} {
		e := ev{at, uint16(i * 2), uint32(i * 3000), "ks"}
		e.push(b)
		ev{at, uint16(i*2 + 1), uint32(i * 3000), "km"}.push(b)
		for {
			if _, ok := b.Pop(ms(at)); !ok {
				break
			}
		}
		if d := b.NextDeadline(); !d.IsZero() && toMS(d) < 200 && i == 4 {
			t.Errorf("deadline %v ms before the latest time seen", toMS(d))
		}
	}
	for {
		if _, ok := b.Pop(ms(1000)); !ok {
			break
		}
	}
	if s := b.Stats(); s.Frames != 5 {
		t.Errorf("%d frames delivered, want 5", s.Frames)
	}
}
