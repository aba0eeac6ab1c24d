package transport

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"math/big"
	"time"
)

// NewCertificate makes the ECDSA P-256 self-signed certificate a
// PeerConnection presents in DTLS (RFC 8827 §6.5: a fresh one per
// connection unless the application keeps one).
//
// It encodes the certificate itself rather than calling
// x509.CreateCertificate, which verifies the signature it has just made:
// that check doubles the cost (about 0.2 ms of the 0.3 ms), and it is on
// the path of every connection setup. Tests parse the result with
// crypto/x509 and check its signature; browsers and pion take it in DTLS.
func NewCertificate() (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	der, err := selfSignedDER(key, time.Now())
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
}

// oidECDSAWithSHA256 is ecdsa-with-SHA256; its AlgorithmIdentifier has no
// parameters (RFC 5758 §3.2).
var oidECDSAWithSHA256 = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 2}

// The X.509 v3 structures of RFC 5280 §4.1 that a certificate without
// extensions needs.
type (
	certificateASN1 struct {
		TBS                asn1.RawValue
		SignatureAlgorithm pkix.AlgorithmIdentifier
		Signature          asn1.BitString
	}
	tbsCertificateASN1 struct {
		Version            int `asn1:"explicit,tag:0"`
		SerialNumber       *big.Int
		SignatureAlgorithm pkix.AlgorithmIdentifier
		Issuer             asn1.RawValue
		Validity           validityASN1
		Subject            asn1.RawValue
		PublicKey          asn1.RawValue
	}
	validityASN1 struct {
		NotBefore, NotAfter time.Time
	}
)

// selfSignedDER encodes and signs a v3 certificate for key, named
// CN=chanrtc, valid from a day before now for a year, with a random
// positive 63-bit serial.
func selfSignedDER(key *ecdsa.PrivateKey, now time.Time) ([]byte, error) {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 63))
	if err != nil {
		return nil, err
	}
	serial.Add(serial, big.NewInt(1)) // positive, never zero
	name, err := asn1.Marshal(pkix.Name{CommonName: "chanrtc"}.ToRDNSequence())
	if err != nil {
		return nil, err
	}
	spki, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		return nil, err
	}
	alg := pkix.AlgorithmIdentifier{Algorithm: oidECDSAWithSHA256}
	// UTCTime with Z and whole seconds, as RFC 5280 §4.1.2.5.1 requires.
	now = now.UTC().Truncate(time.Second)
	tbs, err := asn1.Marshal(tbsCertificateASN1{
		Version:            2, // v3
		SerialNumber:       serial,
		SignatureAlgorithm: alg,
		Issuer:             asn1.RawValue{FullBytes: name},
		Validity:           validityASN1{NotBefore: now.Add(-24 * time.Hour), NotAfter: now.AddDate(1, 0, 0)},
		Subject:            asn1.RawValue{FullBytes: name},
		PublicKey:          asn1.RawValue{FullBytes: spki},
	})
	if err != nil {
		return nil, err
	}
	digest := sha256.Sum256(tbs)
	sig, err := ecdsa.SignASN1(rand.Reader, key, digest[:])
	if err != nil {
		return nil, err
	}
	return asn1.Marshal(certificateASN1{
		TBS:                asn1.RawValue{FullBytes: tbs},
		SignatureAlgorithm: alg,
		Signature:          asn1.BitString{Bytes: sig, BitLength: 8 * len(sig)},
	})
}
