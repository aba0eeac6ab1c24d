package actors

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestInjectedPanicFailsOnlyItsSupervisor arms a panic in one supervisor's
// looping actor: that supervisor fails with a PanicError naming the actor,
// while an identical actor under another supervisor keeps looping.
func TestInjectedPanicFailsOnlyItsSupervisor(t *testing.T) {
	failed := make(chan error, 2)
	victim := NewSupervisor(func(err error) { failed <- err })
	other := NewSupervisor(func(err error) { failed <- err })
	defer victim.Stop()
	defer other.Stop()
	loops := make(chan int, 1)
	loop := func(ctx context.Context) error {
		n := 0
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-tick.C:
				Checkpoint(ctx, "looper")
				n++
				if n == 200 {
					loops <- n
				}
			case <-ctx.Done():
				return nil
			}
		}
	}
	_ = victim.Go("looper", loop)
	_ = other.Go("looper", loop)
	victim.Checkpoint("looper") // unarmed: nothing happens
	victim.InjectPanic("nowhere")
	victim.InjectPanic("looper")
	var err error
	select {
	case err = <-failed:
	case <-time.After(5 * time.Second):
		t.Fatal("armed checkpoint never panicked")
	}
	var pe *PanicError
	if !errors.As(err, &pe) || pe.Actor != "looper" || pe.Value != (InjectedPanic{Point: "looper"}) {
		t.Fatalf("failure %v", err)
	}
	select {
	case <-loops: // the other supervisor's actor went on to 200 ticks
	case <-time.After(5 * time.Second):
		t.Fatal("the other supervisor's actor stopped")
	}
	if other.Err() != nil {
		t.Fatalf("other supervisor failed: %v", other.Err())
	}
}

func TestIdleWakesForItsCheckpoint(t *testing.T) {
	failed := make(chan error, 1)
	s := NewSupervisor(func(err error) { failed <- err })
	defer s.Stop()
	_ = s.Go("idler", func(ctx context.Context) error { Idle(ctx, "idler"); return nil })
	s.InjectPanic("someone else") // wakes the idler, which goes back to sleep
	select {
	case err := <-failed:
		t.Fatalf("failed for another checkpoint: %v", err)
	case <-time.After(20 * time.Millisecond):
	}
	s.InjectPanic("idler")
	select {
	case err := <-failed:
		var pe *PanicError
		if !errors.As(err, &pe) || pe.Actor != "idler" {
			t.Fatalf("failure %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("idle actor never panicked")
	}
}

func TestContainReportsHelperPanic(t *testing.T) {
	failed := make(chan error, 1)
	s := NewSupervisor(func(err error) { failed <- err })
	defer s.Stop()
	helperDone := make(chan struct{})
	_ = s.Go("owner", func(ctx context.Context) error {
		go func() {
			defer close(helperDone)
			defer Contain(ctx, "owner helper")
			panic("bug in a helper")
		}()
		<-ctx.Done()
		return nil
	})
	var pe *PanicError
	select {
	case err := <-failed:
		if !errors.As(err, &pe) || pe.Actor != "owner helper" || pe.Value != "bug in a helper" || len(pe.Stack) == 0 {
			t.Fatalf("failure %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("helper panic not reported")
	}
	<-helperDone
	// The method form, for callbacks on goroutines we do not own.
	s2 := NewSupervisor(func(err error) { failed <- err })
	defer s2.Stop()
	func() {
		defer s2.Contain("callback")
		s2.InjectPanic("cb")
		s2.Checkpoint("cb")
	}()
	if err := <-failed; !errors.As(err, &pe) || pe.Actor != "callback" {
		t.Fatalf("failure %v", err)
	}
}

// BenchmarkCheckpoint is the cost an unarmed checkpoint adds to each
// message or packet an actor handles.
func BenchmarkCheckpoint(b *testing.B) {
	s := NewSupervisor(nil)
	defer s.Stop()
	got := make(chan context.Context, 1)
	_ = s.Go("bench", func(ctx context.Context) error { got <- ctx; <-ctx.Done(); return nil })
	sup := SupervisorOf(<-got) // once, as the actors do
	for b.Loop() {
		sup.Checkpoint("mux")
	}
}
