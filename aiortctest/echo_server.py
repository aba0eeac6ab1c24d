"""aiortc server side of chanrtc's echo contract, DataChannels only (see
aiortctest/doc.go).

    python3 echo_server.py [-addr 127.0.0.1:0]

POST /offer with a complete SDP offer (Content-Type: application/sdp)
answers 201 Created with the complete SDP answer; every DataChannel message
is echoed back on its channel with its type. Prints
"listening on http://HOST:PORT/offer" once it accepts requests; exits 0 on
SIGTERM or SIGINT after closing every PeerConnection.

http.server runs in a thread (aiohttp is not among python3-aiortc's
dependencies); each request hands its offer to the asyncio loop that owns
every PeerConnection, and waits for the answer.
"""

import argparse
import asyncio
import http.server
import signal
import sys
import threading

from aiortc import RTCPeerConnection, RTCSessionDescription

import loopback

ANSWER_TIMEOUT = 10  # seconds a request may wait for its answer
MAX_OFFER = 64 << 10  # bytes


class EchoServer:
    def __init__(self, loop):
        self.loop = loop
        self.pcs = set()

    async def answer(self, sdp):
        pc = RTCPeerConnection()
        self.pcs.add(pc)

        @pc.on("connectionstatechange")
        async def on_state():
            log(f"connection state {pc.connectionState}")
            if pc.connectionState in ("failed", "closed"):
                self.pcs.discard(pc)
                await pc.close()

        @pc.on("datachannel")
        def on_datachannel(channel):
            log(f"datachannel {channel.label!r} id {channel.id}")
            count = [0]

            @channel.on("message")
            def on_message(message):
                # str stays text, bytes stays binary.
                count[0] += 1
                channel.send(message)

            @channel.on("close")
            def on_close():
                log(f"datachannel {channel.label!r} closed after {count[0]} messages")

        try:
            await pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="offer"))
            # Returns once ICE gathering is complete: the answer is complete.
            await pc.setLocalDescription(await pc.createAnswer())
        except Exception:
            self.pcs.discard(pc)
            await pc.close()
            raise
        return pc.localDescription.sdp

    async def close(self):
        pcs, self.pcs = self.pcs, set()
        await asyncio.gather(*(pc.close() for pc in pcs))


def make_handler(server):
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            if self.path != "/offer":
                return self.reply(404, "text/plain", "not found\n")
            ctype = self.headers.get("Content-Type", "")
            if not ctype.startswith("application/sdp"):
                return self.reply(415, "text/plain", "want Content-Type: application/sdp\n")
            length = int(self.headers.get("Content-Length", "0") or 0)
            if length <= 0 or length > MAX_OFFER:
                return self.reply(400, "text/plain", "want an SDP offer of 1 to 65536 bytes\n")
            offer = self.rfile.read(length).decode("utf-8", errors="replace")
            fut = asyncio.run_coroutine_threadsafe(server.answer(offer), server.loop)
            try:
                answer = fut.result(ANSWER_TIMEOUT)
            except Exception as e:
                fut.cancel()
                return self.reply(400, "text/plain", f"cannot answer the offer: {e!r}\n")
            self.reply(201, "application/sdp", answer)

        def reply(self, status, ctype, body):
            data = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, fmt, *args):
            log(fmt % args)

    return Handler


def log(msg):
    print(f"echo_server.py: {msg}", file=sys.stderr, flush=True)


async def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("-addr", default="127.0.0.1:0", help="HOST:PORT to listen on")
    args = p.parse_args()
    host, _, port = args.addr.rpartition(":")
    loopback.gather_on_loopback()

    loop = asyncio.get_running_loop()
    server = EchoServer(loop)
    httpd = http.server.ThreadingHTTPServer((host, int(port)), make_handler(server))
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    h, p = httpd.server_address[:2]
    print(f"listening on http://{h}:{p}/offer", flush=True)

    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    httpd.shutdown()
    await server.close()


if __name__ == "__main__":
    asyncio.run(main())
