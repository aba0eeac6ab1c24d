package aiortctest

import (
	"context"
	"net"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestAiortcClientDataChannel runs client.py (aiortc) against the real
// examples/echo: on "echo", 60 messages alternating text and binary, the
// empty message, 16 KiB and the answer's max-message-size among them, must
// come back intact, in order and with their type; then five more channels
// at once, one of each DCEP reliability mode (unordered, maxRetransmits 0
// and 3, maxPacketLifeTime) and one with a subprotocol, echo theirs; and
// closing one of them resets its stream on both sides.
func TestAiortcClientDataChannel(t *testing.T) {
	ctx := testContext(t)
	python(t) // fails at once without aiortc
	url := startEcho(t, ctx)
	out := runClient(t, ctx, "client.py", pythonCommand(t, "client.py", "-url", url, "-messages", "60", "-channels", "-timeout", "20"))
	if !strings.Contains(out, "60 echoes") || !strings.Contains(out, "5 more channels") {
		t.Errorf("client.py summary %q: want 60 echoes and 5 more channels", out)
	}
}

// TestAiortcClientMedia runs client.py with a video and an audio track
// through the real examples/echo, once per video codec aiortc and the echo
// share: the reflected video must decode, frame after frame, to the
// pattern aiortc drew (its frame number included, so frames come back in
// order), the reflected Opus to the 440 Hz tone it sent, along with
// DataChannel echoes on the same connection.
func TestAiortcClientMedia(t *testing.T) {
	for _, codec := range []string{"video/VP8", "video/H264"} {
		name := strings.TrimPrefix(codec, "video/")
		t.Run(name, func(t *testing.T) {
			ctx := testContext(t)
			python(t) // fails at once without aiortc
			url := startEcho(t, ctx)
			out := runClient(t, ctx, "client.py -media", pythonCommand(t, "client.py", "-url", url,
				"-messages", "10", "-media", "-codec", codec, "-frames", "30", "-timeout", "20"))
			if !strings.Contains(out, "video "+name+":") || !strings.Contains(out, "audio opus:") {
				t.Errorf("client.py summary %q: want video %s and audio opus", out, name)
			}
		})
	}
}

// startEcho runs examples/echo on a free 127.0.0.1 port and returns its
// offer URL once it answers.
func startEcho(t *testing.T, ctx context.Context) string {
	t.Helper()
	bin := example(t, "echo")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing else runs in this network namespace to take it

	p := startProcess(t, "examples/echo", exec.Command(bin, "-addr", addr))
	client := &http.Client{Timeout: time.Second}
	p.waitReady(t, ctx, func() bool {
		resp, err := client.Get("http://" + addr + "/")
		if err != nil {
			return false
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET http://%s/: %s", addr, resp.Status)
		}
		return true
	})
	return "http://" + addr + "/offer"
}
