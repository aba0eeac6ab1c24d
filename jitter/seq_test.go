package jitter

import (
	"slices"
	"testing"
	"time"
)

func TestRestart(t *testing.T) {
	tests := []struct {
		name  string
		nack  bool
		evs   []ev
		want  []string
		stats Stats
	}{{
		name:  "huge jump ahead, confirmed: restart",
		evs:   cat(audio(0, 1, 0, 3), audio(60, 20000, 5_000_000, 3)),
		want:  []string{"1", "2", "3", "!20001", "20002"},
		stats: Stats{Restarts: 1, Dropped: 1, Lost: 1},
	}, {
		name:  "one stray packet does not restart",
		evs:   cat(audio(0, 1, 0, 2), []ev{{30, 40000, 123, "s"}}, audio(40, 3, 1920, 2)),
		want:  []string{"1", "2", "3", "4"},
		stats: Stats{Dropped: 1},
	}, {
		name:  "far behind, confirmed: restart",
		evs:   cat(audio(0, 10000, 0, 3), audio(60, 1000, 0, 3)),
		want:  []string{"10000", "10001", "10002", "!1001", "1002"},
		stats: Stats{Restarts: 1},
	}, {
		name:  "behind but within reach: late, not a restart",
		evs:   cat(audio(0, 5000, 0, 3), []ev{{50, 4000, 0, "s"}}),
		want:  []string{"5000", "5001", "5002"},
		stats: Stats{Late: 1},
	}, {
		name:  "with NACK the new stream's first packet is recovered",
		nack:  true,
		evs:   cat(audio(0, 1, 0, 3), audio(60, 20000, 5_000_000, 3)),
		want:  []string{"1", "2", "3", "!20000", "20001", "20002"},
		stats: Stats{Restarts: 1, Recovered: 1},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newActor(t, Config{Codec: testCodec{}, NACK: tt.nack})
			a.b.SetRTT(30 * time.Millisecond)
			a.retransmitter(tt.evs, 30, nil)
			a.feed(tt.evs)
			a.runUntil(ms(3000))
			if !slices.Equal(a.frames, tt.want) {
				t.Errorf("frames %q, want %q", a.frames, tt.want)
			}
			checkCounters(t, a.b.Stats(), tt.stats)
			if tt.stats.Restarts == 0 && a.b.Stats().Restarts != 0 {
				t.Errorf("Restarts = %d, want 0", a.b.Stats().Restarts)
			}
		})
	}
}

func TestHugeGapIsNotNACKed(t *testing.T) {
	// A jump beyond half the buffer but below the restart threshold: the
	// packets in between are counted lost, not requested.
	a := newActor(t, Config{Codec: testCodec{}, NACK: true, MaxPackets: 256})
	a.feed(cat(audio(0, 1, 0, 3), audio(60, 1000, 999*960, 3)))
	a.runUntil(ms(2000))
	s := a.b.Stats()
	if s.NACKsSent != 0 || s.Lost != 996 || s.Restarts != 0 {
		t.Errorf("NACKsSent %d Lost %d Restarts %d, want 0, 996, 0", s.NACKsSent, s.Lost, s.Restarts)
	}
	if want := []string{"1", "2", "3", "!1000", "1001", "1002"}; !slices.Equal(a.frames, want) {
		t.Errorf("frames %q, want %q", a.frames, want)
	}
}

func TestReset(t *testing.T) {
	a := newActor(t, Config{Video: true, Codec: testCodec{}, NACK: true})
	a.feed(cat(frame(0, 1, 0, 2, true), without(frame(33, 3, 3000, 3, false), 4)))
	if a.b.Held() != 2 {
		t.Fatalf("held %d, want 2", a.b.Held())
	}
	a.b.Reset()
	if a.b.Held() != 0 || !a.b.NextDeadline().IsZero() {
		t.Fatalf("after Reset: held %d, deadline %v", a.b.Held(), a.b.NextDeadline())
	}
	// A new SSRC with unrelated numbers: it starts at a keyframe again.
	a.feed(cat(frame(100, 40000, 77, 2, false), frame(133, 40002, 3077, 2, true)))
	a.runUntil(ms(1000))
	if want := []string{"1-2", "!40002-40003"}; !slices.Equal(a.frames, want) {
		t.Errorf("frames %q, want %q", a.frames, want)
	}
}
