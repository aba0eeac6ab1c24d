//go:build !chanrtc_nomedia

package transport

import (
	"errors"
	"fmt"

	"github.com/pion/dtls/v3"
	"github.com/pion/srtp/v3"
)

// ErrNoSRTPProfile means DTLS negotiated no SRTP protection profile, so
// media cannot flow (RFC 5764).
var ErrNoSRTPProfile = errors.New("chanrtc: DTLS negotiated no SRTP profile")

// replayWindow is the SRTP/SRTCP replay window: packets older than this
// many, or seen before, are dropped (RFC 3711 §3.3.2).
const replayWindow = 1024

// SRTPKeys are the SRTP master keys exported from the DTLS handshake
// (RFC 5764 §4.2). Each actor that encrypts or decrypts makes its own
// context from them: a context is not safe for concurrent use, and the
// SRTP state it keeps is per SSRC, so contexts of distinct SSRCs are
// independent.
type SRTPKeys struct {
	profile srtp.ProtectionProfile
	keys    srtp.SessionKeys
}

// SRTPKeysFromDTLS derives the keys from a finished handshake.
func SRTPKeysFromDTLS(conn *dtls.Conn, client bool) (SRTPKeys, error) {
	p, ok := conn.SelectedSRTPProtectionProfile()
	if !ok {
		return SRTPKeys{}, ErrNoSRTPProfile
	}
	var profile srtp.ProtectionProfile
	switch p {
	case dtls.SRTP_AEAD_AES_128_GCM:
		profile = srtp.ProtectionProfileAeadAes128Gcm
	case dtls.SRTP_AES128_CM_HMAC_SHA1_80:
		profile = srtp.ProtectionProfileAes128CmHmacSha1_80
	default:
		return SRTPKeys{}, fmt.Errorf("%w: profile %#x", ErrNoSRTPProfile, p)
	}
	state, ok := conn.ConnectionState()
	if !ok {
		return SRTPKeys{}, errors.New("chanrtc: DTLS state unavailable")
	}
	cfg := srtp.Config{Profile: profile}
	if err := cfg.ExtractSessionKeysFromDTLS(&state, client); err != nil {
		return SRTPKeys{}, fmt.Errorf("chanrtc: SRTP keys: %w", err)
	}
	return SRTPKeys{profile: profile, keys: cfg.Keys}, nil
}

// Encrypter makes a context that protects what we send.
func (k SRTPKeys) Encrypter() (*srtp.Context, error) {
	return srtp.CreateContext(k.keys.LocalMasterKey, k.keys.LocalMasterSalt, k.profile)
}

// Decrypter makes a context that checks and decrypts what we receive,
// with replay protection on.
func (k SRTPKeys) Decrypter() (*srtp.Context, error) {
	return srtp.CreateContext(k.keys.RemoteMasterKey, k.keys.RemoteMasterSalt, k.profile,
		srtp.SRTPReplayProtection(replayWindow), srtp.SRTCPReplayProtection(replayWindow))
}
