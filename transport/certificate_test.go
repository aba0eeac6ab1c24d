package transport

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/x509"
	"testing"
	"time"
)

// The hand-encoded certificate is what crypto/x509 would accept from
// anyone: it parses, is self-signed with ECDSA-SHA256 over P-256, names
// CN=chanrtc, is valid now, carries the key, and differs per call.
func TestNewCertificateIsAValidSelfSignedCertificate(t *testing.T) {
	var serials [][]byte
	for range 20 {
		c, err := NewCertificate()
		if err != nil {
			t.Fatal(err)
		}
		cert, err := x509.ParseCertificate(c.Certificate[0])
		if err != nil {
			t.Fatalf("crypto/x509 refuses the certificate: %v", err)
		}
		if err := cert.CheckSignature(cert.SignatureAlgorithm, cert.RawTBSCertificate, cert.Signature); err != nil {
			t.Fatalf("self-signature does not verify: %v", err)
		}
		if cert.SignatureAlgorithm != x509.ECDSAWithSHA256 || cert.Version != 3 {
			t.Fatalf("algorithm %v, version %d", cert.SignatureAlgorithm, cert.Version)
		}
		if cert.Subject.CommonName != "chanrtc" || cert.Issuer.CommonName != "chanrtc" {
			t.Fatalf("subject %q, issuer %q", cert.Subject, cert.Issuer)
		}
		if now := time.Now(); now.Before(cert.NotBefore) || now.After(cert.NotAfter) {
			t.Fatalf("not valid now: %v..%v", cert.NotBefore, cert.NotAfter)
		}
		pub, ok := cert.PublicKey.(*ecdsa.PublicKey)
		if !ok || !pub.Equal(&c.PrivateKey.(*ecdsa.PrivateKey).PublicKey) {
			t.Fatal("the certificate does not carry the private key's public key")
		}
		if cert.SerialNumber.Sign() <= 0 {
			t.Fatalf("serial %v is not positive", cert.SerialNumber)
		}
		for _, s := range serials {
			if bytes.Equal(s, cert.SerialNumber.Bytes()) {
				t.Fatal("two certificates share a serial")
			}
		}
		serials = append(serials, cert.SerialNumber.Bytes())
	}
}

func BenchmarkNewCertificate(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := NewCertificate(); err != nil {
			b.Fatal(err)
		}
	}
}
