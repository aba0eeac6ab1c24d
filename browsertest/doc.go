// Package browsertest holds chanrtc's browser tests: headless Chromium,
// driven from Go with chromedp, talking WebRTC to chanrtc over 127.0.0.1.
//
// It is a separate module so that the library's go.mod never needs
// chromedp. The package has no code of its own; everything is in the
// _test.go files. Run it as root (or anywhere unprivileged user and network
// namespaces are allowed) with
//
//	cd browsertest && go test ./...
//
// The tests need Chromium (apt-get install -y chromium; or set
// CHROMIUM_BIN), unshare (util-linux) and ip (iproute2). TestMain re-runs
// the test binary inside a private network namespace whose only interface
// is lo, so that Chromium gathers 127.0.0.1 candidates and no test packet
// leaves the machine. Set CHANRTC_IN_NETNS=1 to skip the re-exec on a host
// that already has no interface but lo.
//
// Media: TestEchoPageMedia sends Chromium's fake camera and microphone
// (H.264 and Opus) through the echo page to examples/echo and checks that
// the reflection decodes; TestChromiumReceivesH264FromFile sends
// testdata's H.264 and Opus clips from chanrtc to Chromium and checks what
// Chromium decodes, keyframe requests included.
//
// The echo tests build and run examples/echo, and every test runs the
// installed Chromium: neither is part of the test binary, so go test's
// result cache does not notice when they change. Use -count=1.
package browsertest
