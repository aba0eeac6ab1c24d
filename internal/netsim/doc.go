// Package netsim is an in-memory UDP network for tests: hosts with one IPv4
// address each, joined by one-way links that lose, delay, jitter, reorder,
// duplicate and rate-limit datagrams according to a seeded random model.
//
// A Host implements pion's transport.Net (github.com/pion/transport/v5), so
// an ICE agent given a Host gathers its address as a host candidate and
// sends its traffic through the network. Datagrams move only through
// timers (time.AfterFunc) and channels, never through sockets or goroutines
// of their own, so a whole WebRTC session over netsim runs inside a
// testing/synctest bubble, where waiting costs no wall-clock time.
//
// The model per link is, in order: the host is down (everything is lost);
// random loss; the rate cap's queue (a datagram that finds it full is
// dropped at the tail); then delay plus uniform jitter. Datagrams leave a
// link in the order they entered it, unless picked for reordering, in which
// case one is held back so that later ones overtake it. A duplicated
// datagram arrives twice, each copy with its own delay.
//
// Create the Network inside the bubble that uses it, and Close it (after
// the peers on it) before the bubble ends.
package netsim
