package jsep

import (
	"crypto/sha1"
	"crypto/sha512"
	"errors"
	"strings"
	"testing"
)

func TestFingerprintOf(t *testing.T) {
	// sha-256 of the empty input, a well-known value.
	want := "E3:B0:C4:42:98:FC:1C:14:9A:FB:F4:C8:99:6F:B9:24:27:AE:41:E4:64:9B:93:4C:A4:95:99:1B:78:52:B8:55"
	if got := FingerprintOf(nil); got != (Fingerprint{"sha-256", want}) {
		t.Errorf("FingerprintOf(nil) = %v", got)
	}
}

func TestFingerprintMatches(t *testing.T) {
	der := []byte("not really a certificate")
	own := FingerprintOf(der)
	s1 := sha1.Sum(der)
	s512 := sha512.Sum512(der)
	other := FingerprintOf([]byte("another certificate"))
	tests := []struct {
		name string
		fps  []Fingerprint
		want bool
		err  bool
	}{
		{"sha-256", []Fingerprint{own}, true, false},
		{"lower case", []Fingerprint{{"SHA-256", strings.ToLower(own.Value)}}, true, false},
		{"sha-1", []Fingerprint{{"sha-1", formatFingerprint(s1[:])}}, true, false},
		{"sha-512", []Fingerprint{{"sha-512", formatFingerprint(s512[:])}}, true, false},
		{"second of two", []Fingerprint{other, own}, true, false},
		{"mismatch", []Fingerprint{other}, false, false},
		{"unknown algorithm skipped", []Fingerprint{{"md5", "AB"}, other}, false, false},
		{"hash of another size", []Fingerprint{{"sha-384", own.Value}}, false, true},
		{"only unknown", []Fingerprint{{"md5", "AB"}}, false, true},
		{"none", nil, false, true},
	}
	for _, tt := range tests {
		got, err := FingerprintMatches(der, tt.fps)
		if got != tt.want || (err != nil) != tt.err || (err != nil && !errors.Is(err, ErrInvalidSDP)) {
			t.Errorf("%s: got %v, %v; want %v, err %v", tt.name, got, err, tt.want, tt.err)
		}
	}
}
