"""One page's WebSocket: a handler object per connection, with a short method per message kind.

The messages each way and their fields are listed in docs/protocol.md. Bad input never ends a
session: a malformed frame or message is answered with an ``error`` and dropped; a hello with the
wrong audio format is refused with an ``error`` and the socket closed (the page says why). A sender
faster than real time is slowed (the handler stops reading while the recogniser catches up) and
warned once; none of its audio is dropped.
"""

from __future__ import annotations

import asyncio
import audioop
import json
import logging
import re
import time
from typing import TYPE_CHECKING, Any, Awaitable, Callable, Dict, Optional

from aiohttp import WSMsgType, web

from stretch_voice import SAMPLE_RATE, SAMPLE_WIDTH

from .history import secret_of
from .load import Busy
from .stream import MAX_RESEND

if TYPE_CHECKING:
    from .gateway import Gateway
    from .page import PageSession

log = logging.getLogger(__name__)

MAX_FRAME_BYTES = SAMPLE_RATE * SAMPLE_WIDTH  # one second of audio
AHEAD_WARN_S = 2.0
"""Audio received this far ahead of the wall clock (since the hello) means a sender faster than
real time: it is warned once (and slowed by back-pressure)."""
STREAM_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
EXPECTED = {"rate": SAMPLE_RATE, "channels": 1, "format": "s16le"}
BUSY_RETRY_S = 60
"""A page told the coach is busy tries again this many seconds later (the sentence says a minute)."""
OUT_AUDIO_MAX = 400
"""Messages queued for a page before its audio is dropped (a page that does not read: ~20 s of
speech); control messages (captions, views, flush) always go."""


def error(code: str, message: str) -> dict:
    return {"type": "error", "code": code, "message": message}


def _count(value: Any, top: Optional[int] = None) -> Optional[int]:
    """``value`` if it is a whole number of samples (0 .. ``top``), else None."""
    ok = isinstance(value, int) and not isinstance(value, bool) and value >= 0
    return value if ok and (top is None or value <= top) else None


