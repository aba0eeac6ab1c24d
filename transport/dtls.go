package transport

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"

	"github.com/chanrtc/chanrtc/internal/jsep"
	"github.com/pion/dtls/v3"
)

// ErrFingerprintMismatch means the remote's DTLS certificate does not match
// any a=fingerprint of its description (RFC 8122): the connection fails and
// no data flows.
var ErrFingerprintMismatch = errors.New("chanrtc: DTLS certificate does not match the remote fingerprint")

// DTLSConfig configures one DTLS handshake.
type DTLSConfig struct {
	Certificate        tls.Certificate
	RemoteFingerprints []jsep.Fingerprint
	Client             bool // our a=setup role is active
	Logger             *slog.Logger
}

// DTLSHandshake runs the handshake over the mux's DTLS endpoint and checks
// the remote certificate against the fingerprints from its description.
func DTLSHandshake(ctx context.Context, ep *Endpoint, cfg DTLSConfig) (*dtls.Conn, error) {
	if len(cfg.RemoteFingerprints) == 0 {
		return nil, fmt.Errorf("%w: the remote description has none", ErrFingerprintMismatch)
	}
	dc := &dtls.Config{
		Certificates:         []tls.Certificate{cfg.Certificate},
		ExtendedMasterSecret: dtls.RequireExtendedMasterSecret,
		// Self-signed certificates are the norm: identity comes from the
		// fingerprint in the signalled description, checked below.
		InsecureSkipVerify: true,
		ClientAuth:         dtls.RequireAnyClientCert,
		SRTPProtectionProfiles: []dtls.SRTPProtectionProfile{
			dtls.SRTP_AEAD_AES_128_GCM, dtls.SRTP_AES128_CM_HMAC_SHA1_80,
		},
		VerifyPeerCertificate: func(raw [][]byte, _ [][]*x509.Certificate) error {
			if len(raw) == 0 {
				return fmt.Errorf("%w: no certificate presented", ErrFingerprintMismatch)
			}
			ok, err := jsep.FingerprintMatches(raw[0], cfg.RemoteFingerprints)
			if err != nil {
				return fmt.Errorf("%w: %v", ErrFingerprintMismatch, err)
			}
			if !ok {
				return ErrFingerprintMismatch
			}
			return nil
		},
		LoggerFactory: pionLogger(cfg.Logger),
	}
	var (
		conn *dtls.Conn
		err  error
	)
	if cfg.Client {
		conn, err = dtls.Client(ep, ep.RemoteAddr(), dc)
	} else {
		conn, err = dtls.Server(ep, ep.RemoteAddr(), dc)
	}
	if err != nil {
		return nil, fmt.Errorf("chanrtc: DTLS: %w", err)
	}
	if err := conn.HandshakeContext(ctx); err != nil {
		_ = conn.Close()
		if errors.Is(err, ErrFingerprintMismatch) {
			return nil, ErrFingerprintMismatch
		}
		return nil, fmt.Errorf("chanrtc: DTLS handshake: %w", err)
	}
	return conn, nil
}

var _ net.PacketConn = (*Endpoint)(nil)
