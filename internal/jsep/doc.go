// Package jsep is the pure core of SDP offer/answer for a PeerConnection
// (RFC 8829 JSEP). It turns what our side wants into offer and answer text
// and turns remote text into a validated Description. It does no I/O, keeps
// no state between calls and reads no clock, so the PeerConnection actor can
// call it directly and tests can drive it with fixed strings.
//
// Parsing and marshalling go through github.com/pion/sdp/v3; this package adds
// the WebRTC rules on top: ICE credentials (RFC 8839), DTLS fingerprints and
// roles (RFC 8122, RFC 8842), BUNDLE (RFC 8843) and the SCTP data channel
// section (RFC 8841), plus hard limits for hostile input.
//
// # Usage
//
// As offerer:
//
//	offer, err := jsep.BuildOffer(jsep.Local{ /* ids, ICE, fingerprints */ DataChannel: true})
//	// ... send offer, receive answerText ...
//	answer, err := jsep.ParseDescription(answerText)
//	// answer.ICEUfrag, answer.Candidates, answer.Setup, answer.Data ...
//
// As answerer:
//
//	offer, err := jsep.ParseDescription(offerText)
//	answerText, err := jsep.BuildAnswer(offer, jsep.Local{ /* ... */ Setup: jsep.SetupActive})
//
// After the DTLS handshake, FingerprintMatches checks the peer certificate
// against the remote Fingerprints.
//
// # Limitations
//
// Only DataChannels are negotiated: audio, video and any other m-section is
// answered as rejected (port 0). Descriptions are kept as a slice of Media so
// that media negotiation can be added later without changing the shape. Only
// the first a=group:BUNDLE group is used.
package jsep
