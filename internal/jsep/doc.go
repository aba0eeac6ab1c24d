// Package jsep is the pure core of SDP offer/answer for a PeerConnection
// (RFC 8829 JSEP). It turns what our side wants into offer and answer text
// and turns remote text into a validated Description. It does no I/O, keeps
// no state between calls and reads no clock, so the PeerConnection actor can
// call it directly and tests can drive it with fixed strings.
//
// Parsing and marshalling go through github.com/pion/sdp/v3; this package adds
// the WebRTC rules on top: ICE credentials (RFC 8839), DTLS fingerprints and
// roles (RFC 8122, RFC 8842), BUNDLE (RFC 8843), the SCTP data channel
// section (RFC 8841), audio/video sections with codec, RTX (RFC 4588),
// feedback (RFC 4585), header extension (RFC 8285), SSRC (RFC 5576) and msid
// (RFC 8830) negotiation, plus hard limits for hostile input.
//
// # Usage
//
// As offerer:
//
//	offer, err := jsep.BuildOffer(jsep.Local{ /* ids, ICE, fingerprints */
//		Media: []jsep.LocalMedia{ /* one per transceiver */ }, DataChannel: true, DataMID: "2"})
//	// ... send offer, receive answerText ...
//	answer, err := jsep.ParseDescription(answerText)
//	// answer.ICEUfrag, answer.Candidates, answer.Setup, answer.Data ...
//	// per transceiver: jsep.NegotiateMedia(answer section with its mid, our LocalMedia)
//
// As answerer:
//
//	offer, err := jsep.ParseDescription(offerText)
//	// one LocalMedia per offered audio/video mid we want to answer
//	answerText, err := jsep.BuildAnswer(offer, jsep.Local{ /* ... */ Setup: jsep.SetupActive, Media: media})
//	// per transceiver: jsep.NegotiateMedia(offer section, its LocalMedia)
//
// After the DTLS handshake, FingerprintMatches checks the peer certificate
// against the remote Fingerprints.
//
// # Limitations
//
// One transport: BUNDLE is always offered, and an answer accepts only the
// sections that share the transport the Description describes (the offer's
// BUNDLE group, or else a single section). Only the first a=group:BUNDLE
// group is used. Header extensions use one-byte IDs (1..14); a=extmap-allow-mixed
// is neither offered nor answered. Simulcast (a=rid, a=simulcast, SIM groups)
// is not negotiated. Codecs are matched as libwebrtc does for H.264 (profile
// and packetization-mode), VP9 (profile-id) and AV1 (profile); any other
// codec by name, clock rate and channels only, and answers carry the
// offerer's fmtp. Session-level a=extmap lines are ignored. Malformed codec,
// extension and SSRC lines make what they describe unusable instead of
// failing the description; exceeding the per-section limits fails it.
package jsep
