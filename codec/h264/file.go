package h264

import (
	"bytes"
	"errors"
	"io"
	"os"
)

// ReadFile reads a whole .h264 (Annex-B) file into access units.
func ReadFile(path string) ([][]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := NewReader(f)
	var aus [][]byte
	for {
		au, err := r.Next()
		if errors.Is(err, io.EOF) {
			if len(aus) == 0 {
				return nil, errors.New("h264: " + path + ": no access unit")
			}
			return aus, nil
		}
		if err != nil {
			return nil, err
		}
		aus = append(aus, au)
	}
}

// EqualAU reports whether two access units carry the same NAL units,
// whatever their start codes and whether access unit delimiters (which
// the packetizer drops) are present.
func EqualAU(a, b []byte) bool {
	return bytes.Equal(nalsOnly(a), nalsOnly(b))
}

func nalsOnly(au []byte) []byte {
	var out []byte
	SplitAnnexB(au, func(n []byte) {
		if len(n) > 0 && n[0]&0x1f != NALUAUD {
			out = AppendAnnexB(out, n)
		}
	})
	return out
}
