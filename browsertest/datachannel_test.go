package browsertest

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/chanrtc/chanrtc"
)

// helperPage is the page the DataChannel tests run in. It must come from
// an http://127.0.0.1 origin, not about:blank: Chromium enumerates network
// interfaces for WebRTC only for a page that has (or, with
// --use-fake-ui-for-media-stream, would get) camera permission; otherwise
// it offers only the default route's address, and a namespace with only
// lo has no default route, so it would gather no candidate at all. An
// opaque about:blank origin has the permission denied.
const helperPage = `<!doctype html>
<meta charset="utf-8">
<title>chanrtc browser test</title>
<script>
window.withTimeout = (p, ms, what) => Promise.race([p, new Promise((_, reject) =>
	setTimeout(() => reject(new Error('timed out after ' + ms + ' ms: ' + what)), ms))]);
window.gathered = (pc) => withTimeout(new Promise((resolve) => {
	if (pc.iceGatheringState === 'complete') return resolve();
	pc.addEventListener('icegatheringstatechange', () => {
		if (pc.iceGatheringState === 'complete') resolve();
	});
}), 10000, 'ICE gathering');
window.openChannel = (dc) => withTimeout(new Promise((resolve, reject) => {
	if (dc.readyState === 'open') return resolve();
	dc.addEventListener('open', () => resolve());
	dc.addEventListener('close', () => reject(new Error('channel closed before it opened')));
}), 15000, 'channel open');
window.closedChannel = (dc) => withTimeout(new Promise((resolve) => {
	if (dc.readyState === 'closed') return resolve();
	dc.addEventListener('close', () => resolve());
}), 10000, 'channel close');
</script>
`

// openHelperPage serves helperPage on 127.0.0.1 and loads it in the tab.
func openHelperPage(t *testing.T, b *browser) {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			w.WriteHeader(http.StatusNoContent) // favicon.ico
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = io.WriteString(w, helperPage)
	}))
	t.Cleanup(srv.Close)
	b.navigate(srv.URL + "/")
}

// newPC makes a chanrtc PeerConnection that stays on 127.0.0.1, closed
// when the test ends.
func newPC(t *testing.T) *chanrtc.PeerConnection {
	t.Helper()
	pc, err := chanrtc.NewPeerConnection(chanrtc.Config{LoopbackOnly: true, MDNS: chanrtc.MDNSDisabled})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pc.Close() })
	return pc
}

// await waits for a value from ch, failing the test if ctx ends first.
func await[T any](t *testing.T, ctx context.Context, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-ctx.Done():
		t.Fatalf("waiting for %s: %v", what, context.Cause(ctx))
		panic("unreachable")
	}
}

