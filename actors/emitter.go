package actors

import (
	"runtime/debug"
	"sync"
	"sync/atomic"
)

// Emitter runs user callbacks one at a time, in the order they were emitted,
// on its own goroutine, with nothing of any actor held. Actors emit without
// blocking, so a callback may call any method of the library — Close
// included — without deadlock.
//
// The queue is bounded by maxQueue; past it an event is refused and counted.
// What flows through it is bounded by construction (state changes, one event
// per candidate or channel, and DataChannel messages that each channel
// admits only against its own credit), so the cap is a last line of defence.
type Emitter struct {
	maxQueue int
	onPanic  func(any)

	mu    sync.Mutex // guards queue and space only
	queue []func()
	space chan struct{} // closed when an event leaves a full queue

	wake    Wake
	quit    chan struct{}
	done    chan struct{}
	gid     atomic.Uint64 // the emitter goroutine's id, to recognise Stop from a callback
	dropped atomic.Uint64
	stop    sync.Once
}

// NewEmitter starts an emitter. onPanic (may be nil) is told about a callback
// that panicked, with a *PanicError carrying the value and the stack; the
// emitter carries on with the next one, as a browser does after an event
// handler throws.
func NewEmitter(maxQueue int, onPanic func(any)) *Emitter {
	e := &Emitter{
		maxQueue: maxQueue,
		onPanic:  onPanic,
		wake:     NewWake(),
		quit:     make(chan struct{}),
		done:     make(chan struct{}),
	}
	go e.run()
	return e
}

// Emit queues f and reports whether it was taken: false once the emitter is
// stopped or when the queue is full (counted in Dropped).
func (e *Emitter) Emit(f func()) bool {
	select {
	case <-e.quit:
		return false
	default:
	}
	e.mu.Lock()
	if len(e.queue) >= e.maxQueue {
		e.mu.Unlock()
		e.dropped.Add(1)
		return false
	}
	e.queue = append(e.queue, f)
	e.mu.Unlock()
	e.wake.Signal()
	return true
}

// EmitWait queues f, waiting while the queue is over its share for such
// events (three quarters of the bound, so that events emitted with Emit
// always find room). It is for flow-controlled data: the waiting producer
// is held back instead of anything being dropped. It reports false if done
// closes or the emitter stops first.
func (e *Emitter) EmitWait(done <-chan struct{}, f func()) bool {
	for {
		e.mu.Lock()
		if len(e.queue) < e.maxQueue*3/4 {
			e.queue = append(e.queue, f)
			e.mu.Unlock()
			e.wake.Signal()
			return true
		}
		if e.space == nil {
			e.space = make(chan struct{})
		}
		space := e.space
		e.mu.Unlock()
		select {
		case <-space:
		case <-done:
			return false
		case <-e.quit:
			return false
		}
	}
}

// Dropped counts events refused because the queue was full.
func (e *Emitter) Dropped() uint64 { return e.dropped.Load() }

// Stop ends the emitter: events still queued are discarded and no callback
// starts after it returns. Called from inside a callback it returns at once
// (the emitter exits as soon as that callback returns). Called from any
// other goroutine it waits for a callback that is running to return, then
// for the emitter's exit — so once Stop returns no callback is running,
// and a callback must not itself wait for a Stop made elsewhere.
func (e *Emitter) Stop() {
	e.stop.Do(func() { close(e.quit) })
	if goid() == e.gid.Load() {
		return
	}
	<-e.done
}

// Done is closed when the emitter goroutine has exited.
func (e *Emitter) Done() <-chan struct{} { return e.done }

func (e *Emitter) run() {
	defer close(e.done)
	e.gid.Store(goid())
	for {
		f := e.next()
		if f == nil {
			select {
			case <-e.wake:
				continue
			case <-e.quit:
				return
			}
		}
		select {
		case <-e.quit:
			return
		default:
		}
		e.call(f)
	}
}

func (e *Emitter) next() func() {
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.queue) == 0 {
		return nil
	}
	f := e.queue[0]
	e.queue[0] = nil
	e.queue = e.queue[1:]
	if len(e.queue) == 0 {
		e.queue = nil // let the backing array go
	}
	if e.space != nil {
		close(e.space)
		e.space = nil
	}
	return f
}

func (e *Emitter) call(f func()) {
	defer func() {
		if v := recover(); v != nil && e.onPanic != nil {
			e.onPanic(&PanicError{Actor: "callback", Value: v, Stack: debug.Stack()})
		}
	}()
	f()
}
