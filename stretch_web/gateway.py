"""The voice gateway: serves the page and speaks its WebSocket protocol (aiohttp).

Protocol on ``/ws`` (one WebSocket per page; see the README for the full table):

page -> gateway
    text ``{"type": "hello", "session": ID or null, "stream": ID or null, "rate": 16000,
    "channels": 1, "format": "s16le"}`` first; then binary frames of 16 kHz mono signed 16-bit
    little-endian PCM (an even number of bytes, at most :data:`MAX_FRAME_BYTES`), and text
    ``{"type": "text", "text": ...}`` (typed), ``{"type": "stop"}`` (the STOP button: silence,
    and pause the coach's session, see :meth:`.page.PageSession.stop`),
    ``{"type": "resend", "from": S, "samples": N}`` (the next N samples are the microphone
    stream from sample S, kept by the page while it was disconnected: see :mod:`.stream`),
    ``{"type": "ping"}``.
gateway -> page
    text ``ready`` (the session id, ``resumed``, ``heard``: samples of the page's ``stream`` the
    gateway has), ``caption`` (who: coach / you), ``view`` (the coach's view of the session, as it
    sent it), ``speaking`` (a coach message's audio starts with the next frame), ``flush``
    (stop playing now, drop queued audio), ``stopped`` (a STOP was taken, after its flush and
    before the coach's answer; ``paused``: the coach was asked to pause), ``ignored``, ``warning``,
    ``error`` (``code`` + a sentence), ``pong``; binary audio frames: uint32 LE sample rate, then
    16-bit mono PCM, to be played as they arrive.

Bad input never ends a session: a malformed frame is answered with an ``error`` and dropped; a
hello with the wrong audio format is refused with an ``error`` and the socket closed (the page
says why). A sender faster than real time is slowed (the gateway stops reading while the
recogniser catches up) and warned once; none of its audio is dropped. A page that goes away leaves
its session running for ``linger`` seconds, so a reload resumes it (hold included); then it is
closed and its threads and socket.io connection are freed.
"""

from __future__ import annotations

import asyncio
import audioop
import json
import logging
import re
import time
import uuid
from pathlib import Path
from typing import Any, Callable, Dict, Optional, Union

from aiohttp import WSMsgType, web

from stretch_voice import SAMPLE_RATE, SAMPLE_WIDTH
from stretch_voice.tts import Synthesizer

from .page import PageSession
from .stream import MAX_RESEND

log = logging.getLogger(__name__)

STATIC = Path(__file__).with_name("static")
MAX_FRAME_BYTES = SAMPLE_RATE * SAMPLE_WIDTH  # one second of audio
AHEAD_WARN_S = 2.0
"""Audio received this far ahead of the wall clock (since the hello) means a sender faster than
real time: it is warned once (and slowed by back-pressure)."""
SESSION_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
STREAM_ID = SESSION_ID
EXPECTED = {"rate": SAMPLE_RATE, "channels": 1, "format": "s16le"}


def _count(value: Any, top: Optional[int] = None) -> Optional[int]:
    """``value`` if it is a whole number of samples (0 .. ``top``), else None."""
    ok = isinstance(value, int) and not isinstance(value, bool) and value >= 0
    return value if ok and (top is None or value <= top) else None


def error(code: str, message: str) -> dict:
    return {"type": "error", "code": code, "message": message}


OUT_AUDIO_MAX = 400
"""Messages queued for a page before its audio is dropped (a page that does not read: ~20 s of
speech); control messages (captions, state, flush) always go."""


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


