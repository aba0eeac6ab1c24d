package actors

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestSendHonoursDoneAndContext(t *testing.T) {
	inbox := make(chan int) // nobody reads
	done := make(chan struct{})
	close(done)
	if err := Send(context.Background(), done, inbox, 1); !errors.Is(err, ErrStopped) {
		t.Fatalf("stopped actor: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := Send(ctx, make(chan struct{}), inbox, 1); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: %v", err)
	}
}

func TestOfferNeverBlocks(t *testing.T) {
	inbox := make(chan int, 1)
	if !Offer(inbox, 1) {
		t.Fatal("first offer refused")
	}
	if Offer(inbox, 2) {
		t.Fatal("offer to a full inbox taken")
	}
}

func TestAsk(t *testing.T) {
	type req struct {
		n     int
		reply chan<- int
	}
	inbox := make(chan req)
	done := make(chan struct{})
	go func() {
		defer close(done)
		r := <-inbox
		r.reply <- r.n * 2
	}()
	got, err := Ask(context.Background(), done, inbox, func(r chan<- int) req { return req{n: 21, reply: r} })
	if err != nil || got != 42 {
		t.Fatalf("Ask = %d, %v", got, err)
	}
	// The actor is gone now: Ask reports it instead of hanging.
	if _, err := Ask(context.Background(), done, inbox, func(r chan<- int) req { return req{reply: r} }); !errors.Is(err, ErrStopped) {
		t.Fatalf("Ask to stopped actor: %v", err)
	}
}

func TestWakeMerges(t *testing.T) {
	w := NewWake()
	w.Signal()
	w.Signal()
	<-w
	select {
	case <-w:
		t.Fatal("two signals gave two wake-ups")
	default:
	}
}

func TestSupervisorStopsInReverseOrder(t *testing.T) {
	var mu sync.Mutex
	var order []string
	s := NewSupervisor(nil)
	for _, name := range []string{"a", "b", "c"} {
		if err := s.Go(name, func(ctx context.Context) error {
			<-ctx.Done()
			mu.Lock()
			order = append(order, name)
			mu.Unlock()
			return ctx.Err()
		}); err != nil {
			t.Fatal(err)
		}
	}
	s.Stop()
	s.Stop() // idempotent
	if got := len(order); got != 3 || order[0] != "c" || order[1] != "b" || order[2] != "a" {
		t.Fatalf("stop order %v, want [c b a]", order)
	}
	if s.Err() != nil {
		t.Fatalf("clean stop recorded %v", s.Err())
	}
	if err := s.Go("late", func(context.Context) error { return nil }); !errors.Is(err, ErrStopped) {
		t.Fatalf("Go after Stop: %v", err)
	}
}

func TestSupervisorRecoversPanic(t *testing.T) {
	failed := make(chan error, 2)
	s := NewSupervisor(func(err error) { failed <- err })
	defer s.Stop()
	_ = s.Go("steady", func(ctx context.Context) error { <-ctx.Done(); return nil })
	_ = s.Go("buggy", func(context.Context) error { panic("broken invariant") })
	var err error
	select {
	case err = <-failed:
	case <-time.After(5 * time.Second):
		t.Fatal("no failure reported")
	}
	var pe *PanicError
	if !errors.As(err, &pe) || pe.Actor != "buggy" || pe.Value != "broken invariant" || len(pe.Stack) == 0 {
		t.Fatalf("failure %v", err)
	}
	if !errors.Is(s.Err(), err) {
		t.Fatalf("Err() = %v", s.Err())
	}
}

func TestSupervisorReportsFirstErrorOnce(t *testing.T) {
	var calls int
	var mu sync.Mutex
	s := NewSupervisor(func(error) { mu.Lock(); calls++; mu.Unlock() })
	boom := errors.New("boom")
	_ = s.Go("one", func(context.Context) error { return boom })
	_ = s.Go("two", func(context.Context) error { return boom })
	deadline := time.Now().Add(5 * time.Second)
	for s.Err() == nil && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	s.Stop()
	if !errors.Is(s.Err(), boom) {
		t.Fatalf("Err() = %v", s.Err())
	}
	if calls != 1 {
		t.Fatalf("failure handler called %d times", calls)
	}
}