func waitGathered(t *testing.T, ctx context.Context, pc *chanrtc.PeerConnection) {
	t.Helper()
	select {
	case <-pc.GatheringComplete():
	case <-ctx.Done():
		t.Fatalf("chanrtc ICE gathering: %v", ctx.Err())
	}
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

// TestChromiumAnswersChanrtcOffer: chanrtc offers a DataChannel, Chromium
// answers and echoes every message back with its type; chanrtc checks the
// echoes.
func TestChromiumAnswersChanrtcOffer(t *testing.T) {
	ctx := testContext(t)
	b := startBrowser(t, ctx)
	openHelperPage(t, b)

	pc := newPC(t)
	dc, err := pc.CreateDataChannel("chat", nil)
	if err != nil {
		t.Fatal(err)
	}
	opened := make(chan struct{})
	dc.OnOpen(func() { close(opened) })
	closed := make(chan struct{})
	dc.OnClose(func() { close(closed) })
	echoes := make(chan chanrtc.DataChannelMessage, 64)
	dc.OnMessage(func(m chanrtc.DataChannelMessage) { echoes <- m })

	offer, err := pc.CreateOffer()
	if err != nil {
		t.Fatal(err)
	}
	if err := pc.SetLocalDescription(offer); err != nil {
		t.Fatal(err)
	}
	waitGathered(t, ctx, pc)
	offerSDP := pc.LocalDescription().SDP
	checkCandidates(t, "chanrtc offer", offerSDP)

	answerSDP := mustEval[string](b, "Chromium answering", `(async (offer) => {
		const pc = new RTCPeerConnection();
		window.pc = pc;
		window.channel = withTimeout(new Promise((resolve) => {
			pc.ondatachannel = (ev) => {
				const dc = ev.channel;
				dc.binaryType = 'arraybuffer';
				// Echo with the same type: a string stays text, an
				// ArrayBuffer stays binary.
				dc.onmessage = (m) => dc.send(m.data);
				resolve(dc);
			};
		}), 15000, 'ondatachannel');
		await pc.setRemoteDescription({type: 'offer', sdp: offer});
		await pc.setLocalDescription(await pc.createAnswer());
		await gathered(pc);
		return pc.localDescription.sdp;
	})(`+jsString(offerSDP)+`)`)
	checkCandidates(t, "Chromium answer", answerSDP)
	if got := sdpAttr(answerSDP, "max-message-size"); got != "262144" {
		t.Errorf("Chromium answer a=max-message-size: %q, want 262144", got)
	}

	var tl lockedBuffer
	t0 := time.Now()
	pc.OnICEConnectionStateChange(func(s chanrtc.ICEConnectionState) { fmt.Fprintf(&tl, "ice %s %v; ", s, time.Since(t0)) })
	pc.OnConnectionStateChange(func(s chanrtc.PeerConnectionState) { fmt.Fprintf(&tl, "pc %s %v; ", s, time.Since(t0)) })
	if err := pc.SetRemoteDescription(chanrtc.SessionDescription{Type: chanrtc.SDPTypeAnswer, SDP: answerSDP}); err != nil {
		t.Fatalf("SetRemoteDescription(Chromium answer): %v\n%s", err, answerSDP)
	}
	start := time.Now()
	await(t, ctx, opened, "the DataChannel to open")
	t.Logf("DataChannel open %v after the answer (%s)", time.Since(start).Round(time.Millisecond), tl.String())
	if s := pc.ConnectionState(); s != chanrtc.PeerConnectionStateConnected {
		t.Errorf("connection state %s, want connected", s)
	}
	if got := mustEval[string](b, "label", `window.channel.then((dc) => openChannel(dc).then(() => dc.label + '/' + dc.readyState))`); got != "chat/open" {
		t.Errorf("Chromium's channel: %q, want chat/open", got)
	}
	if got := dc.MaxMessageSize(); got != 262144 {
		t.Errorf("MaxMessageSize() = %d, want Chromium's 262144", got)
	}

	msgs := []chanrtc.DataChannelMessage{
		{IsString: true, Data: []byte("hello, Chromium")},
		{IsString: false, Data: []byte{0, 1, 2, 0xfe, 0xff}},
		{IsString: true, Data: []byte("")},
		{IsString: true, Data: []byte("héllo wörld ✓ 🎉")},
		{IsString: false, Data: randomBytes(64 << 10)},
		{IsString: false, Data: []byte{}},
		{IsString: true, Data: bytes.Repeat([]byte("0123456789abcdef"), 4096)}, // 64 KiB of text
		{IsString: false, Data: randomBytes(262144)},                           // Chromium's limit
	}
	for i, m := range msgs {
		var err error
		if m.IsString {
			err = dc.SendText(string(m.Data))
		} else {
			err = dc.Send(m.Data)
		}
		if err != nil {
			t.Fatalf("sending message %d: %v", i, err)
		}
	}
	for i, want := range msgs {
		got := await(t, ctx, echoes, fmt.Sprintf("echo %d (%d bytes)", i, len(want.Data)))
		if got.IsString != want.IsString || !bytes.Equal(got.Data, want.Data) {
			t.Errorf("echo %d: got text=%v %d bytes, want text=%v %d bytes",
				i, got.IsString, len(got.Data), want.IsString, len(want.Data))
		}
	}
	if err := dc.Send(make([]byte, 262145)); !errors.Is(err, chanrtc.ErrMessageTooLarge) {
		t.Errorf("Send of 262145 bytes to Chromium: %v, want ErrMessageTooLarge", err)
	}

	// Closing the channel resets its stream; Chromium sees it close.
	if err := dc.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := eval[bool](b, `window.channel.then((dc) => closedChannel(dc)).then(() => true)`); err != nil {
		t.Errorf("Chromium's channel after chanrtc closed it: %v", err)
	}
	await(t, ctx, closed, "OnClose")
	if err := pc.Close(); err != nil {
		t.Fatal(err)
	}
	mustEval[bool](b, "closing", `(pc.close(), true)`)
}

// TestChromiumOffersToChanrtc: Chromium offers a DataChannel, chanrtc
// answers (non-trickle) and echoes; the page sends and checks the echoes.
func TestChromiumOffersToChanrtc(t *testing.T) {
	ctx := testContext(t)
	b := startBrowser(t, ctx)
	openHelperPage(t, b)

	pc := newPC(t)
	type seen struct {
		label string
		text  bool
		n     int
	}
	var (
		mu       sync.Mutex
		received []seen
	)
	remote := make(chan *chanrtc.DataChannel, 1)
	pc.OnDataChannel(func(dc *chanrtc.DataChannel) {
		dc.OnMessage(func(m chanrtc.DataChannelMessage) {
			mu.Lock()
			received = append(received, seen{dc.Label(), m.IsString, len(m.Data)})
			mu.Unlock()
			var err error
			if m.IsString {
				err = dc.SendText(string(m.Data))
			} else {
				err = dc.Send(m.Data)
			}
			if err != nil {
				t.Errorf("echo of %d bytes: %v", len(m.Data), err)
			}
		})
		remote <- dc
	})

	offerSDP := mustEval[string](b, "Chromium offering", `(async () => {
		const pc = new RTCPeerConnection();
		window.pc = pc;
		const dc = pc.createDataChannel('from-chromium');
		dc.binaryType = 'arraybuffer';
		window.dc = dc;
		await pc.setLocalDescription(await pc.createOffer());
		await gathered(pc);
		return pc.localDescription.sdp;
	})()`)
	checkCandidates(t, "Chromium offer", offerSDP)

	if err := pc.SetRemoteDescription(chanrtc.SessionDescription{Type: chanrtc.SDPTypeOffer, SDP: offerSDP}); err != nil {
		t.Fatalf("SetRemoteDescription(Chromium offer): %v\n%s", err, offerSDP)
	}
	answer, err := pc.CreateAnswer()
	if err != nil {
		t.Fatal(err)
	}
	if err := pc.SetLocalDescription(answer); err != nil {
		t.Fatal(err)
	}
	waitGathered(t, ctx, pc)
	answerSDP := pc.LocalDescription().SDP
	checkCandidates(t, "chanrtc answer", answerSDP)
	if got := sdpAttr(answerSDP, "max-message-size"); got != "1048576" {
		t.Errorf("chanrtc answer a=max-message-size: %q, want 1048576", got)
	}

	start := time.Now()
	result := mustEval[string](b, "Chromium sending", `(async (answer) => {
		const dc = window.dc;
		await pc.setRemoteDescription({type: 'answer', sdp: answer});
		await openChannel(dc);
		const problems = [];
		// Chromium caps what it reports at its own 262144, below chanrtc's 1 MiB.
		if (pc.sctp.maxMessageSize !== 262144) {
			problems.push('max message size as Chromium reads it: ' + pc.sctp.maxMessageSize + ', want 262144');
		}

		const inbox = [];
		let waiting = null;
		dc.onmessage = (e) => {
			if (waiting) { const w = waiting; waiting = null; w(e.data); } else inbox.push(e.data);
		};
		const next = (what) => withTimeout(new Promise((resolve) => {
			if (inbox.length) resolve(inbox.shift()); else waiting = resolve;
		}), 10000, 'echo of ' + what);

		const random = (n) => {
			const b = new Uint8Array(n);
			for (let i = 0; i < n; i += 65536) crypto.getRandomValues(b.subarray(i, Math.min(n, i + 65536)));
			return b.buffer;
		};
		const sent = [
			'hello, chanrtc',
			new Uint8Array([0, 1, 2, 0xfe, 0xff]).buffer,
			'',
			'héllo wörld ✓ 🎉',
			random(65536),
			new ArrayBuffer(0),
			'x'.repeat(100000),
			random(262144),
		];
		for (const m of sent) dc.send(m);

		const describe = (m) => typeof m === 'string' ? 'text(' + m.length + ')' :
			m instanceof ArrayBuffer ? 'binary(' + m.byteLength + ')' : String(m);
		for (let i = 0; i < sent.length; i++) {
			const want = sent[i];
			const got = await next(i + ' ' + describe(want));
			let same;
			if (typeof want === 'string') {
				same = got === want;
			} else {
				same = got instanceof ArrayBuffer && got.byteLength === want.byteLength;
				const a = new Uint8Array(got), w = new Uint8Array(want);
				for (let j = 0; same && j < w.length; j++) same = a[j] === w[j];
			}
			if (!same) problems.push('echo ' + i + ': sent ' + describe(want) + ', got ' + describe(got));
		}
		return problems.length ? problems.join('; ') : 'ok';
	})(`+jsString(answerSDP)+`)`)
	t.Logf("page's exchange done %v after the answer", time.Since(start).Round(time.Millisecond))
	if result != "ok" {
		t.Errorf("page: %s", result)
	}

	dc := await(t, ctx, remote, "OnDataChannel")
	if dc.Label() != "from-chromium" {
		t.Errorf("label %q, want from-chromium", dc.Label())
	}
	mu.Lock()
	got := fmt.Sprint(received)
	mu.Unlock()
	want := fmt.Sprint([]seen{
		{"from-chromium", true, len("hello, chanrtc")},
		{"from-chromium", false, 5},
		{"from-chromium", true, 0},
		{"from-chromium", true, len("héllo wörld ✓ 🎉")},
		{"from-chromium", false, 65536},
		{"from-chromium", false, 0},
		{"from-chromium", true, 100000},
		{"from-chromium", false, 262144},
	})
	if got != want {
		t.Errorf("chanrtc received %s\nwant %s", got, want)
	}
	if s := pc.ConnectionState(); s != chanrtc.PeerConnectionStateConnected {
		t.Errorf("connection state %s, want connected", s)
	}

	// Chromium closes its channel; chanrtc sees it close.
	closed := make(chan struct{})
	dc.OnClose(func() { close(closed) })
	if dc.ReadyState() != chanrtc.DataChannelStateClosed {
		mustEval[bool](b, "closing the channel", `(dc.close(), closedChannel(dc)).then(() => true)`)
		await(t, ctx, closed, "OnClose after Chromium closed the channel")
	}
	mustEval[bool](b, "closing", `(pc.close(), true)`)
	if err := pc.Close(); err != nil {
		t.Fatal(err)
	}
}
