// Package aiortctest holds chanrtc's interop tests against aiortc, an
// independent WebRTC stack in Python (its own ICE, aioice; DTLS through
// OpenSSL; its own SCTP), through the echo contract (see
// examples/echo and examples/dial):
//
//   - client.py, an aiortc client, against the real examples/echo binary:
//     DataChannel echoes of text and binary messages of varied sizes (the
//     empty message, 16 KiB and 64 KiB among them), on channels of every
//     reliability mode; and with -media a video track (VP8, and H.264) whose
//     reflection must decode to the pattern it was sent with, frame
//     numbers in order, and an Opus track that must come back a 440 Hz tone;
//   - the real examples/dial binary against echo_server.py, an aiortc echo
//     server (DataChannels only).
//
// It is a separate module, like browsertest, and needs Debian's aiortc
// (apt-get install -y python3-aiortc; set CHANRTC_PYTHON to use another
// interpreter), unshare (util-linux) and ip (iproute2). TestMain builds
// examples/echo and examples/dial, then re-runs the test binary inside a
// private network namespace whose only interface is lo, so that no test
// packet leaves 127.0.0.1. aioice never gathers 127.0.0.1 on its own, so
// the scripts give it that address (loopback.py). Set CHANRTC_IN_NETNS=1
// to skip the re-exec on a host that already has no interface but lo.
//
//	cd aiortctest && go test -count=1 ./...
//
// The binaries and the scripts are not part of the test binary, so go
// test's result cache does not notice when they change: use -count=1.
package aiortctest