func TestEmitterRunsInOrder(t *testing.T) {
	e := NewEmitter(100, nil)
	defer e.Stop()
	got := make(chan int, 50)
	for i := 0; i < 50; i++ {
		if !e.Emit(func() { got <- i }) {
			t.Fatal("emit refused")
		}
	}
	for i := 0; i < 50; i++ {
		if v := <-got; v != i {
			t.Fatalf("event %d ran as %d", v, i)
		}
	}
}

func TestEmitterSurvivesPanickingCallback(t *testing.T) {
	panics := make(chan any, 1)
	e := NewEmitter(10, func(v any) { panics <- v })
	defer e.Stop()
	e.Emit(func() { panic("user bug") })
	ran := make(chan struct{})
	e.Emit(func() { close(ran) })
	<-ran
	if pe, ok := (<-panics).(*PanicError); !ok || pe.Value != "user bug" || len(pe.Stack) == 0 {
		t.Fatalf("panic reported as %#v", pe)
	}
}

func TestEmitterBoundAndStopFromCallback(t *testing.T) {
	e := NewEmitter(4, nil)
	block := make(chan struct{})
	started := make(chan struct{})
	e.Emit(func() { close(started); <-block })
	<-started
	for i := 0; i < 4; i++ {
		if !e.Emit(func() {}) {
			t.Fatalf("emit %d refused below the bound", i)
		}
	}
	if e.Emit(func() {}) || e.Dropped() != 1 {
		t.Fatalf("emit over the bound taken (dropped %d)", e.Dropped())
	}
	// EmitWait holds back instead of dropping, and gives up on done.
	done := make(chan struct{})
	close(done)
	if e.EmitWait(done, func() {}) {
		t.Fatal("EmitWait over its share returned true with done closed")
	}
	close(block)
	// Stop from inside a callback returns at once.
	stopped := make(chan struct{})
	for !e.Emit(func() { e.Stop(); close(stopped) }) {
		time.Sleep(time.Millisecond) // the fillers are still draining
	}
	select {
	case <-stopped:
	case <-time.After(5 * time.Second):
		t.Fatal("Stop from a callback blocked")
	}
	<-e.Done()
	if e.Emit(func() {}) {
		t.Fatal("emit after stop taken")
	}
}

// TestEmitterStopWaitsForRunningCallback: Stop from another goroutine
// returns only once the running callback has returned, and nothing queued
// behind it runs.
func TestEmitterStopWaitsForRunningCallback(t *testing.T) {
	e := NewEmitter(10, nil)
	started, release := make(chan struct{}), make(chan struct{})
	var finished, later atomic.Bool
	e.Emit(func() { close(started); <-release; finished.Store(true) })
	e.Emit(func() { later.Store(true) })
	<-started
	stopped := make(chan struct{})
	go func() { e.Stop(); close(stopped) }()
	select {
	case <-stopped:
		t.Fatal("Stop returned while a callback was running")
	case <-time.After(50 * time.Millisecond):
	}
	close(release)
	select {
	case <-stopped:
	case <-time.After(5 * time.Second):
		t.Fatal("Stop did not return after the callback did")
	}
	if !finished.Load() || later.Load() {
		t.Fatalf("running callback finished: %v; queued one ran: %v", finished.Load(), later.Load())
	}
}

func TestGoid(t *testing.T) {
	here := goid()
	other := make(chan uint64)
	go func() { other <- goid() }()
	if there := <-other; here == 0 || there == 0 || here == there {
		t.Fatalf("goroutine ids %d and %d", here, there)
	}
	if goid() != here {
		t.Fatal("goid is not stable")
	}
}
