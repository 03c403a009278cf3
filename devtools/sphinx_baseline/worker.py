"""The recogniser in its own process.

pocketsphinx holds Python's GIL while it decodes (~100-200 ms per utterance). In the voice loop
that would freeze every other thread for as long: the microphone callback (PortAudio calls it
from its own thread, through Python), the socket.io client receiving the coach's messages, the
speaker. :class:`RecognizerProcess` runs a :class:`.recognizer.Recognizer` in a child process and
offers the same calls (``recognize``, ``spot_safety``); the caller's threads keep running while it
decodes, and the decoding gets the second core. A round trip adds well under a millisecond.
"""

from __future__ import annotations

import multiprocessing as mp
import threading
from typing import Any, Optional

from .recognizer import Recognizer, RecognizerConfig, Result


def _serve(conn: Any, config: Optional[RecognizerConfig]) -> None:
    try:
        rec = Recognizer(config=config)
    except Exception as exc:  # noqa: BLE001 - report it to the parent instead of dying silently
        conn.send(("error", repr(exc)))
        return
    conn.send(("ready", None))
    while True:
        try:
            msg = conn.recv()
        except EOFError:
            return
        if msg is None:
            return
        method, pcm, options = msg
        try:
            conn.send(("ok", getattr(rec, method)(pcm, **options)))
        except Exception as exc:  # noqa: BLE001
            conn.send(("error", repr(exc)))


class RecognizerProcess:
    """A :class:`.recognizer.Recognizer` running in a child process (spawned, so it is safe to
    start after threads exist). Thread-safe: calls are serialised."""

    def __init__(self, config: Optional[RecognizerConfig] = None, timeout: float = 60.0) -> None:
        ctx = mp.get_context("spawn")
        self._conn, child = ctx.Pipe()
        self._proc = ctx.Process(target=_serve, args=(child, config), daemon=True,
                                 name="coach-recognizer")
        self._proc.start()
        child.close()
        self._lock = threading.Lock()
        if not self._conn.poll(timeout):
            self.close()
            raise RuntimeError("the recogniser process did not start")
        status, info = self._conn.recv()
        if status != "ready":
            self.close()
            raise RuntimeError(f"the recogniser process failed: {info}")

    def _call(self, method: str, pcm: bytes, **options: Any) -> Result:
        with self._lock:
            self._conn.send((method, pcm, options))
            status, value = self._conn.recv()
        if status != "ok":
            raise RuntimeError(f"recogniser: {value}")
        return value

    def recognize(self, pcm: bytes, expect: Optional[str] = None) -> Result:
        return self._call("recognize", pcm, expect=expect)

    def spot_safety(self, pcm: bytes) -> Result:
        return self._call("spot_safety", pcm)

    def close(self) -> None:
        try:
            self._conn.send(None)
        except (OSError, BrokenPipeError):
            pass
        self._proc.join(timeout=2)
        if self._proc.is_alive():
            self._proc.kill()

    def __enter__(self) -> "RecognizerProcess":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
