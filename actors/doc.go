// Package actors is the small runtime chanrtc's layers are built on: bounded
// typed inboxes, request/reply, a supervisor per PeerConnection, and the one
// goroutine per PeerConnection that runs user callbacks.
//
// It imports nothing of chanrtc. An actor is one goroutine that owns its
// state alone and receives typed messages on a bounded channel; the helpers
// here make the three ways of talking to one explicit:
//
//   - Send blocks (for control messages), honouring the caller's context and
//     the actor's done channel, so a stopped actor never strands a sender.
//   - Offer never blocks (for media and feedback) and reports a drop.
//   - Ask sends a request carrying a capacity-1 reply channel and waits.
package actors
