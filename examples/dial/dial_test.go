package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/chanrtc/chanrtc"
	"go.uber.org/goleak"
)

// testConfig keeps test traffic on 127.0.0.1 with mDNS off.
func testConfig() chanrtc.Config {
	return chanrtc.Config{LoopbackOnly: true, MDNS: chanrtc.MDNSDisabled}
}

func checkLeaks(t *testing.T) {
	t.Helper()
	opts := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, opts) })
}

// echoServer is a small, independent implementation of the echo contract's
// server side, with a hook to misbehave: transform sees the n-th message
// (from 1) and returns what to echo, or false to echo nothing.
type echoServer struct {
	cfg       *chanrtc.Config // nil: testConfig()
	transform func(n int, m chanrtc.DataChannelMessage) (chanrtc.DataChannelMessage, bool)

	mu  sync.Mutex
	pcs []*chanrtc.PeerConnection
}

func startEcho(t *testing.T, e *echoServer) string {
	t.Helper()
	ts := httptest.NewServer(http.HandlerFunc(e.offer))
	t.Cleanup(func() {
		ts.Close()
		e.mu.Lock()
		defer e.mu.Unlock()
		for _, pc := range e.pcs {
			_ = pc.Close()
		}
	})
	return ts.URL + "/offer"
}

func (e *echoServer) offer(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	cfg := testConfig()
	if e.cfg != nil {
		cfg = *e.cfg
	}
	pc, err := chanrtc.NewPeerConnection(cfg)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	e.mu.Lock()
	e.pcs = append(e.pcs, pc)
	e.mu.Unlock()
	pc.OnDataChannel(func(dc *chanrtc.DataChannel) {
		n := 0
		dc.OnMessage(func(m chanrtc.DataChannelMessage) {
			n++
			if e.transform != nil {
				var ok bool
				if m, ok = e.transform(n, m); !ok {
					return
				}
			}
			if m.IsString {
				_ = dc.SendText(string(m.Data))
			} else {
				_ = dc.Send(m.Data)
			}
		})
	})
	if err := pc.SetRemoteDescription(chanrtc.SessionDescription{Type: chanrtc.SDPTypeOffer, SDP: string(body)}); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	answer, err := pc.CreateAnswer()
	if err == nil {
		err = pc.SetLocalDescription(answer)
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	<-pc.GatheringComplete()
	w.Header().Set("Content-Type", "application/sdp")
	w.WriteHeader(http.StatusCreated)
	_, _ = io.WriteString(w, pc.LocalDescription().SDP)
}

// testOptions keep runs short: the race detector slows DataChannel
// throughput to a few MB/s.
func testOptions(url string) options {
	return options{URL: url, Messages: 200, Size: 16384, Seed: 7, Timeout: 20 * time.Second, Config: testConfig()}
}

func TestRun(t *testing.T) {
	checkLeaks(t)
	url := startEcho(t, &echoServer{})
	o := testOptions(url)
	o.Messages, o.Size = 100, 65536
	sum, err := run(t.Context(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Log(sum)
	if sum.Messages != 100 || sum.MaxSize != 65536 || sum.Bytes == 0 || sum.Connect <= 0 || sum.Elapsed <= 0 {
		t.Errorf("summary %+v", sum)
	}
	if !strings.HasPrefix(sum.String(), "ok: 100 messages") {
		t.Errorf("summary line %q", sum)
	}
}

func TestRunCapsSizeAtMaxMessageSize(t *testing.T) {
	cfg := testConfig()
	cfg.MaxMessageSize = 4096
	largest := 0
	var mu sync.Mutex
	url := startEcho(t, &echoServer{cfg: &cfg, transform: func(_ int, m chanrtc.DataChannelMessage) (chanrtc.DataChannelMessage, bool) {
		mu.Lock()
		largest = max(largest, len(m.Data))
		mu.Unlock()
		return m, true
	}})
	sum, err := run(t.Context(), testOptions(url))
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if sum.MaxSize != 4096 || largest != 4096 {
		t.Errorf("max size %d, largest message %d; want 4096", sum.MaxSize, largest)
	}
}

func TestRunDetectsBadEchoes(t *testing.T) {
	for _, tc := range []struct {
		name      string
		transform func(n int, m chanrtc.DataChannelMessage) (chanrtc.DataChannelMessage, bool)
		small     bool // small messages and a short timeout
		want      string
	}{
		{"corrupted byte", func(n int, m chanrtc.DataChannelMessage) (chanrtc.DataChannelMessage, bool) {
			if n == 58 && len(m.Data) > 0 {
				d := append([]byte(nil), m.Data...)
				d[len(d)/2] ^= 0x40
				m.Data = d
			}
			return m, true
		}, false, "echo 58 of 200"},
		{"text as binary", func(n int, m chanrtc.DataChannelMessage) (chanrtc.DataChannelMessage, bool) {
			if n == 11 {
				m.IsString = false
			}
			return m, true
		}, false, "echo 11 of 200: sent"},
		{"truncated", func(n int, m chanrtc.DataChannelMessage) (chanrtc.DataChannelMessage, bool) {
			if n == 2 {
				m.Data = m.Data[:len(m.Data)-1]
			}
			return m, true
		}, false, "echo 2 of 200: sent 16384 bytes of binary, got 16383"},
		{"swapped", func() func(n int, m chanrtc.DataChannelMessage) (chanrtc.DataChannelMessage, bool) {
			var held chanrtc.DataChannelMessage
			return func(n int, m chanrtc.DataChannelMessage) (chanrtc.DataChannelMessage, bool) {
				switch n {
				case 5:
					held = chanrtc.DataChannelMessage{IsString: m.IsString, Data: append([]byte(nil), m.Data...)}
					return m, false
				case 7:
					return held, true // 6 comes back first, then 5
				}
				return m, true
			}
		}(), false, "echo 5 of 200"},
		{"dropped", func(n int, m chanrtc.DataChannelMessage) (chanrtc.DataChannelMessage, bool) {
			return m, n != 200
		}, true, "waiting for echo 200 of 200"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			url := startEcho(t, &echoServer{transform: tc.transform})
			o := testOptions(url)
			if tc.small {
				o.Size, o.Timeout = 1024, 3*time.Second
			}
			_, err := run(t.Context(), o)
			if err == nil {
				t.Fatal("run succeeded against a bad echo")
			}
			t.Log(err)
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not contain %q", err, tc.want)
			}
		})
	}
}

func TestRunHTTPErrors(t *testing.T) {
	for _, tc := range []struct {
		name    string
		handler http.HandlerFunc
		want    string
	}{
		{"400", func(w http.ResponseWriter, _ *http.Request) {
			http.Error(w, "bad offer", http.StatusBadRequest)
		}, "400 Bad Request (want 201 Created): bad offer"},
		{"200", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/sdp")
			_, _ = io.WriteString(w, "v=0\r\n")
		}, "200 OK (want 201 Created)"},
		{"content type", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusCreated)
			_, _ = io.WriteString(w, `{"type":"answer","sdp":""}`)
		}, `Content-Type "application/json"`},
		{"bad answer", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/sdp")
			w.WriteHeader(http.StatusCreated)
			_, _ = io.WriteString(w, "not sdp")
		}, "applying the answer"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts := httptest.NewServer(tc.handler)
			defer ts.Close()
			_, err := run(t.Context(), testOptions(ts.URL+"/offer"))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestGenerator(t *testing.T) {
	const maxSize = 5000
	a, b := newGenerator(3, maxSize), newGenerator(3, maxSize)
	corners := []struct {
		text bool
		size int
	}{{true, 0}, {false, maxSize}, {true, maxSize}, {false, 0}}
	sawMultibyte := false
	for i := range 1000 {
		m, m2 := a.next(), b.next()
		if compare(m, m2) != nil {
			t.Fatalf("message %d differs between generators with one seed", i)
		}
		if m.IsString != (i%2 == 0) || len(m.Data) > maxSize {
			t.Fatalf("message %d: text %v, %d bytes", i, m.IsString, len(m.Data))
		}
		if i < len(corners) && (m.IsString != corners[i].text || len(m.Data) != corners[i].size) {
			t.Errorf("message %d: text %v, %d bytes; want %+v", i, m.IsString, len(m.Data), corners[i])
		}
		if m.IsString {
			if !utf8.Valid(m.Data) {
				t.Fatalf("message %d is not valid UTF-8", i)
			}
			sawMultibyte = sawMultibyte || utf8.RuneCount(m.Data) < len(m.Data)
		}
	}
	if !sawMultibyte {
		t.Error("no text message had a multi-byte rune")
	}
}

