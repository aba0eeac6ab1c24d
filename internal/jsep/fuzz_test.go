package jsep

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParseDescription checks that no input makes the parser or the answer
// builder panic, that every refusal wraps ErrInvalidSDP, and that an answer we
// build from an accepted description is one we accept ourselves.
func FuzzParseDescription(f *testing.F) {
	f.Add(dataOnly)
	f.Add(audioAndData)
	files, _ := filepath.Glob(filepath.Join("testdata", "*.sdp"))
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(b))
	}
	f.Fuzz(func(t *testing.T, text string) {
		d, err := ParseDescription(text)
		if err != nil {
			if !errors.Is(err, ErrInvalidSDP) {
				t.Fatalf("error does not wrap ErrInvalidSDP: %v", err)
			}
			return
		}
		answer, err := BuildAnswer(d, testLocal())
		if err != nil {
			if !errors.Is(err, ErrInvalidSDP) {
				t.Fatalf("BuildAnswer error does not wrap ErrInvalidSDP: %v", err)
			}
			return
		}
		if len(answer) > maxSDPSize {
			return // echoing a near-limit offer may cross the limit
		}
		ans, err := ParseDescription(answer)
		if err != nil {
			t.Fatalf("our answer does not parse: %v\noffer:\n%q\nanswer:\n%q", err, text, answer)
		}
		if len(ans.Media) != len(d.Media) || (ans.Data != nil) != (d.Data != nil) {
			t.Fatalf("answer has %d sections (data %v) for %d offered (data %v)", len(ans.Media), ans.Data != nil, len(d.Media), d.Data != nil)
		}
	})
}
