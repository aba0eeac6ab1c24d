package main

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chanrtc/chanrtc"
	"github.com/chanrtc/chanrtc/examples/internal/offer"
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

// startServer runs the echo handler on an httptest server on 127.0.0.1.
func startServer(t *testing.T, cfg chanrtc.Config) (*server, *httptest.Server) {
	t.Helper()
	s := newServer(cfg, slog.New(slog.NewTextHandler(t.Output(), nil)))
	ts := httptest.NewServer(s)
	t.Cleanup(func() {
		ts.Close()
		s.Close()
	})
	return s, ts
}

// client is the test's side of a connection.
type client struct {
	pc   *chanrtc.PeerConnection
	dc   *chanrtc.DataChannel
	msgs chan chanrtc.DataChannelMessage
}

// dial connects a client to the echo server at url, the way the echo
// contract says: a complete offer POSTed, a complete answer back.
func dial(t *testing.T, url string) *client {
	t.Helper()
	pc, err := chanrtc.NewPeerConnection(testConfig())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pc.Close() })
	c := &client{pc: pc}
	c.dc, c.msgs = openChannel(t, pc, "echo")
	postOffer(t, url, pc)
	waitOpen(t, c.dc)
	return c
}

// postOffer makes pc's complete offer, POSTs it to the server at url and
// applies the answer.
func postOffer(t *testing.T, url string, pc *chanrtc.PeerConnection) {
	t.Helper()
	offer, err := pc.CreateOffer()
	if err != nil {
		t.Fatal(err)
	}
	if err := pc.SetLocalDescription(offer); err != nil {
		t.Fatal(err)
	}
	recv(t, pc.GatheringComplete(), "gathering")
	resp, err := http.Post(url+"/offer", "application/sdp", strings.NewReader(pc.LocalDescription().SDP))
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("POST /offer: %s: %s", resp.Status, body)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/sdp" {
		t.Errorf("answer Content-Type %q", ct)
	}
	if !strings.Contains(string(body), "a=end-of-candidates") {
		t.Errorf("answer is not complete:\n%s", body)
	}
	if err := pc.SetRemoteDescription(chanrtc.SessionDescription{Type: chanrtc.SDPTypeAnswer, SDP: string(body)}); err != nil {
		t.Fatal(err)
	}
}

// openChannel creates a DataChannel whose messages arrive on the returned
// channel.
func openChannel(t *testing.T, pc *chanrtc.PeerConnection, label string) (*chanrtc.DataChannel, chan chanrtc.DataChannelMessage) {
	t.Helper()
	dc, err := pc.CreateDataChannel(label, nil)
	if err != nil {
		t.Fatal(err)
	}
	msgs := make(chan chanrtc.DataChannelMessage, 256)
	dc.OnMessage(func(m chanrtc.DataChannelMessage) { msgs <- m })
	return dc, msgs
}

