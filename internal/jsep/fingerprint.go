package jsep

import (
	"bytes"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"fmt"
	"hash"
	"strings"
)

// fingerprintHashes are the hash functions we verify (RFC 8122). md2 and
// md5 are deliberately absent: RFC 8122 forbids them.
var fingerprintHashes = map[string]func() hash.Hash{
	"sha-1":   sha1.New,
	"sha-224": sha256.New224,
	"sha-256": sha256.New,
	"sha-384": sha512.New384,
	"sha-512": sha512.New,
}

// FingerprintOf computes the sha-256 fingerprint of a DER certificate in SDP
// form.
func FingerprintOf(der []byte) Fingerprint {
	sum := sha256.Sum256(der)
	return Fingerprint{Algorithm: "sha-256", Value: formatFingerprint(sum[:])}
}

// FingerprintMatches reports whether the DER certificate matches any of the
// fingerprints. Fingerprints with an unknown algorithm or a malformed value
// are skipped; if none is usable the result is an error, because then the
// peer's identity cannot be checked at all.
func FingerprintMatches(der []byte, fps []Fingerprint) (bool, error) {
	usable := false
	for _, fp := range fps {
		newHash, ok := fingerprintHashes[strings.ToLower(fp.Algorithm)]
		if !ok {
			continue
		}
		want, err := decodeFingerprint(fp.Value, newHash().Size())
		if err != nil {
			continue
		}
		usable = true
		h := newHash()
		h.Write(der)
		// Fingerprints are public values, so no constant-time compare is needed.
		if bytes.Equal(h.Sum(nil), want) {
			return true, nil
		}
	}
	if !usable {
		return false, fmt.Errorf("%w: no fingerprint with a supported hash function", ErrInvalidSDP)
	}
	return false, nil
}

// parseFingerprint reads an a=fingerprint value "<hash-func> <hex:hex...>".
// supported is false for hash functions we do not know; those are to be
// ignored rather than refused, since a peer may list several.
func parseFingerprint(v string) (fp Fingerprint, supported bool, err error) {
	f := strings.Fields(v)
	if len(f) != 2 {
		return Fingerprint{}, false, fmt.Errorf("a=fingerprint %q is not \"<hash> <value>\"", clip(v))
	}
	alg := strings.ToLower(f[0])
	newHash, ok := fingerprintHashes[alg]
	if !ok {
		return Fingerprint{}, false, nil
	}
	raw, err := decodeFingerprint(f[1], newHash().Size())
	if err != nil {
		return Fingerprint{}, false, fmt.Errorf("a=fingerprint %s: %w", alg, err)
	}
	return Fingerprint{Algorithm: alg, Value: formatFingerprint(raw)}, true, nil
}

// decodeFingerprint decodes "AB:CD:..." (either case) and checks that it has
// exactly the size of the hash.
func decodeFingerprint(v string, size int) ([]byte, error) {
	if len(v) != 3*size-1 {
		return nil, fmt.Errorf("value has %d characters, want %d", len(v), 3*size-1)
	}
	out := make([]byte, size)
	for i := range size {
		if i > 0 && v[3*i-1] != ':' {
			return nil, fmt.Errorf("value misses ':' at %d", 3*i-1)
		}
		if _, err := hex.Decode(out[i:i+1], []byte(v[3*i:3*i+2])); err != nil {
			return nil, fmt.Errorf("value is not hex at %d", 3*i)
		}
	}
	return out, nil
}

// formatFingerprint writes upper-case hex pairs joined by ':' as in SDP.
func formatFingerprint(raw []byte) string {
	const digits = "0123456789ABCDEF"
	b := make([]byte, 0, 3*len(raw))
	for i, c := range raw {
		if i > 0 {
			b = append(b, ':')
		}
		b = append(b, digits[c>>4], digits[c&0x0f])
	}
	return string(b)
}
