"""Serve the page and the voice gateway: ``python -m stretch_web [options]``.

    python -m stretch_web                                  # http://127.0.0.1:8080/
    python -m stretch_web --port 9000
    python -m stretch_web --cert build/web/cert.pem --key build/web/key.pem   # + https://<LAN>:8443/

Plain HTTP listens on 127.0.0.1 only (a secure context for the microphone on this machine). For a
phone on the same network, HTTPS listens on all interfaces when a certificate is given;
``scripts/setup.sh`` makes a self-signed one in ``build/web/``.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import socket
import ssl
import sys
from typing import Optional, Sequence

from aiohttp import web

from stretch_voice.speech_cache import DEFAULT_DIR

from .gateway import Gateway
from .load import MAX_PAGES, MAX_QUEUE, Load
from .shared import SharedSessions


def lan_address() -> Optional[str]:
    """This machine's address on the local network (no packet is sent)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.connect(("10.255.255.255", 1))
        return s.getsockname()[0]
    except OSError:
        return None
    finally:
        s.close()


async def serve(args: argparse.Namespace) -> None:
    from stretch_voice.batching import BatchRecognizer
    from stretch_voice.recognizer import Recognizer
    from stretch_voice.speech_cache import cached_voice
    from stretch_voice.tts import get_synth

    loop = asyncio.get_running_loop()
    print("[web] loading the recogniser and the voice ...", flush=True)
    recognizer = await loop.run_in_executor(None, BatchRecognizer if args.batch > 1 else Recognizer)
    voice = cached_voice(args.voice, args.speech_cache)
    await loop.run_in_executor(None, lambda: get_synth(voice).load())
    gateway = Gateway(args.url, recognizer, linger=args.linger, voice=voice,
                      connect_timeout=args.connect_timeout,
                      load=Load(max_pages=args.max_pages, max_queue=args.max_queue),
                      shared=SharedSessions(args.shared) if args.shared else None,
                      batch=args.batch)
    runner = web.AppRunner(gateway.app())
    await runner.setup()
    await web.TCPSite(runner, args.host, args.port).start()
    print(f"[web] open http://{args.host}:{args.port}/ in a browser on this machine", flush=True)
    if args.cert and args.key:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(args.cert, args.key)
        await web.TCPSite(runner, args.https_host, args.https_port, ssl_context=ctx).start()
        print(f"[web] on a phone on the same network: https://{lan_address() or '<this-ip>'}:"
              f"{args.https_port}/ (accept the self-signed certificate once)", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()


def main(argv: Optional[Sequence[str]] = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m stretch_web", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--url", default="http://127.0.0.1:5005", help="the coach's Rasa server")
    ap.add_argument("--host", default="127.0.0.1", help="HTTP address (default: this machine)")
    ap.add_argument("--port", type=int, default=8080, help="HTTP port")
    ap.add_argument("--cert", help="TLS certificate (PEM) to also serve HTTPS")
    ap.add_argument("--key", help="its private key (PEM)")
    ap.add_argument("--https-host", default="0.0.0.0", help="HTTPS address (default: all)")
    ap.add_argument("--https-port", type=int, default=8443, help="HTTPS port")
    ap.add_argument("--linger", type=float, default=60.0,
                    help="seconds a closed page's session is kept for a reload to resume it")
    ap.add_argument("--connect-timeout", type=float, default=10.0,
                    help="seconds to wait for the coach's server when a page connects")
    ap.add_argument("--max-pages", type=int, default=MAX_PAGES,
                    help="pages attached at once before a new page is told the coach is busy")
    ap.add_argument("--max-queue", type=float, default=MAX_QUEUE,
                    help="utterances waiting for the recogniser, on average over 10 s, before a "
                         "new page is told the coach is busy")
    ap.add_argument("--batch", type=int, default=1,
                    help="utterances of different pages waiting for Whisper decoded together, at "
                         "most this many (1: one at a time)")
    ap.add_argument("--shared", metavar="REDIS_URL",
                    help="keep page sessions in this Redis (redis://host:port/db) so that another "
                         "gateway can take a page over when this one dies (make cluster)")
    ap.add_argument("--voice", default="piper", help="the coach's voice (as make voice)")
    ap.add_argument("--speech-cache", default=str(DEFAULT_DIR), metavar="DIR",
                    help="the coach's sentences recorded at set-up; 'none' synthesises all")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING)
    try:
        asyncio.run(serve(args))
    except KeyboardInterrupt:
        pass
    except OSError as exc:
        print(f"[web] cannot listen: {exc} (is the page already served? try --port)",
              file=sys.stderr)
        return 1
    return 0