class Attachment:
    """The page (WebSocket) a session is talking to right now, if any. Thread-safe ``send``."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.queue: Optional[asyncio.Queue] = None
        self.dropped = 0  # audio frames dropped for a page that did not read them

    def attach(self) -> asyncio.Queue:
        self.queue = asyncio.Queue()
        return self.queue

    def detach(self, queue: asyncio.Queue) -> None:
        if self.queue is queue:
            self.queue = None
        queue.put_nowait(None)  # ends that page's writer

    def put(self, msg: Any) -> None:
        """On the loop: queue ``msg`` for the attached page (audio beyond the limit is dropped)."""
        if self.queue is None:
            return
        if isinstance(msg, bytes) and self.queue.qsize() >= OUT_AUDIO_MAX:
            self.dropped += 1
            return
        self.queue.put_nowait(msg)

    def send(self, msg: Any) -> None:
        try:
            self.loop.call_soon_threadsafe(self.put, msg)
        except RuntimeError:  # the loop is closed: the server is shutting down
            pass


Handler = Callable[[dict], Awaitable[bool]]


class PageConnection:
    """One page's WebSocket, from its hello to its close. Each handler returns whether to keep
    reading the socket (False: it was closed, or another page took the session over)."""

    def __init__(self, gateway: "Gateway", ws: web.WebSocketResponse) -> None:
        self.gateway, self.ws = gateway, ws
        self.session: Optional["PageSession"] = None
        self.att: Optional[Attachment] = None
        self.queue: Optional[asyncio.Queue] = None  # this page's outgoing messages
        self.writer: Optional[asyncio.Task] = None
        self.t0 = 0.0    # when the hello was taken
        self.live = 0    # samples received live (not resent) since then
        self.warned = False
        self.device: Optional[str] = None  # the page's device secret (never logged)
        self.pending: set = set()  # history requests being answered
        self.handlers: Dict[str, Handler] = {"text": self.text, "stop": self.stop,
                                             "resend": self.resend, "ping": self.ping,
                                             "history": self.history, "export": self.history}

    async def run(self) -> None:
        """Read the page's messages until it goes, then detach it from its session."""
        try:
            async for msg in self.ws:
                if self.taken_over():
                    break
                if msg.type == WSMsgType.TEXT:
                    going = await self.message(msg.data)
                elif msg.type == WSMsgType.BINARY:
                    going = await self.audio(msg.data)
                else:
                    going = True
                    if msg.type == WSMsgType.ERROR:
                        log.warning("page socket error: %s", self.ws.exception())
                if not going:
                    break
        finally:
            await self.detach()

    def taken_over(self) -> bool:
        """Another page said hello with this session: this one is done."""
        return self.att is not None and self.att.queue is not self.queue

    async def send(self, msg: dict) -> None:
        await self.ws.send_json(msg)

    async def message(self, raw: str) -> bool:
        """A JSON text frame: the hello, or (after it) one of ``handlers``."""
        try:
            data = json.loads(raw)
        except ValueError:
            data = None
        kind = data.get("type") if isinstance(data, dict) else None
        if kind == "hello":
            return await self.hello(data)  # type: ignore[arg-type]
        if self.session is None:
            await self.send(error("hello_first", "Send a hello first."))
            return True
        handler = self.handlers.get(kind) if isinstance(kind, str) else None
        if handler is None:
            await self.send(error("bad_message", "Unknown message; expected hello, text, stop, "
                                  "resend, ping, history or export as JSON."))
            return True
        return await handler(data)  # type: ignore[arg-type]

    async def hello(self, data: dict) -> bool:
        """Check the audio format, attach to the session (new, resumed, or taken over from another
        page), say ``ready`` and replay what the page should show."""
        if self.session is not None:
            await self.send(error("bad_message", "Already said hello."))
            return True
        wrong = {k: data.get(k) for k, v in EXPECTED.items() if data.get(k) != v}
        if wrong:
            await self.send(error("bad_format", f"The gateway takes 16 kHz mono 16-bit PCM "
                                  f"(s16le); this page offered {wrong}."))
            await self.ws.close(code=1003, message=b"wrong audio format")
            return False
        device = secret_of(data.get("device"))
        try:
            session, att, resumed = await self.gateway.open_session(data.get("session"), device)
        except Busy:
            await self.refuse()
            return False
        except Exception as exc:  # noqa: BLE001 - tell the page, keep serving
            log.warning("cannot start a session: %s", exc)
            await self.send(error("coach_unreachable", "The coach's server does not answer; "
                                  "retrying. Is it running (make web starts it)?"))
            await self.ws.close(code=1011, message=b"coach unreachable")
            return False
        if att.queue is not None:  # the same session open elsewhere: take it over
            att.queue.put_nowait(error("taken_over", "This session was opened in another page."))
            att.detach(att.queue)
        self.session, self.att, self.queue = session, att, att.attach()
        self.device = device
        session.detached_at = None
        self.writer = asyncio.get_running_loop().create_task(self._write())
        stream = data.get("stream")
        heard = session.stream.hello(
            stream if isinstance(stream, str) and STREAM_ID.match(stream) else None)
        await self.send({"type": "ready", "session": session.sid, "resumed": resumed,
                         "heard": heard})
        session.replay()
        self.t0 = time.monotonic()
        return True

    async def refuse(self) -> None:
        """The gateway is full: the busy sentence, shown (an ``error``) and spoken, then close."""
        text = self.gateway.busy_text
        await self.send({**error("busy", text), "retry_s": BUSY_RETRY_S})
        try:
            frames = await self.gateway.busy_audio()
        except Exception:  # noqa: BLE001 - no voice: the page still shows the sentence
            log.exception("cannot say the busy sentence")
            frames = []
        if frames:
            await self.send({"type": "speaking", "text": text})
            for frame in frames:
                await self.ws.send_bytes(frame)
        await self.ws.close(code=1013, message=b"busy")

    async def text(self, data: dict) -> bool:
        """Typed text, to the coach as if said."""
        text = data.get("text")
        if not isinstance(text, str) or not text.strip():
            await self.send(error("bad_message", "A text message has some text."))
            return True
        assert self.session is not None
        await asyncio.get_running_loop().run_in_executor(None, self.session.text,
                                                         text.strip()[:500])
        return True

    async def stop(self, _data: dict) -> bool:
        """The STOP button (see :meth:`.page.PageSession.stop`)."""
        assert self.session is not None
        await asyncio.get_running_loop().run_in_executor(None, self.session.stop)
        return True

    async def resend(self, data: dict) -> bool:
        """The next ``samples`` samples are the microphone stream from sample ``from``, kept by
        the page while it was disconnected (see :mod:`.stream`)."""
        start, samples = _count(data.get("from")), _count(data.get("samples"), MAX_RESEND)
        if start is None or samples is None:
            await self.send(error("bad_message", f"A resend gives whole numbers of samples: "
                                  f"from, and samples up to {MAX_RESEND}."))
            return True
        assert self.session is not None
        lost = self.session.stream.resend(start, samples, time.monotonic())
        log.info("session %s: %d samples resent after a reconnect, %d lost",
                 self.session.sid, samples, lost)
        return True

    async def history(self, data: dict) -> bool:
        """A person's history, the people of this device, or an export, read with this page's
        device secret (:mod:`.history`). Answered from a task of its own, so the microphone's
        frames (an "ouch" among them) are read on while the history API answers."""
        task = asyncio.get_running_loop().create_task(self._history(data))
        self.pending.add(task)
        task.add_done_callback(self.pending.discard)
        return True

    async def _history(self, data: dict) -> None:
        answer = await self.gateway.history.answer(self.device, data)
        if not self.ws.closed:
            try:
                await self.send(answer)
            except (ConnectionResetError, RuntimeError):
                pass  # the page went away meanwhile

    async def ping(self, data: dict) -> bool:
        await self.send({"type": "pong", "t": data.get("t")})
        return True

    async def audio(self, pcm: bytes) -> bool:
        """A binary frame of microphone audio, fed to the session's recogniser in order; while
        the recogniser lags, the socket is not read (back-pressure)."""
        session = self.session
        if session is None:
            await self.send(error("hello_first", "Send a hello before audio."))
            return True
        if len(pcm) % SAMPLE_WIDTH or len(pcm) > MAX_FRAME_BYTES or not pcm:
            await self.send(error("bad_frame", f"Audio frames are 16-bit samples: an even "
                                  f"number of bytes, 2 to {MAX_FRAME_BYTES}; got {len(pcm)}. "
                                  f"Frame dropped."))
            return True
        arrived = time.monotonic()  # the session's clock: when it was captured
        while session.inbox.full() and not (session.closed or self.ws.closed):
            await asyncio.sleep(0.01)
        if self.taken_over() or session.closed:
            return False  # taken over (the new page resends this frame) or closed
        # no await from here to the put: a hello elsewhere sees the stream as fed
        pcm, t_end, is_live = session.stream.take(pcm, arrived)
        if not pcm:
            return True  # all of it was here already (resent overlap)
        session.received_samples += len(pcm) // SAMPLE_WIDTH
        session.peak = max(session.peak, audioop.max(pcm, SAMPLE_WIDTH))
        session.inbox.put_nowait((pcm, t_end, session.stream.pos))
        if is_live:  # a resent backlog may come fast; live audio may not
            await self._pace(len(pcm) // SAMPLE_WIDTH)
        return True

    async def _pace(self, samples: int) -> None:
        """Warn once when live audio runs ahead of real time. Not "the inbox is full": after a
        resent backlog it is, and a real-time sender with a slow recogniser is not fast either."""
        self.live += samples
        ahead = self.live / SAMPLE_RATE - (time.monotonic() - self.t0)
        if not self.warned and ahead > AHEAD_WARN_S:
            self.warned = True
            await self.send({"type": "warning", "code": "too_fast", "message": "Audio is arriving "
                             "faster than real time; the gateway slows the sender down."})

    async def detach(self) -> None:
        """The page is gone: its session lingers (``detached_at``) unless another page has it."""
        if self.att is not None and self.queue is not None:
            self.att.detach(self.queue)
            if self.att.queue is None and self.session is not None:
                self.session.detached_at = time.monotonic()
        if self.writer is not None:
            await asyncio.wait([self.writer], timeout=2)

    async def _write(self) -> None:
        """Send the session's messages to this page as they are queued, until detached."""
        assert self.queue is not None
        while True:
            msg = await self.queue.get()
            if msg is None or self.ws.closed:
                return
            try:
                if isinstance(msg, bytes):
                    await self.ws.send_bytes(msg)
                else:
                    await self.ws.send_json(msg)
            except (ConnectionResetError, RuntimeError):
                return
