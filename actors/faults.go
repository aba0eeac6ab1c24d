package actors

import (
	"context"
	"runtime/debug"
)

// Containment and fault injection.
//
// A panic in an actor's goroutine is recovered by the supervisor. Goroutines
// an actor starts for blocking work (stream readers, accept loops) and code
// of ours that runs on a goroutine of a wrapped pion object (its callbacks)
// are not supervisor children: they defer Contain, which turns a panic there
// into the failure of the same PeerConnection instead of the process's end.
//
// So that tests can prove this for every actor, each one passes a named
// checkpoint while it runs (once per message, packet or tick). A test arms a
// panic at a checkpoint of one supervisor — one PeerConnection — and the
// next goroutine of that supervisor to pass it panics. An actor looks its
// supervisor up once (SupervisorOf); unarmed, a checkpoint is then one
// atomic load, cheap enough for per-packet loops.

type supervisorKey struct{}

// InjectedPanic is the value an armed checkpoint panics with.
type InjectedPanic struct{ Point string }

func (p InjectedPanic) String() string { return "injected panic at " + p.Point }

// InjectPanic arms a panic at the named checkpoint of this supervisor's
// actors: the next goroutine to pass it panics, once. It is a test hook;
// other supervisors (other PeerConnections) are unaffected. Actors that
// idle between events (see Idle) are woken to pass their checkpoint.
func (s *Supervisor) InjectPanic(point string) {
	s.armed.Store(&point)
	fresh := make(chan struct{})
	old := s.wake.Swap(&fresh)
	close(*old)
}

// Checkpoint panics if a panic is armed at point: see InjectPanic. A nil
// supervisor (an actor run without one, as in unit tests) never panics.
func (s *Supervisor) Checkpoint(point string) {
	if s == nil {
		return
	}
	if p := s.armed.Load(); p != nil && *p == point && s.armed.CompareAndSwap(p, nil) {
		panic(InjectedPanic{Point: point})
	}
}

// SupervisorOf returns the supervisor that runs ctx's actor (ctx is the one
// Go passed it), or nil.
func SupervisorOf(ctx context.Context) *Supervisor {
	s, _ := ctx.Value(supervisorKey{}).(*Supervisor)
	return s
}

// Checkpoint is Supervisor.Checkpoint for ctx's supervisor, for code that
// passes it once (per-packet loops look the supervisor up before the loop).
func Checkpoint(ctx context.Context, point string) {
	SupervisorOf(ctx).Checkpoint(point)
}

// Idle waits until ctx ends, for an actor with nothing left to do but stay
// alive (its resources are released when it returns). It still passes its
// checkpoint whenever a panic is armed.
func Idle(ctx context.Context, point string) {
	s := SupervisorOf(ctx)
	if s == nil {
		<-ctx.Done()
		return
	}
	for {
		wake := s.wake.Load()
		select {
		case <-ctx.Done():
			return
		case <-*wake:
			s.Checkpoint(point)
		}
	}
}

// Contain is deferred at the top of a goroutine that runs actor code but is
// not a supervisor child: a panic there fails the supervisor's
// PeerConnection with a PanicError naming name, and the goroutine returns.
// It must be deferred directly (defer actors.Contain(ctx, "...")).
// Without a supervisor in ctx the panic goes on.
func Contain(ctx context.Context, name string) {
	v := recover()
	if v == nil {
		return
	}
	s := SupervisorOf(ctx)
	if s == nil {
		panic(v)
	}
	s.fail(&PanicError{Actor: name, Value: v, Stack: debug.Stack()})
}

// Contain is the package-level Contain for code that holds the supervisor
// rather than an actor's context (callbacks of wrapped pion objects).
func (s *Supervisor) Contain(name string) {
	if v := recover(); v != nil {
		s.fail(&PanicError{Actor: name, Value: v, Stack: debug.Stack()})
	}
}
