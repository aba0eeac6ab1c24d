package browsertest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/chanrtc/chanrtc/internal/netnstest"
)

// testTimeout bounds each test: Chromium, chanrtc and any server die with
// its context.
const testTimeout = 60 * time.Second

// findChromium finds the browser: $CHROMIUM_BIN, /usr/bin/chromium, then
// chromium on PATH.
func findChromium() (string, error) {
	if p := os.Getenv("CHROMIUM_BIN"); p != "" {
		full, err := exec.LookPath(p)
		if err != nil {
			return "", fmt.Errorf("CHROMIUM_BIN=%q: %v (unset it to use /usr/bin/chromium from apt-get install -y chromium)", p, err)
		}
		return full, nil
	}
	if fi, err := os.Stat("/usr/bin/chromium"); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
		return "/usr/bin/chromium", nil
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p, nil
	}
	return "", errors.New("Chromium not found (not in $CHROMIUM_BIN, /usr/bin/chromium or on PATH): " +
		"install it with apt-get install -y chromium, or set CHROMIUM_BIN")
}

// testContext returns a context that ends after testTimeout, or a little
// before the test binary's own deadline, whichever is first; it fails the
// test outside the loopback-only namespace.
func testContext(t *testing.T) context.Context {
	t.Helper()
	return netnstest.Context(t, testTimeout)
}

// browser is one headless Chromium with one tab.
type browser struct {
	t       *testing.T
	ctx     context.Context // the tab; ends with the test's context
	output  lockedBuffer    // Chromium's stdout and stderr
	console lockedBuffer    // the page's console and uncaught exceptions
}

// startBrowser starts Chromium for the test. It is stopped, and every
// process it started is gone, when the test ends.
func startBrowser(t *testing.T, ctx context.Context) *browser {
	t.Helper()
	exe, err := findChromium()
	if err != nil {
		t.Fatal(err)
	}
	dataDir := t.TempDir()
	b := &browser{t: t}
	opts := append(slices.Clone(chromedp.DefaultExecAllocatorOptions[:]),
		chromedp.ExecPath(exe),
		chromedp.UserDataDir(dataDir),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("allow-loopback-in-peer-connection", true),
		// Replaces the default list; keep its entries.
		chromedp.Flag("disable-features", "Translate,BlinkGenPropertyTrees,WebRtcHideLocalIpsWithMdns"),
		chromedp.Flag("use-fake-ui-for-media-stream", true),
		chromedp.Flag("use-fake-device-for-media-stream", true),
		// A page plays media with sound without a click first (as it
		// would after one): received audio is decoded only while a media
		// element plays it.
		chromedp.Flag("autoplay-policy", "no-user-gesture-required"),
		chromedp.CombinedOutput(&b.output),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	tabCtx, cancelTab := chromedp.NewContext(allocCtx)
	b.ctx = tabCtx

	// Cleanups run last-in first-out: stop the browser, make sure no
	// process of it is left, then (t.TempDir's cleanup) remove its profile.
	t.Cleanup(func() {
		cancelTab()
		cancelAlloc()
		if left := killProfileProcesses(dataDir, 5*time.Second); len(left) > 0 {
			t.Errorf("Chromium processes still running after the browser was stopped (killed): %s",
				strings.Join(left, "; "))
		}
	})
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("page console:\n%s", b.console.String())
			t.Logf("Chromium output (last 8 KiB):\n%s", tail(b.output.String(), 8<<10))
		}
	})

	start := time.Now()
	if err := chromedp.Do(tabCtx); err != nil { // starts the browser
		t.Fatalf("starting Chromium (%s): %v\n%s", exe, err, tail(b.output.String(), 8<<10))
	}
	messages := chromedp.Console(tabCtx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			b.console.WriteString(m.String() + "\n")
		}
	}()
	t.Logf("Chromium started in %v", time.Since(start).Round(time.Millisecond))
	return b
}

// navigate loads url in the tab.
func (b *browser) navigate(url string) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, chromedp.Navigate(url)); err != nil {
		b.t.Fatalf("navigate %s: %v", url, err)
	}
}

// eval runs a JavaScript expression in the page, awaits the promise it
// returns, and decodes the result into T.
func eval[T any](b *browser, js string) (T, error) {
	return chromedp.Run(b.ctx, chromedp.Evaluate[T](js, chromedp.EvalAwaitPromise))
}

// mustEval is eval that fails the test on error.
func mustEval[T any](b *browser, what, js string) T {
	b.t.Helper()
	v, err := eval[T](b, js)
	if err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
	return v
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	q, err := json.Marshal(s)
	if err != nil {
		panic(err)
	}
	return string(q)
}

// killProfileProcesses waits up to grace for the processes that run with
// --user-data-dir=dir to exit, then kills those left and describes them.
func killProfileProcesses(dir string, grace time.Duration) []string {
	want := "--user-data-dir=" + dir
	deadline := time.Now().Add(grace)
	for {
		var found []netnstest.Proc
		for _, p := range netnstest.Processes() {
			if !p.Zombie && slices.Contains(p.Args, want) {
				found = append(found, p)
			}
		}
		if len(found) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			var left []string
			for _, p := range found {
				_ = syscall.Kill(p.PID, syscall.SIGKILL)
				left = append(left, fmt.Sprintf("%d %s", p.PID, p.Cmdline))
			}
			return left
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// lockedBuffer is a strings.Builder safe for concurrent use.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) WriteString(s string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.b.WriteString(s)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "..." + s[len(s)-n:]
}

// checkCandidates fails the test unless every candidate in the SDP is a
// 127.0.0.1 host candidate, and there is at least one.
func checkCandidates(t *testing.T, who, sdp string) {
	t.Helper()
	n := 0
	for line := range strings.Lines(sdp) {
		line = strings.TrimSpace(line)
		if !strings.HasPrefix(line, "a=candidate:") {
			continue
		}
		n++
		// candidate:<foundation> <component> <transport> <priority> <address> <port> typ <type> ...
		f := strings.Fields(strings.TrimPrefix(line, "a="))
		if len(f) < 8 || f[4] != "127.0.0.1" || f[7] != "host" {
			t.Errorf("%s: candidate not a 127.0.0.1 host candidate: %s", who, line)
		}
	}
	if n == 0 {
		t.Fatalf("%s: no candidate in the SDP:\n%s", who, sdp)
	}
}

// sdpAttr returns the value of the first a=<name>: line, or "".
func sdpAttr(sdp, name string) string {
	for line := range strings.Lines(sdp) {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "a="+name+":"); ok {
			return v
		}
	}
	return ""
}
