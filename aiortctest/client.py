"""aiortc client side of chanrtc's echo contract (see aiortctest/doc.go).

    python3 client.py -url http://127.0.0.1:8080/offer [-messages N] [-channels] [-media [-codec video/VP8]]

Creates an offer with a DataChannel "echo", waits for ICE gathering to
complete, POSTs the SDP (application/sdp), expects 201 Created with the
answer, then sends N messages alternating text and binary, of varied sizes
(the empty message, >= 16 KiB and one at the answer's max-message-size
among them), and checks that every echo comes back intact, with its type
and in order. With -channels it also opens a channel of each DCEP
reliability mode and one with a subprotocol, checks their echoes, and
closes one. With -media it also sends a video track (frame numbers drawn
in) and a 440 Hz Opus tone, and checks that the reflections decode to
them. Prints a one-line summary and exits 0, or prints the reason and
exits 1.
"""

import argparse
import asyncio
import fractions
import random
import re
import sys
import time
import urllib.error
import urllib.request

from aiortc import RTCPeerConnection, RTCRtpSender, RTCSessionDescription, VideoStreamTrack
from aiortc.mediastreams import AudioStreamTrack
from av import AudioFrame, VideoFrame

import loopback

WIDTH, HEIGHT = 320, 240


class Fail(Exception):
    pass


def message_sizes(n, largest, rng):
    """Sizes for n messages: fixed edge cases first, then random ones."""
    fixed = [0, 1, 1200, 16384, 16385, 65535, largest]
    sizes = [s for s in fixed if s <= largest]
    while len(sizes) < n:
        sizes.append(rng.randint(0, largest))
    return sizes[:n]


# Text messages mix 1-, 2-, 3- and 4-byte UTF-8 characters.
TEXT_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789 éü✓€🎉"


def make_text(size, rng):
    """A str whose UTF-8 encoding is exactly size bytes."""
    parts, used = [], 0
    while used < size:
        ch = rng.choice(TEXT_ALPHABET)
        n = len(ch.encode("utf-8"))
        if used + n > size:
            ch, n = "x", 1
        parts.append(ch)
        used += n
    return "".join(parts)


def make_messages(n, largest, seed):
    rng = random.Random(seed)
    msgs = []
    for i, size in enumerate(message_sizes(n, largest, rng)):
        if i % 2 == 0:
            msgs.append(make_text(size, rng))
        else:
            msgs.append(rng.randbytes(size))
    return msgs


def describe(m):
    kind = "text" if isinstance(m, str) else "binary"
    size = len(m.encode("utf-8")) if isinstance(m, str) else len(m)
    return f"{kind} {size} bytes"


BITS = 16  # the frame number, drawn as a row of blocks along the top
BLOCK = WIDTH // BITS
BRIGHT, DARK = 220, 30