// TestAgainstEchoCommand builds examples/echo, runs it on a free loopback
// port, dials it, and stops it with SIGINT, which must exit cleanly.
func TestAgainstEchoCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs examples/echo")
	}
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command:", err)
	}
	bin := filepath.Join(t.TempDir(), "echo")
	build := exec.Command(gobin, "build", "-o", bin, "../echo")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ../echo: %v\n%s", err, out)
	}

	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "-addr", "127.0.0.1:0")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	logs := make(chan string, 1)
	addr := make(chan string, 1)
	go func() {
		var all strings.Builder
		listening := regexp.MustCompile(`msg=listening addr=(\S+)`)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			all.WriteString(sc.Text() + "\n")
			if m := listening.FindStringSubmatch(sc.Text()); m != nil {
				addr <- m[1]
			}
		}
		logs <- all.String()
		exited <- cmd.Wait()
	}()
	var url string
	select {
	case a := <-addr:
		url = "http://" + a + "/offer"
	case <-ctx.Done():
		t.Fatal("echo did not report its address")
	}

	o := testOptions(url)
	o.Messages = 300
	sum, err := run(ctx, o)
	if err != nil {
		t.Error(err)
	} else {
		t.Log(sum)
	}
	// And with media: H.264 and Opus reflected by the echo.
	o.Media, o.VideoFile, o.AudioFile = true, "../../testdata/h264/clip.h264", "../../testdata/opus/clip.ogg"
	o.Messages = 10
	sum, err = run(ctx, o)
	if err != nil {
		t.Errorf("with media: %v", err)
	} else if !strings.Contains(sum.Media, "60/60 video") {
		t.Errorf("with media: %s", sum.Media)
	} else {
		t.Log(sum)
	}

	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	out := <-logs
	if err := <-exited; err != nil {
		t.Errorf("echo exited with %v after SIGINT", err)
	}
	for _, want := range []string{"msg=offer", "msg=datachannel", `msg="shutting down"`, "reflecting track", "msg=closed", "msg=stopped"} {
		if !strings.Contains(out, want) {
			t.Errorf("echo's log lacks %s", want)
		}
	}
	if t.Failed() {
		t.Logf("echo's log:\n%s", out)
	}
}