class Gateway:
    """Sessions by id, the shared recogniser, and the aiohttp handlers."""

    def __init__(self, rasa_url: str, recognizer: Any, linger: float = 60.0,
                 voice: Union[str, Synthesizer] = "piper", connect_timeout: float = 10.0,
                 session_factory: Optional[Callable[..., PageSession]] = None) -> None:
        self.rasa_url, self.recognizer, self.linger, self.voice = rasa_url, recognizer, linger, voice
        self.connect_timeout = connect_timeout
        self.factory = session_factory or PageSession
        self.sessions: Dict[str, PageSession] = {}
        self.attachments: Dict[str, Attachment] = {}
        self._starting: Dict[str, asyncio.Future] = {}  # sessions being made, by id
        self._reaper: Optional[asyncio.Task] = None

    # --- the app --------------------------------------------------------------------------------

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/ws", self.websocket)
        app.router.add_get("/status", self.status)
        app.router.add_get("/", lambda _r: web.FileResponse(STATIC / "index.html"))
        app.router.add_static("/static/", STATIC)
        app.on_startup.append(self._start)
        app.on_shutdown.append(self._shutdown)
        return app

    async def _start(self, _app: web.Application) -> None:
        self._reaper = asyncio.get_running_loop().create_task(self._reap())

    async def _shutdown(self, _app: web.Application) -> None:
        if self._reaper:
            self._reaper.cancel()
        for sid in list(self.sessions):
            await self._close(sid)

    async def status(self, _request: web.Request) -> web.Response:
        rows = [{"attached": self.attachments[sid].queue is not None,
                 "received_samples": s.received_samples, "peak": s.peak,
                 "resent_samples": s.stream.resent, "lost_samples": s.stream.lost,
                 "dropped_audio_frames": self.attachments[sid].dropped,
                 "latency_ms": [round(t.latency_ms) for t in s.client.session.turns[-50:]
                                if t.latency_ms is not None]}
                for sid, s in list(self.sessions.items()) if sid in self.attachments]
        return web.json_response({"sessions": len(rows),
                                  "attached": sum(r["attached"] for r in rows), "pages": rows})

    # --- sessions -------------------------------------------------------------------------------

    async def _close(self, sid: str) -> None:
        # gone from the tables first (on the loop), so no hello can resume it while it closes
        session = self.sessions.pop(sid, None)
        self.attachments.pop(sid, None)
        if session is not None:
            await asyncio.get_running_loop().run_in_executor(None, session.close)

    async def _reap(self) -> None:
        while True:
            await asyncio.sleep(0.5)
            now = time.monotonic()
            for sid, session in list(self.sessions.items()):
                if session.detached_at is not None and now - session.detached_at > self.linger:
                    log.info("session %s: page gone for %.0f s, closing it", sid, self.linger)
                    await self._close(sid)

    async def _session(self, wanted: Any) -> tuple[PageSession, Attachment, bool]:
        sid = wanted if isinstance(wanted, str) and SESSION_ID.match(wanted) else None
        if sid is not None and sid in self._starting:  # two hellos for one new id: one session
            await asyncio.shield(self._starting[sid])
        if sid is not None and sid in self.sessions:
            return self.sessions[sid], self.attachments[sid], True
        new = sid is None  # an id made here: a conversation the coach has never seen
        sid = sid or uuid.uuid4().hex
        loop = asyncio.get_running_loop()
        att = Attachment(loop)
        made = self._starting[sid] = loop.run_in_executor(None, lambda: self.factory(
            sid, self.rasa_url, self.recognizer, att.send, voice=self.voice, new=new).start(
            self.connect_timeout))
        try:
            session = await made
        finally:
            del self._starting[sid]
        self.sessions[sid], self.attachments[sid] = session, att
        return session, att, False

    # --- one page ---------------------------------------------------------------------------------

    async def websocket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(heartbeat=20, max_msg_size=4 * MAX_FRAME_BYTES)
        await ws.prepare(request)
        session: Optional[PageSession] = None
        queue: Optional[asyncio.Queue] = None
        writer: Optional[asyncio.Task] = None
        att: Optional[Attachment] = None
        t0 = 0.0
        live = 0  # samples received live (not resent) since this page's hello
        warned = False
        try:
            async for msg in ws:
                if att is not None and att.queue is not queue:
                    break  # another page took this session over: this one is done
                if msg.type == WSMsgType.TEXT:
                    try:
                        data = json.loads(msg.data)
                        kind = data.get("type") if isinstance(data, dict) else None
                    except ValueError:
                        data, kind = None, None
                    if kind == "hello":
                        if session is not None:
                            await ws.send_json(error("bad_message", "Already said hello."))
                            continue
                        wrong = {k: data.get(k) for k, v in EXPECTED.items() if data.get(k) != v}
                        if wrong:
                            await ws.send_json(error(
                                "bad_format", f"The gateway takes 16 kHz mono 16-bit PCM "
                                f"(s16le); this page offered {wrong}."))
                            await ws.close(code=1003, message=b"wrong audio format")
                            break
                        try:
                            session, att, resumed = await self._session(data.get("session"))
                        except Exception as exc:  # noqa: BLE001 - tell the page, keep serving
                            log.warning("cannot start a session: %s", exc)
                            await ws.send_json(error(
                                "coach_unreachable", "The coach's server does not answer; "
                                "retrying. Is it running (make web starts it)?"))
                            await ws.close(code=1011, message=b"coach unreachable")
                            break
                        if att.queue is not None:  # the same session open elsewhere: take it over
                            att.queue.put_nowait(error("taken_over", "This session was opened "
                                                       "in another page."))
                            att.detach(att.queue)
                        queue = att.attach()
                        session.detached_at = None
                        writer = asyncio.get_running_loop().create_task(self._write(ws, queue))
                        stream = data.get("stream")
                        heard = session.stream.hello(
                            stream if isinstance(stream, str) and STREAM_ID.match(stream) else None)
                        await ws.send_json({"type": "ready", "session": session.sid,
                                            "resumed": resumed, "heard": heard})
                        session.replay()
                        t0 = time.monotonic()
                    elif session is None:
                        await ws.send_json(error("hello_first", "Send a hello first."))
                    elif kind == "text" and isinstance(data.get("text"), str) and data["text"].strip():
                        text = data["text"].strip()[:500]
                        await asyncio.get_running_loop().run_in_executor(None, session.text, text)
                    elif kind == "stop":
                        await asyncio.get_running_loop().run_in_executor(None, session.stop)
                    elif kind == "resend":
                        start, samples = _count(data.get("from")), _count(data.get("samples"),
                                                                           MAX_RESEND)
                        if start is None or samples is None:
                            await ws.send_json(error(
                                "bad_message", f"A resend gives whole numbers of samples: "
                                f"from, and samples up to {MAX_RESEND}."))
                            continue
                        lost = session.stream.resend(start, samples, time.monotonic())
                        log.info("session %s: %d samples resent after a reconnect, %d lost",
                                 session.sid, samples, lost)
                    elif kind == "ping":
                        await ws.send_json({"type": "pong", "t": data.get("t")})
                    else:
                        await ws.send_json(error("bad_message", "Unknown message; expected "
                                                 "hello, text, stop, resend or ping as JSON."))
                elif msg.type == WSMsgType.BINARY:
                    pcm = msg.data
                    if session is None:
                        await ws.send_json(error("hello_first", "Send a hello before audio."))
                    elif len(pcm) % SAMPLE_WIDTH or len(pcm) > MAX_FRAME_BYTES or not pcm:
                        await ws.send_json(error(
                            "bad_frame", f"Audio frames are 16-bit samples: an even number of "
                            f"bytes, 2 to {MAX_FRAME_BYTES}; got {len(pcm)}. Frame dropped."))
                    else:
                        arrived = time.monotonic()  # the session's clock: when it was captured
                        while session.inbox.full() and not (session.closed or ws.closed):
                            await asyncio.sleep(0.01)  # back-pressure: stop reading the socket
                        if att is None or att.queue is not queue or session.closed:
                            break  # taken over (the new page resends this frame) or closed
                        # no await from here to the put: a hello elsewhere sees the stream as fed
                        pcm, t_end, is_live = session.stream.take(pcm, arrived)
                        if not pcm:
                            continue  # all of it was here already (resent overlap)
                        session.received_samples += len(pcm) // SAMPLE_WIDTH
                        session.peak = max(session.peak, audioop.max(pcm, SAMPLE_WIDTH))
                        session.inbox.put_nowait((pcm, t_end))
                        if is_live:  # a resent backlog may come fast; live audio may not
                            live += len(pcm) // SAMPLE_WIDTH
                            ahead = live / SAMPLE_RATE - (time.monotonic() - t0)
                            # not "the inbox is full": after a resent backlog it is, and
                            # a real-time sender with a slow recogniser is not fast either
                            if not warned and ahead > AHEAD_WARN_S:
                                warned = True
                                await ws.send_json({"type": "warning", "code": "too_fast",
                                                    "message": "Audio is arriving faster than "
                                                    "real time; the gateway slows the sender "
                                                    "down."})
                elif msg.type == WSMsgType.ERROR:
                    log.warning("page socket error: %s", ws.exception())
        finally:
            if att is not None and queue is not None:
                att.detach(queue)
                if att.queue is None and session is not None:
                    session.detached_at = time.monotonic()
            if writer is not None:
                await asyncio.wait([writer], timeout=2)
        return ws

    @staticmethod
    async def _write(ws: web.WebSocketResponse, queue: asyncio.Queue) -> None:
        while True:
            msg = await queue.get()
            if msg is None or ws.closed:
                return
            try:
                if isinstance(msg, bytes):
                    await ws.send_bytes(msg)
                else:
                    await ws.send_json(msg)
            except (ConnectionResetError, RuntimeError):
                return
