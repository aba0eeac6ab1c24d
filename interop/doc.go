// Package interop holds interoperability tests between chanrtc and
// pion/webrtc v4. It is a separate module so that the chanrtc library never
// depends on pion/webrtc.
package interop
