package actors

import (
	"context"
	"errors"
)

// ErrStopped is returned when the actor addressed has stopped.
var ErrStopped = errors.New("actors: actor stopped")

// Send delivers m to inbox, blocking until the actor takes it, the caller's
// context ends, or the actor stops (done closed).
func Send[M any](ctx context.Context, done <-chan struct{}, inbox chan<- M, m M) error {
	select {
	case inbox <- m:
		return nil
	case <-done:
		return ErrStopped
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Offer delivers m without blocking and reports whether the inbox took it.
// Callers count what was refused: this is the drop policy for real-time data
// and for feedback that must never block.
func Offer[M any](inbox chan<- M, m M) bool {
	select {
	case inbox <- m:
		return true
	default:
		return false
	}
}

// Ask sends the request built by mk (which gets a capacity-1 reply channel)
// and waits for the reply. The actor always replies with one value without
// blocking, because the channel has room for it.
func Ask[M, R any](ctx context.Context, done <-chan struct{}, inbox chan<- M, mk func(reply chan<- R) M) (R, error) {
	reply := make(chan R, 1)
	var zero R
	if err := Send(ctx, done, inbox, mk(reply)); err != nil {
		return zero, err
	}
	select {
	case r := <-reply:
		return r, nil
	case <-done:
		// The actor may have replied just before stopping.
		select {
		case r := <-reply:
			return r, nil
		default:
			return zero, ErrStopped
		}
	case <-ctx.Done():
		return zero, ctx.Err()
	}
}

// Wake is a capacity-1 signal: any number of Signal calls between two
// receives merge into one wake-up.
type Wake chan struct{}

// NewWake returns a ready Wake.
func NewWake() Wake { return make(Wake, 1) }

// Signal marks the Wake without blocking.
func (w Wake) Signal() {
	select {
	case w <- struct{}{}:
	default:
	}
}
