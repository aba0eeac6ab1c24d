package h264

import (
	"errors"
	"fmt"
)

// ErrInvalidProfileLevelID is returned by [ParseProfileLevelID] for a value
// that is not six hexadecimal digits.
var ErrInvalidProfileLevelID = errors.New("h264: invalid profile-level-id")

// DefaultProfileLevelID is the profile-level-id that applies when an SDP
// fmtp line has none (RFC 6184 §8.1): Baseline profile, level 1.0.
const DefaultProfileLevelID = "420010"

// ProfileLevel is a decoded profile-level-id (RFC 6184 §8.1): the first
// three bytes of a sequence parameter set after its NAL header.
type ProfileLevel struct {
	ProfileIDC byte // profile_idc: 66 Baseline, 77 Main, 100 High, ...
	ProfileIOP byte // constraint_set0_flag (0x80) ... constraint_set5_flag (0x04), 2 reserved bits
	LevelIDC   byte // level_idc: 10 times the level number (31 is level 3.1)
}

// Profile is an H.264 profile as far as SDP negotiation cares.
type Profile int

// Profiles that browsers offer and that negotiation tells apart.
const (
	ProfileOther Profile = iota // any other profile_idc: compared by value
	ProfileConstrainedBaseline
	ProfileBaseline
	ProfileMain
	ProfileExtended
	ProfileHigh
	ProfileProgressiveHigh
	ProfileConstrainedHigh
)

var profileNames = [...]string{
	ProfileOther:               "other",
	ProfileConstrainedBaseline: "Constrained Baseline",
	ProfileBaseline:            "Baseline",
	ProfileMain:                "Main",
	ProfileExtended:            "Extended",
	ProfileHigh:                "High",
	ProfileProgressiveHigh:     "Progressive High",
	ProfileConstrainedHigh:     "Constrained High",
}

func (p Profile) String() string {
	if p < 0 || int(p) >= len(profileNames) {
		return fmt.Sprintf("Profile(%d)", int(p))
	}
	return profileNames[p]
}

// Constraint set flags within ProfileIOP.
const (
	constraintSet0 = 0x80
	constraintSet1 = 0x40
	constraintSet3 = 0x10
	constraintSet4 = 0x08
	constraintSet5 = 0x04
)

// ParseProfileLevelID parses an SDP profile-level-id such as "42e01f", in
// either case. An empty string means [DefaultProfileLevelID].
func ParseProfileLevelID(s string) (ProfileLevel, error) {
	if s == "" {
		s = DefaultProfileLevelID
	}
	if len(s) != 6 {
		return ProfileLevel{}, fmt.Errorf("%w: %q", ErrInvalidProfileLevelID, s)
	}
	var b [3]byte
	for i := range 6 {
		v, ok := hexDigit(s[i])
		if !ok {
			return ProfileLevel{}, fmt.Errorf("%w: %q", ErrInvalidProfileLevelID, s)
		}
		b[i/2] = b[i/2]<<4 | v
	}
	return ProfileLevel{ProfileIDC: b[0], ProfileIOP: b[1], LevelIDC: b[2]}, nil
}

func hexDigit(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// ProfileLevelFromSPS reads the profile and level of a sequence parameter
// set NAL unit.
func ProfileLevelFromSPS(sps []byte) (ProfileLevel, error) {
	if len(sps) < 4 || NALType(sps) != NALUSPS {
		return ProfileLevel{}, fmt.Errorf("%w: not a sequence parameter set", ErrInvalidProfileLevelID)
	}
	return ProfileLevel{ProfileIDC: sps[1], ProfileIOP: sps[2], LevelIDC: sps[3]}, nil
}

// String formats pl as an SDP profile-level-id, in lower case.
func (pl ProfileLevel) String() string {
	return fmt.Sprintf("%02x%02x%02x", pl.ProfileIDC, pl.ProfileIOP, pl.LevelIDC)
}

// Profile classifies pl by H.264 Annex A. A stream that obeys the
// constraints of Constrained Baseline is reported as such whichever
// profile_idc it signals it with: 66 with constraint_set1, 77 with
// constraint_set0, or 88 with constraint_set0 and constraint_set1.
func (pl ProfileLevel) Profile() Profile {
	iop := pl.ProfileIOP
	switch pl.ProfileIDC {
	case 66:
		if iop&constraintSet1 != 0 {
			return ProfileConstrainedBaseline
		}
		return ProfileBaseline
	case 77:
		if iop&constraintSet0 != 0 {
			return ProfileConstrainedBaseline
		}
		return ProfileMain
	case 88:
		switch {
		case iop&constraintSet0 != 0 && iop&constraintSet1 != 0:
			return ProfileConstrainedBaseline
		case iop&constraintSet0 != 0:
			return ProfileBaseline
		}
		return ProfileExtended
	case 100:
		switch {
		case iop&constraintSet4 != 0 && iop&constraintSet5 != 0:
			return ProfileConstrainedHigh
		case iop&constraintSet4 != 0:
			return ProfileProgressiveHigh
		}
		return ProfileHigh
	}
	return ProfileOther
}

// Level1b reports whether pl denotes level 1b, which level_idc alone cannot
// tell from level 1.1 in the Baseline, Main and Extended profiles.
func (pl ProfileLevel) Level1b() bool {
	switch pl.ProfileIDC {
	case 66, 77, 88:
		return pl.LevelIDC == 11 && pl.ProfileIOP&constraintSet3 != 0 || pl.LevelIDC == 9
	}
	return pl.LevelIDC == 9
}

// ProfilesMatch reports whether the profile-level-ids a and b (as in SDP;
// empty means [DefaultProfileLevelID]) denote the same profile, whatever
// their levels, as offer/answer requires of H.264 payload types (RFC 6184
// §8.2.2). Like browsers, it treats every spelling of Constrained Baseline
// as one profile: 42e01f, 42c01f and 42401f match each other but not
// Baseline 42001f. Profiles it does not name match when profile_idc is
// equal. Invalid values match nothing.
func ProfilesMatch(a, b string) bool {
	pa, err := ParseProfileLevelID(a)
	if err != nil {
		return false
	}
	pb, err := ParseProfileLevelID(b)
	if err != nil {
		return false
	}
	ka, kb := pa.Profile(), pb.Profile()
	if ka != kb {
		return false
	}
	return ka != ProfileOther || pa.ProfileIDC == pb.ProfileIDC
}
