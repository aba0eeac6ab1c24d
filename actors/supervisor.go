package actors

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"
	"sync/atomic"
)

// PanicError is the failure reported when an actor panics. The process lives
// on; the PeerConnection that owns the actor fails with this error.
type PanicError struct {
	Actor string
	Value any
	Stack []byte
}

func (e *PanicError) Error() string {
	return fmt.Sprintf("actor %s panicked: %v", e.Actor, e.Value)
}

// Supervisor runs the actors of one PeerConnection. It starts them in order
// and stops them in reverse; the first panic or fatal error of any actor is
// recorded and handed to the failure handler, which decides what to stop.
//
// The mutex guards only the list of children, never protocol state.
type Supervisor struct {
	onFail func(error)

	mu       sync.Mutex
	children []*child
	stopping bool
	failErr  error

	stopOnce sync.Once
	stopped  chan struct{}

	// Fault injection (faults.go): the armed checkpoint, and a channel
	// closed (and replaced) whenever one is armed, for idle actors.
	armed atomic.Pointer[string]
	wake  atomic.Pointer[chan struct{}]
}

type child struct {
	name   string
	cancel context.CancelFunc
	done   chan struct{}
}

// NewSupervisor returns a supervisor. onFail is called once, on the failing
// actor's goroutine, with the first failure; it must not block and must not
// call Stop synchronously (it may start a goroutine that does).
func NewSupervisor(onFail func(error)) *Supervisor {
	s := &Supervisor{onFail: onFail, stopped: make(chan struct{})}
	wake := make(chan struct{})
	s.wake.Store(&wake)
	return s
}

// Go starts an actor. run must return when ctx is done. A non-nil error that
// is not the context's own, or a panic, counts as the actor failing. Go after
// Stop starts nothing and reports ErrStopped.
func (s *Supervisor) Go(name string, run func(ctx context.Context) error) error {
	ctx, cancel := context.WithCancel(context.WithValue(context.Background(), supervisorKey{}, s))
	c := &child{name: name, cancel: cancel, done: make(chan struct{})}
	s.mu.Lock()
	if s.stopping {
		s.mu.Unlock()
		cancel()
		return ErrStopped
	}
	s.children = append(s.children, c)
	s.mu.Unlock()
	go s.runChild(ctx, c, run)
	return nil
}

func (s *Supervisor) runChild(ctx context.Context, c *child, run func(ctx context.Context) error) {
	defer close(c.done)
	err := func() (err error) {
		defer func() {
			if v := recover(); v != nil {
				err = &PanicError{Actor: c.name, Value: v, Stack: debug.Stack()}
			}
		}()
		return run(ctx)
	}()
	if err == nil || ctx.Err() != nil && errors.Is(err, context.Canceled) {
		return
	}
	var pe *PanicError
	if !errors.As(err, &pe) {
		err = fmt.Errorf("actor %s: %w", c.name, err)
	}
	s.fail(err)
}

// Fail reports a fatal error from outside an actor (for example a callback of
// a wrapped pion object); the first failure wins.
func (s *Supervisor) Fail(err error) { s.fail(err) }

func (s *Supervisor) fail(err error) {
	s.mu.Lock()
	first := s.failErr == nil && !s.stopping
	if first {
		s.failErr = err
	}
	s.mu.Unlock()
	if first && s.onFail != nil {
		s.onFail(err)
	}
}

// Err returns the first failure, or nil.
func (s *Supervisor) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.failErr
}

// Stop cancels every actor in reverse start order, waiting for each to
// return before cancelling the next. It is idempotent; every call waits until
// all actors have returned. It must not be called from an actor's goroutine.
func (s *Supervisor) Stop() {
	s.stopOnce.Do(func() {
		s.mu.Lock()
		s.stopping = true
		children := s.children
		s.mu.Unlock()
		for i := len(children) - 1; i >= 0; i-- {
			children[i].cancel()
			<-children[i].done
		}
		close(s.stopped)
	})
	<-s.stopped
}
