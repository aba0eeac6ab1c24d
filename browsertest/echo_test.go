package browsertest

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/chanrtc/chanrtc/internal/netnstest"
)

// TestEchoPage runs the real examples/echo server and drives its page in
// Chromium: connect, then text and binary echoes through the page's own
// functions (see examples/echo/index.html).
func TestEchoPage(t *testing.T) {
	ctx := testContext(t)
	bin := netnstest.Example(t, "echo")
	url := startEchoServer(t, ctx, bin)

	b := startBrowser(t, ctx)
	b.navigate(url)

	start := time.Now()
	if got := mustEval[string](b, "connect()", `connect()`); got != "open" {
		t.Fatalf("connect() = %q, want open", got)
	}
	t.Logf("connect() took %v", time.Since(start).Round(time.Millisecond))

	type state struct {
		Connection     string `json:"connection"`
		ICE            string `json:"ice"`
		Channel        string `json:"channel"`
		MaxMessageSize int    `json:"maxMessageSize"`
		Echoes         int    `json:"echoes"`
	}
	// Chromium can fire the channel's open event before its
	// connectionState turns connected: give the state a moment.
	st := mustEval[state](b, "state()", `new Promise((resolve) => {
		const deadline = performance.now() + 5000;
		const poll = () => {
			const s = state();
			if (s.connection !== 'connecting' || performance.now() > deadline) resolve(s);
			else setTimeout(poll, 10);
		};
		poll();
	})`)
	if st.Connection != "connected" || st.Channel != "open" {
		t.Errorf("state() after connect: %+v", st)
	}

	for _, s := range []string{"hello from Chromium", "", "héllo wörld ✓ 🎉"} {
		if got := mustEval[string](b, "echoText", `echoText(`+jsString(s)+`)`); got != s {
			t.Errorf("echoText(%q) = %q", s, got)
		}
	}
	for _, n := range []int{1, 1200, 65536, st.MaxMessageSize} {
		if got := mustEval[int](b, "echoBinary", fmt.Sprintf(`echoBinary(%d)`, n)); got != n {
			t.Errorf("echoBinary(%d) = %d", n, got)
		}
	}
	// Overlapping calls: each waits for its own echo, in order.
	if got := mustEval[int](b, "overlapping echoes", `Promise.all([
		echoText('a'), echoBinary(3000), echoText('b'), echoBinary(65536), echoText('c'),
	]).then((r) => r.join(',') === 'a,3000,b,65536,c' ? 5 : -1)`); got != 5 {
		t.Errorf("overlapping echoes came back wrong")
	}

	st = mustEval[state](b, "state()", `state()`)
	if want := 3 + 4 + 5; st.Echoes != want || st.Connection != "connected" {
		t.Errorf("state() after the echoes: %+v, want %d echoes and connected", st, want)
	}
	if got := mustEval[string](b, "disconnect()", `disconnect()`); got != "closed" {
		t.Errorf("disconnect() = %q, want closed", got)
	}
}

// startEchoServer runs the echo binary on a free 127.0.0.1 port and returns
// its URL once it answers. The server gets SIGTERM when the test ends and
// must exit cleanly.
func startEchoServer(t *testing.T, ctx context.Context, bin string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing else runs in this network namespace to take it

	var out lockedBuffer
	cmd := exec.Command(bin, "-addr", addr)
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	answered := false
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case err := <-exited:
			// Before it answered, it may not handle SIGTERM yet.
			if err != nil && answered {
				t.Errorf("echo server exit after SIGTERM: %v", err)
			}
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
			t.Errorf("echo server still running 10 s after SIGTERM (killed)")
		}
		if t.Failed() {
			t.Logf("echo server output:\n%s", tail(out.String(), 16<<10))
		}
	})

	url := "http://" + addr + "/"
	client := &http.Client{Timeout: time.Second}
	for {
		resp, err := client.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				answered = true
				return url
			}
			t.Fatalf("GET %s: %s", url, resp.Status)
		}
		select {
		case err := <-exited:
			exited <- err
			t.Fatalf("echo server exited before it answered (%v):\n%s", err, out.String())
		case <-ctx.Done():
			t.Fatalf("echo server not answering on %s: %v", url, err)
		case <-time.After(20 * time.Millisecond):
		}
	}
}
