//go:build chanrtc_nomedia

package transport

// Media stands in for the media router in a build without media
// (chanrtc_nomedia): nothing ever routes to it, and the mux drops SRTP and
// SRTCP as it does before a router is set.
type Media struct{}

func (*Media) offer(p []byte) { putPacket(p) }
