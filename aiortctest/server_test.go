package aiortctest

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDialAiortcEchoServer runs the real examples/dial against
// echo_server.py (aiortc): 200 messages alternating text and binary, up to
// 64 KiB, must come back intact and in order, and dial must exit 0.
func TestDialAiortcEchoServer(t *testing.T) {
	ctx := testContext(t)
	python(t) // fails at once without aiortc
	dial := example(t, "dial")

	p := startProcess(t, "echo_server.py", pythonCommand(t, "echo_server.py", "-addr", "127.0.0.1:0"))
	var url string
	p.waitReady(t, ctx, func() bool {
		for line := range strings.Lines(p.out.String()) {
			if u, ok := strings.CutPrefix(strings.TrimSpace(line), "listening on "); ok {
				url = u
				return true
			}
		}
		return false
	})

	out := runClient(t, ctx, "examples/dial", exec.Command(dial, "-url", url,
		"-messages", "200", "-size", "65536", "-timeout", "30s"))
	if !strings.Contains(out, "200 messages echoed") || !strings.Contains(out, "max message 65536 bytes") {
		t.Errorf("dial summary %q: want 200 messages echoed, max message 65536 bytes", out)
	}
}