func waitOpen(t *testing.T, dc *chanrtc.DataChannel) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for dc.ReadyState() != chanrtc.DataChannelStateOpen {
		if time.Now().After(deadline) {
			t.Fatalf("DataChannel %q not open: %s", dc.Label(), dc.ReadyState())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func recv[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(10 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
		panic("unreachable")
	}
}

// roundTrip sends m on dc and checks that the next message back is m.
func roundTrip(t *testing.T, dc *chanrtc.DataChannel, msgs <-chan chanrtc.DataChannelMessage, m chanrtc.DataChannelMessage) {
	t.Helper()
	send(t, dc, m)
	expect(t, msgs, m)
}

func send(t *testing.T, dc *chanrtc.DataChannel, m chanrtc.DataChannelMessage) {
	t.Helper()
	var err error
	if m.IsString {
		err = dc.SendText(string(m.Data))
	} else {
		err = dc.Send(m.Data)
	}
	if err != nil {
		t.Fatalf("send %d bytes: %v", len(m.Data), err)
	}
}

func expect(t *testing.T, msgs <-chan chanrtc.DataChannelMessage, want chanrtc.DataChannelMessage) {
	t.Helper()
	got := recv(t, msgs, fmt.Sprintf("echo of %d bytes", len(want.Data)))
	if got.IsString != want.IsString || !bytes.Equal(got.Data, want.Data) {
		t.Fatalf("echo differs: sent %d bytes (text %v), got %d bytes (text %v)",
			len(want.Data), want.IsString, len(got.Data), got.IsString)
	}
}

func text(s string) chanrtc.DataChannelMessage {
	return chanrtc.DataChannelMessage{IsString: true, Data: []byte(s)}
}

func binary(b []byte) chanrtc.DataChannelMessage {
	return chanrtc.DataChannelMessage{Data: b}
}

func randomBytes(r *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func TestEcho(t *testing.T) {
	checkLeaks(t)
	s, ts := startServer(t, testConfig())
	c := dial(t, ts.URL)
	r := rand.New(rand.NewPCG(1, 2))

	t.Run("types", func(t *testing.T) {
		for _, m := range []chanrtc.DataChannelMessage{
			text("hello"),
			binary([]byte{1, 2, 3}),
			text(""),
			binary(nil),
			text("héllo, 世界 😀"),
			binary([]byte("looks like text but is binary")),
		} {
			roundTrip(t, c.dc, c.msgs, m)
		}
	})
	t.Run("64KiB", func(t *testing.T) {
		roundTrip(t, c.dc, c.msgs, binary(randomBytes(r, 64<<10)))
		roundTrip(t, c.dc, c.msgs, text(strings.Repeat("0123456789abcdef", 4<<10)))
	})
	t.Run("burst", func(t *testing.T) {
		// 4 MiB sent at once: more than the server lets itself buffer, so
		// its echo waits for the client to drain; order must survive.
		var sent []chanrtc.DataChannelMessage
		for i := range 64 {
			m := binary(randomBytes(r, 64<<10))
			if i%2 == 0 {
				m = text(strings.Repeat(string(rune('a'+i%26)), 64<<10))
			}
			send(t, c.dc, m)
			sent = append(sent, m)
		}
		for _, m := range sent {
			expect(t, c.msgs, m)
		}
	})
	t.Run("second channel", func(t *testing.T) {
		dc, msgs := openChannel(t, c.pc, "second")
		waitOpen(t, dc)
		roundTrip(t, dc, msgs, text("on the second channel"))
		roundTrip(t, dc, msgs, binary([]byte{0, 0xff}))
		roundTrip(t, c.dc, c.msgs, text("still on the first"))
	})

	if n := s.Peers(); n != 1 {
		t.Errorf("server has %d peers, want 1", n)
	}
	s.Close()
	if n := s.Peers(); n != 0 {
		t.Errorf("server has %d peers after Close", n)
	}
	_ = c.pc.Close()
	ts.Close()
}

func TestPeerClosedWhenClientLeaves(t *testing.T) {
	checkLeaks(t)
	cfg := testConfig()
	cfg.ICEDisconnectedTimeout = 300 * time.Millisecond
	cfg.ICEFailedTimeout = 600 * time.Millisecond
	cfg.ICEKeepaliveInterval = 100 * time.Millisecond
	s, ts := startServer(t, cfg)
	s.DisconnectedTimeout = 200 * time.Millisecond
	c := dial(t, ts.URL)
	roundTrip(t, c.dc, c.msgs, text("bye"))

	_ = c.pc.Close()
	deadline := time.Now().Add(10 * time.Second)
	for s.Peers() != 0 {
		if time.Now().After(deadline) {
			t.Fatal("server did not close the PeerConnection of a client that left")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestPeerClosedWhenNeverConnected(t *testing.T) {
	checkLeaks(t)
	s, ts := startServer(t, testConfig())
	s.ConnectTimeout = 200 * time.Millisecond

	// A valid offer from a client that then goes away before connecting.
	pc, err := chanrtc.NewPeerConnection(testConfig())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pc.CreateDataChannel("echo", nil); err != nil {
		t.Fatal(err)
	}
	offer, err := pc.CreateOffer()
	if err != nil {
		t.Fatal(err)
	}
	_ = pc.Close()

	resp, err := http.Post(ts.URL+"/offer", "application/sdp", strings.NewReader(offer.SDP))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("POST /offer: %s", resp.Status)
	}
	deadline := time.Now().Add(5 * time.Second)
	for s.Peers() != 0 {
		if time.Now().After(deadline) {
			t.Fatal("server kept a PeerConnection that never connected")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestOfferErrors(t *testing.T) {
	checkLeaks(t)
	s := newServer(testConfig(), slog.New(slog.NewTextHandler(t.Output(), nil)))
	defer s.Close()

	// An offer with no DataChannel and only a codec we cannot answer.
	unusable := strings.Join([]string{
		"v=0", "o=- 1 1 IN IP4 127.0.0.1", "s=-", "t=0 0",
		"m=audio 9 UDP/TLS/RTP/SAVPF 109", "c=IN IP4 0.0.0.0", "a=mid:0",
		"a=ice-ufrag:abcd", "a=ice-pwd:abcdefghijklmnopqrstuvwx",
		"a=fingerprint:sha-256 " + strings.TrimSuffix(strings.Repeat("AB:", 32), ":"),
		"a=setup:actpass", "a=sendrecv", "a=rtpmap:109 speex/16000", "",
	}, "\r\n")

	for _, tc := range []struct {
		name, method, body string
		status             int
		inBody             string
	}{
		{"GET", http.MethodGet, "", http.StatusMethodNotAllowed, "POST"},
		{"PUT", http.MethodPut, "v=0", http.StatusMethodNotAllowed, "POST"},
		{"empty", http.MethodPost, "", http.StatusBadRequest, "empty offer"},
		{"garbage", http.MethodPost, "this is not SDP", http.StatusBadRequest, "chanrtc"},
		{"no usable section", http.MethodPost, unusable, http.StatusBadRequest, "no section"},
		{"too large", http.MethodPost, strings.Repeat("a", offer.MaxBytes+1), http.StatusRequestEntityTooLarge, "larger than"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(tc.method, "/offer", strings.NewReader(tc.body))
			req.Header.Set("Content-Type", "application/sdp")
			w := httptest.NewRecorder()
			s.ServeHTTP(w, req)
			if w.Code != tc.status {
				t.Fatalf("status %d, want %d; body %q", w.Code, tc.status, w.Body)
			}
			if !strings.Contains(w.Body.String(), tc.inBody) {
				t.Errorf("body %q does not contain %q", w.Body, tc.inBody)
			}
			if tc.status == http.StatusMethodNotAllowed && w.Header().Get("Allow") != http.MethodPost {
				t.Errorf("Allow: %q", w.Header().Get("Allow"))
			}
		})
	}
	if n := s.Peers(); n != 0 {
		t.Errorf("%d PeerConnections left after rejected offers", n)
	}
}

func TestPage(t *testing.T) {
	s := newServer(testConfig(), slog.New(slog.DiscardHandler))
	defer s.Close()
	for _, tc := range []struct {
		method, path string
		status       int
	}{
		{http.MethodGet, "/", http.StatusOK},
		{http.MethodHead, "/", http.StatusOK},
		{http.MethodGet, "/nope", http.StatusNotFound},
		{http.MethodPost, "/", http.StatusMethodNotAllowed},
	} {
		w := httptest.NewRecorder()
		s.ServeHTTP(w, httptest.NewRequest(tc.method, tc.path, nil))
		if w.Code != tc.status {
			t.Errorf("%s %s: status %d, want %d", tc.method, tc.path, w.Code, tc.status)
		}
	}
	w := httptest.NewRecorder()
	s.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/", nil))
	if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("Content-Type %q", ct)
	}
	for _, fn := range []string{"async function connect(opts)", "async function mediaStats()", "async function echoText(s)", "async function echoBinary(n)", `id="camera"`} {
		if !strings.Contains(w.Body.String(), fn) {
			t.Errorf("page lacks %s", fn)
		}
	}
}
