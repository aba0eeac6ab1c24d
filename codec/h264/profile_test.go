package h264

import (
	"errors"
	"testing"
)

func TestParseProfileLevelID(t *testing.T) {
	tests := []struct {
		in      string
		want    ProfileLevel
		profile Profile
		level1b bool
		err     bool
	}{
		{"42e01f", ProfileLevel{0x42, 0xe0, 0x1f}, ProfileConstrainedBaseline, false, false},
		{"42E01F", ProfileLevel{0x42, 0xe0, 0x1f}, ProfileConstrainedBaseline, false, false},
		{"42c01f", ProfileLevel{0x42, 0xc0, 0x1f}, ProfileConstrainedBaseline, false, false},
		{"42401f", ProfileLevel{0x42, 0x40, 0x1f}, ProfileConstrainedBaseline, false, false},
		{"42001f", ProfileLevel{0x42, 0x00, 0x1f}, ProfileBaseline, false, false},
		{"42800b", ProfileLevel{0x42, 0x80, 0x0b}, ProfileBaseline, false, false},
		{"42f00b", ProfileLevel{0x42, 0xf0, 0x0b}, ProfileConstrainedBaseline, true, false},
		{"420009", ProfileLevel{0x42, 0x00, 0x09}, ProfileBaseline, true, false},
		{"4d001f", ProfileLevel{0x4d, 0x00, 0x1f}, ProfileMain, false, false},
		{"4d4028", ProfileLevel{0x4d, 0x40, 0x28}, ProfileMain, false, false},
		{"4d8028", ProfileLevel{0x4d, 0x80, 0x28}, ProfileConstrainedBaseline, false, false},
		{"58c01e", ProfileLevel{0x58, 0xc0, 0x1e}, ProfileConstrainedBaseline, false, false},
		{"58801e", ProfileLevel{0x58, 0x80, 0x1e}, ProfileBaseline, false, false},
		{"58001e", ProfileLevel{0x58, 0x00, 0x1e}, ProfileExtended, false, false},
		{"640032", ProfileLevel{0x64, 0x00, 0x32}, ProfileHigh, false, false},
		{"64000b", ProfileLevel{0x64, 0x00, 0x0b}, ProfileHigh, false, false},
		{"640c1f", ProfileLevel{0x64, 0x0c, 0x1f}, ProfileConstrainedHigh, false, false},
		{"64081f", ProfileLevel{0x64, 0x08, 0x1f}, ProfileProgressiveHigh, false, false},
		{"f4001f", ProfileLevel{0xf4, 0x00, 0x1f}, ProfileOther, false, false},
		{"", ProfileLevel{0x42, 0x00, 0x10}, ProfileBaseline, false, false},
		{"42e01", ProfileLevel{}, 0, false, true},
		{"42e01f0", ProfileLevel{}, 0, false, true},
		{"42g01f", ProfileLevel{}, 0, false, true},
		{"0x42e0", ProfileLevel{}, 0, false, true},
		{" 42e01f", ProfileLevel{}, 0, false, true},
		{"42e01\u00e9", ProfileLevel{}, 0, false, true},
	}
	for _, tt := range tests {
		got, err := ParseProfileLevelID(tt.in)
		if tt.err {
			if !errors.Is(err, ErrInvalidProfileLevelID) {
				t.Errorf("ParseProfileLevelID(%q) error = %v, want ErrInvalidProfileLevelID", tt.in, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseProfileLevelID(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
			continue
		}
		if p := got.Profile(); p != tt.profile {
			t.Errorf("%q: Profile() = %v, want %v", tt.in, p, tt.profile)
		}
		if got.Level1b() != tt.level1b {
			t.Errorf("%q: Level1b() = %v, want %v", tt.in, got.Level1b(), tt.level1b)
		}
		if tt.in != "" && got.String() != toLower(tt.in) {
			t.Errorf("%q: String() = %q", tt.in, got.String())
		}
	}
}

func toLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

func TestProfilesMatch(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"42e01f", "42e01f", true},
		{"42e01f", "42e034", true}, // level may differ
		{"42e01f", "42c01f", true},
		{"42e01f", "42401f", true},
		{"42C01F", "42e00a", true},
		{"42e01f", "4d801f", true}, // Main with constraint_set0 is Constrained Baseline
		{"42e01f", "42001f", false},
		{"42001f", "420032", true},
		{"42001f", "", true}, // absent means 420010
		{"42e01f", "", false},
		{"42e01f", "4d001f", false},
		{"4d001f", "4d0032", true},
		{"640c1f", "640c34", true},
		{"640c1f", "64001f", false},
		{"64001f", "640028", true},
		{"f4001f", "f40032", true},
		{"f4001f", "7a001f", false},
		{"42e01f", "zzzzzz", false},
		{"bogus", "bogus", false},
	}
	for _, tt := range tests {
		if got := ProfilesMatch(tt.a, tt.b); got != tt.want {
			t.Errorf("ProfilesMatch(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
		if got := ProfilesMatch(tt.b, tt.a); got != tt.want {
			t.Errorf("ProfilesMatch(%q, %q) = %v, want %v", tt.b, tt.a, got, tt.want)
		}
	}
}

func TestProfileLevelFromSPS(t *testing.T) {
	pl, err := ProfileLevelFromSPS(testSPS)
	if err != nil || pl != (ProfileLevel{0x42, 0xc0, 0x1f}) {
		t.Errorf("ProfileLevelFromSPS = %+v, %v", pl, err)
	}
	for _, bad := range [][]byte{nil, {0x67, 0x42}, testPPS} {
		if _, err := ProfileLevelFromSPS(bad); !errors.Is(err, ErrInvalidProfileLevelID) {
			t.Errorf("ProfileLevelFromSPS(% x) error = %v", bad, err)
		}
	}
}

func TestProfileString(t *testing.T) {
	if s := ProfileConstrainedBaseline.String(); s != "Constrained Baseline" {
		t.Errorf("String() = %q", s)
	}
	if s := Profile(99).String(); s != "Profile(99)" {
		t.Errorf("String() = %q", s)
	}
}