class PatternTrack(VideoStreamTrack):
    """Video that draws its frame number in blocks along the top (bright for
    1, dark for 0) above a bright left half and a dark right half, so that
    the receiver can tell each reflected frame from a blank, corrupted,
    repeated or reordered one."""

    def __init__(self):
        super().__init__()
        import numpy

        self._np = numpy
        y = numpy.zeros((HEIGHT, WIDTH), dtype=numpy.uint8)
        y[:, : WIDTH // 2] = BRIGHT
        y[:, WIDTH // 2 :] = DARK
        uv = numpy.full((HEIGHT // 2, WIDTH), 128, dtype=numpy.uint8)
        self._image = numpy.vstack([y, uv])
        self.sent = 0

    async def recv(self):
        pts, time_base = await self.next_timestamp()
        image = self._image.copy()
        for bit in range(BITS):
            on = (self.sent >> bit) & 1
            image[: 2 * BLOCK, bit * BLOCK : (bit + 1) * BLOCK] = BRIGHT if on else DARK
        frame = VideoFrame.from_ndarray(image, format="yuv420p")
        frame.pts, frame.time_base = pts, time_base
        self.sent += 1
        return frame


def read_pattern(y):
    """The frame number PatternTrack drew into luma plane y, or an error."""
    import numpy

    lower = y[2 * BLOCK + 8 :]
    left, right = float(numpy.mean(lower[:, : WIDTH // 2])), float(numpy.mean(lower[:, WIDTH // 2 :]))
    if abs(left - BRIGHT) > 20 or abs(right - DARK) > 20:
        return None, f"luma left {left:.0f} right {right:.0f}, want about {BRIGHT} and {DARK}"
    n = 0
    for bit in range(BITS):
        # The centre of each block, away from edges the encoder may blur.
        v = float(numpy.mean(y[4 : 2 * BLOCK - 4, bit * BLOCK + 4 : (bit + 1) * BLOCK - 4]))
        if abs(v - BRIGHT) < 40:
            n |= 1 << bit
        elif abs(v - DARK) > 40:
            return None, f"block {bit} has luma {v:.0f}, neither bright nor dark"
    return n, None


def prefer_codec(pc, mime):
    """Offers only the video codec mime (plus its retransmission format)."""
    caps = RTCRtpSender.getCapabilities("video")
    codecs = [c for c in caps.codecs if c.mimeType.lower() in (mime.lower(), "video/rtx")]
    if not any(c.mimeType.lower() == mime.lower() for c in codecs):
        raise Fail(f"aiortc has no {mime}: it has {sorted({c.mimeType for c in caps.codecs})}")
    for tr in pc.getTransceivers():
        if tr.kind == "video":
            tr.setCodecPreferences(codecs)


async def post_offer(url, sdp, timeout):
    def do():
        req = urllib.request.Request(
            url,
            data=sdp.encode(),
            method="POST",
            headers={"Content-Type": "application/sdp"},
        )
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, resp.headers.get("Content-Type", ""), resp.read().decode()

    try:
        status, ctype, body = await asyncio.get_running_loop().run_in_executor(None, do)
    except urllib.error.HTTPError as e:
        raise Fail(f"POST {url}: {e.code} {e.reason}: {e.read().decode(errors='replace').strip()}")
    except OSError as e:
        raise Fail(f"POST {url}: {e}")
    if status != 201:
        raise Fail(f"POST {url}: status {status}, want 201 Created")
    if not ctype.startswith("application/sdp"):
        raise Fail(f"POST {url}: Content-Type {ctype!r}, want application/sdp")
    return body


async def receive_video(track, sender, stats, done):
    """Decodes the reflected track: each frame must carry the pattern, with
    a frame number above the last one and below what was sent."""
    while not done.is_set():
        try:
            frame = await track.recv()
        except Exception:
            return
        stats["frames"] += 1
        if frame.width != WIDTH or frame.height != HEIGHT:
            stats["bad"] = f"frame {frame.width}x{frame.height}, want {WIDTH}x{HEIGHT}"
            continue
        n, err = read_pattern(frame.to_ndarray(format="yuv420p")[:HEIGHT])
        if err is None and not stats["last"] < n < sender.sent:
            err = f"frame number {n} after {stats['last']}, with {sender.sent} sent"
        if err is not None:
            stats["bad"] = err
            continue
        stats["last"] = n
        stats["good"] += 1


def answer_codec(answer, kind):
    """The first codec of the answer's kind m-section (the one in use)."""
    sections = re.split(r"^(?=m=)", answer, flags=re.M)
    for sec in sections:
        if sec.startswith(f"m={kind} "):
            pt = sec.split(None, 4)[3]
            m = re.search(rf"^a=rtpmap:{pt} ([^/\s]+)", sec, re.M)
            return m.group(1) if m else f"payload type {pt}"
    return None


class ToneTrack(AudioStreamTrack):
    """A 440 Hz tone, 48 kHz mono, in 20 ms frames in real time."""

    RATE, SAMPLES, FREQ = 48000, 960, 440

    def __init__(self):
        super().__init__()
        self.sent = 0

    async def recv(self):
        import numpy

        if self.sent == 0:
            self._start = time.time()
        else:
            await asyncio.sleep(self._start + self.sent * self.SAMPLES / self.RATE - time.time())
        t = (numpy.arange(self.SAMPLES) + self.sent * self.SAMPLES) / self.RATE
        pcm = (8000 * numpy.sin(2 * numpy.pi * self.FREQ * t)).astype(numpy.int16)
        frame = AudioFrame.from_ndarray(pcm.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = self.RATE
        frame.pts = self.sent * self.SAMPLES
        frame.time_base = fractions.Fraction(1, self.RATE)
        self.sent += 1
        return frame


async def receive_audio(track, stats, done):
    """Counts decoded frames of the reflected audio that carry the tone:
    loud enough, and with about 440 Hz worth of zero crossings."""
    import numpy

    while not done.is_set():
        try:
            frame = await track.recv()
        except Exception:
            return
        stats["frames"] += 1
        pcm = frame.to_ndarray().astype(numpy.float64).reshape(-1)
        channels = len(frame.layout.channels)
        mono = pcm[::channels]  # packed s16: every channel carries the tone
        rms = float(numpy.sqrt(numpy.mean(mono**2)))
        crossings = int(numpy.count_nonzero(numpy.diff(numpy.signbit(mono))))
        freq = crossings / 2 / (len(mono) / frame.sample_rate)
        if rms > 2000 and abs(freq - ToneTrack.FREQ) < 60:
            stats["good"] += 1
        else:
            stats["bad"] = f"frame rms {rms:.0f}, about {freq:.0f} Hz; want a 440 Hz tone"


async def echo_messages(pc, dc, echoes, msgs, timeout, ordered=True):
    """Sends msgs on dc, at most 16 awaiting their echo, and checks the
    echoes: intact, with their type, and in order if the channel is
    ordered (else as a multiset). Returns the bytes echoed."""
    window = 16
    sent = received = total = 0
    pending = []
    while received < len(msgs):
        while sent < len(msgs) and sent - received < window:
            dc.send(msgs[sent])
            pending.append(msgs[sent])
            sent += 1
        try:
            got = await asyncio.wait_for(echoes.get(), timeout)
        except asyncio.TimeoutError:
            raise Fail(
                f"{dc.label!r}: no echo {received} ({describe(msgs[received])}) within {timeout:g} s; "
                f"{sent} sent, channel {dc.readyState}, connection {pc.connectionState}"
            )
        want = pending[0] if ordered else next((m for m in pending if m == got and type(m) is type(got)), None)
        if want is None:
            raise Fail(f"{dc.label!r}: echo {received} ({describe(got)}) matches no message awaiting its echo")
        if type(got) is not type(want):
            raise Fail(f"{dc.label!r}: echo {received}: got {describe(got)}, want {describe(want)}")
        if got != want:
            raise Fail(f"{dc.label!r}: echo {received} ({describe(want)}) differs: got {describe(got)}")
        if ordered:
            pending.pop(0)
        else:
            pending.remove(want)
        total += len(want.encode("utf-8")) if isinstance(want, str) else len(want)
        received += 1
    return total


def open_channel(pc, label, **options):
    dc = pc.createDataChannel(label, **options)
    opened, echoes = asyncio.Event(), asyncio.Queue()
    dc.on("open", opened.set)
    dc.on("message", echoes.put_nowait)
    return dc, opened, echoes


# Channels that -channels opens besides "echo": every reliability mode
# DCEP carries (RFC 8832), and a subprotocol.
EXTRA_CHANNELS = [
    ("unordered", dict(ordered=False)),
    ("unordered-rexmit-0", dict(ordered=False, maxRetransmits=0)),
    ("lifetime-500ms", dict(maxPacketLifeTime=500)),
    ("rexmit-3", dict(maxRetransmits=3)),
    ("with-protocol", dict(protocol="chat.v1")),
]


async def run(args):
    pc = RTCPeerConnection()
    try:
        return await exchange(pc, args)
    finally:
        await pc.close()


async def exchange(pc, args):
    loop = asyncio.get_running_loop()
    channels = [open_channel(pc, "echo")]
    if args.channels:
        channels += [open_channel(pc, label, **opts) for label, opts in EXTRA_CHANNELS]

    video = audio = None
    vstats = {"frames": 0, "good": 0, "last": -1, "bad": None}
    astats = {"frames": 0, "good": 0, "bad": None}
    media_done = asyncio.Event()
    receivers = []
    if args.media:
        video, audio = PatternTrack(), ToneTrack()
        pc.addTrack(video)
        pc.addTrack(audio)
        if args.codec:
            prefer_codec(pc, args.codec)

        @pc.on("track")
        def on_track(track):
            if track.kind == "video":
                receivers.append(asyncio.ensure_future(receive_video(track, video, vstats, media_done)))
            else:
                receivers.append(asyncio.ensure_future(receive_audio(track, astats, media_done)))

    start = time.monotonic()
    # aiortc's setLocalDescription returns once ICE gathering is complete.
    await pc.setLocalDescription(await pc.createOffer())
    answer = await post_offer(args.url, pc.localDescription.sdp, args.timeout)
    await pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
    m = re.search(r"^a=max-message-size:(\d+)", answer, re.M)
    # RFC 8841 §6: absent means 64 KiB; 0 means no limit.
    largest = int(m.group(1)) if m else 65536
    if largest == 0 or largest > 65536:
        largest = 65536  # what aiortc itself advertises it can receive
    if largest < 65535:
        raise Fail(f"answer's max-message-size is {largest}, want at least 65535")

    for dc, opened, _ in channels:
        try:
            await asyncio.wait_for(opened.wait(), args.timeout)
        except asyncio.TimeoutError:
            raise Fail(
                f"channel {dc.label!r} not open within {args.timeout:g} s: channel {dc.readyState}, "
                f"ICE {pc.iceConnectionState}, connection {pc.connectionState}"
            )
    connected = time.monotonic() - start

    msgs = make_messages(args.messages, largest, args.seed)
    dc, _, echoes = channels[0]
    total = await echo_messages(pc, dc, echoes, msgs, args.timeout)
    summary = (
        f"aiortc client: {len(msgs)} echoes ({total} bytes, largest {largest}) "
        f"intact and in order; connected in {connected * 1000:.0f} ms"
    )

    if args.channels:
        # All at once, each channel with its own messages.
        extra = channels[1:]
        # Partially reliable channels may lose a message without breaking
        # their contract; on loopback that takes an overflowing socket
        # buffer, so they carry single-packet messages only.
        def largest_for(c):
            reliable = c.maxRetransmits is None and c.maxPacketLifeTime is None
            return 16384 if reliable else 1200

        totals = await asyncio.gather(
            *(
                echo_messages(
                    pc, c, q, make_messages(args.messages, largest_for(c), args.seed + i), args.timeout, c.ordered
                )
                for i, (c, _, q) in enumerate(extra, 1)
            )
        )
        for c, _, _ in extra:
            if c.label == "with-protocol" and c.protocol != "chat.v1":
                raise Fail(f"{c.label!r}: protocol {c.protocol!r}")
        # Closing a channel resets its stream (RFC 8831 §6.7): the echo
        # must reset its side, which closes the channel here.
        closing = extra[0][0]
        closed = asyncio.Event()
        closing.on("close", closed.set)
        closing.close()
        try:
            await asyncio.wait_for(closed.wait(), args.timeout)
        except asyncio.TimeoutError:
            raise Fail(f"{closing.label!r} still {closing.readyState} {args.timeout:g} s after close()")
        # The others still echo.
        await echo_messages(pc, dc, echoes, ["after close", b"\x00after close"], args.timeout)
        summary += f"; {len(extra)} more channels ({', '.join(c.label for c, _, _ in extra)}) echoed {sum(totals)} bytes, one closed"

    if args.media:
        deadline = loop.time() + args.timeout
        while (vstats["good"] < args.frames or astats["good"] < args.frames) and loop.time() < deadline:
            await asyncio.sleep(0.05)
        media_done.set()
        vcodec, acodec = answer_codec(answer, "video"), answer_codec(answer, "audio")
        if vstats["good"] < args.frames:
            raise Fail(
                f"video {vcodec}: {vstats['good']} good frames of {vstats['frames']} decoded "
                f"({video.sent} sent), want {args.frames}; last problem: {vstats['bad']}"
            )
        if astats["good"] < args.frames:
            raise Fail(
                f"audio {acodec}: {astats['good']} frames with the tone of {astats['frames']} decoded "
                f"({audio.sent} sent), want {args.frames}; last problem: {astats['bad']}"
            )
        summary += (
            f"; video {vcodec}: {vstats['frames']} frames back, "
            f"{vstats['good']} with the pattern, in order ({video.sent} sent)"
            f"; audio {acodec}: {astats['frames']} frames back, {astats['good']} with the tone ({audio.sent} sent)"
        )
    for r in receivers:
        r.cancel()
    return summary


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("-url", required=True)
    p.add_argument("-messages", type=int, default=50)
    p.add_argument("-seed", type=int, default=1)
    p.add_argument("-timeout", type=float, default=20)
    p.add_argument("-channels", action="store_true", help="also open channels of every reliability mode")
    p.add_argument("-media", action="store_true", help="also send a video and an audio track")
    p.add_argument("-codec", default="", help="with -media, offer only this video codec (video/VP8, video/H264)")
    p.add_argument("-frames", type=int, default=30, help="reflected video and audio frames required with -media")
    args = p.parse_args()
    loopback.gather_on_loopback()
    try:
        summary = asyncio.run(asyncio.wait_for(run(args), args.timeout * 3))
    except Fail as e:
        print(f"client.py: FAIL: {e}", file=sys.stderr)
        sys.exit(1)
    except asyncio.TimeoutError:
        print("client.py: FAIL: timed out", file=sys.stderr)
        sys.exit(1)
    print(summary)


if __name__ == "__main__":
    main()
