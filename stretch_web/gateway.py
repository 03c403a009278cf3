"""The voice gateway: serves the page, its static files and its WebSocket (``/ws``), with aiohttp.

The gateway keeps the pages' sessions by id (:class:`.page.PageSession`: one voice loop and one
socket.io conversation with the coach each) and hands each WebSocket to a
:class:`.connection.PageConnection`, which speaks the protocol of docs/protocol.md. The page's own
files, its manifest and its service worker are served by :class:`.shell.Shell`. A page that
goes away leaves its session running for ``linger`` seconds, so a reload resumes it (hold
included); then it is closed and its threads and socket.io connection are freed. A full gateway
(:mod:`.load`) tells a new page the coach is busy instead of taking it. ``/status`` reports the
load and each session's audio counts and turn latencies (no ids, no words); ``/metrics`` the same
figures for Prometheus.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
import uuid
from typing import Any, Callable, Dict, Optional, Union

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from stretch_voice.tts import Synthesizer, get_synth, wav_pcm

from .busy import busy_sentence
from .connection import MAX_FRAME_BYTES, Attachment, PageConnection
from .history import HistoryClient
from .load import Busy, Load, MeteredSynth
from .page import PageSession, audio_frame
from .recognition import RecognitionQueue
from .shared import SharedSessions
from .shell import Shell, no_store

log = logging.getLogger(__name__)

SESSION_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
BUSY_FRAME_S = 0.25  # the busy sentence goes to the page in frames this long


class Gateway:
    """Sessions by id, the shared recogniser, and the aiohttp handlers."""

    def __init__(self, rasa_url: str, recognizer: Any, linger: float = 60.0,
                 voice: Union[str, Synthesizer] = "piper", connect_timeout: float = 10.0,
                 session_factory: Optional[Callable[..., PageSession]] = None,
                 load: Optional[Load] = None, shared: Optional[SharedSessions] = None,
                 batch: int = 1) -> None:
        self.load = load or Load()
        self.shared = shared  # make cluster: sessions another gateway can take over
        self.rasa_url, self.linger = rasa_url, linger
        self.recognizer = RecognitionQueue(recognizer, self.load, batch)
        self.voice = MeteredSynth(voice, self.load)
        self.connect_timeout = connect_timeout
        self.busy_text = busy_sentence()
        self._busy_audio: Optional[list[bytes]] = None
        self.factory = session_factory or PageSession
        self.history = HistoryClient(rasa_url)
        self.sessions: Dict[str, PageSession] = {}
        self.attachments: Dict[str, Attachment] = {}
        self._starting: Dict[str, asyncio.Future] = {}  # sessions being made, by id
        self._reaper: Optional[asyncio.Task] = None

    # --- the app --------------------------------------------------------------------------------

    def app(self) -> web.Application:
        app = web.Application(middlewares=[no_store])
        app.router.add_get("/ws", self.websocket)
        app.router.add_get("/status", self.status)
        app.router.add_get("/metrics", self.metrics)
        Shell().add_routes(app)  # the page, its files, its manifest and its service worker
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
        attached = sum(r["attached"] for r in rows)
        return web.json_response({"sessions": len(rows), "attached": attached, "pages": rows,
                                  "load": self.load.status(attached, len(rows))})

    async def metrics(self, _request: web.Request) -> web.Response:
        self.load.pages.set(self.taken())
        self.load.sessions.set(len(self.sessions))
        return web.Response(body=generate_latest(self.load.registry),
                            headers={"Content-Type": CONTENT_TYPE_LATEST})

    def taken(self) -> int:
        """Pages attached now, and new ones being attached."""
        return sum(a.queue is not None for a in self.attachments.values()) + len(self._starting)

    async def busy_audio(self) -> list[bytes]:
        """The busy sentence as audio frames for a page (made on first use, then kept)."""
        if self._busy_audio is None:
            def make() -> list[bytes]:
                pcm, rate, _channels = wav_pcm(get_synth(self.voice).synthesize(self.busy_text).wav)
                step = 2 * int(rate * BUSY_FRAME_S)
                return [audio_frame(pcm[i:i + step], rate) for i in range(0, len(pcm), step)]

            self._busy_audio = await asyncio.get_running_loop().run_in_executor(None, make)
        return self._busy_audio

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
            self.load.queue_average()  # keeps the queue's recent average current
            for sid, session in list(self.sessions.items()):
                if session.detached_at is not None and now - session.detached_at > self.linger:
                    log.info("session %s: page gone for %.0f s, closing it", sid, self.linger)
                    await self._close(sid)

    async def open_session(self, wanted: Any, device: Optional[str] = None
                           ) -> tuple[PageSession, Attachment, bool]:
        """The session a hello asks for (``wanted``: its id, or None for a new one), its
        attachment, and whether it was resumed (True) or made now. Raises :class:`Busy` for a new
        page (no session id) when the gateway is full; a page that names its session is taken. A new
        session sends the page's ``device`` secret with every message to the coach (docs/history.md)."""
        sid = wanted if isinstance(wanted, str) and SESSION_ID.match(wanted) else None
        if sid is None:
            why = self.load.full(self.taken())
            if why is not None:
                log.warning("a new page refused: the gateway is full (%s)", why)
                self.load.refuse()
                raise Busy(why)
        if sid is not None and sid in self._starting:  # two hellos for one new id: one session
            await asyncio.shield(self._starting[sid])
        if sid is not None and sid in self.sessions:
            return self.sessions[sid], self.attachments[sid], True
        new = sid is None  # an id made here: a conversation the coach has never seen
        sid = sid or uuid.uuid4().hex
        loop = asyncio.get_running_loop()
        att = Attachment(loop)
        made = self._starting[sid] = loop.run_in_executor(None, self._make, sid, att, new, device)
        try:
            session, taken_over = await made
        finally:
            del self._starting[sid]
        self.sessions[sid], self.attachments[sid] = session, att
        return session, att, taken_over

    def _make(self, sid: str, att: Attachment, new: bool,
              device: Optional[str] = None) -> tuple[PageSession, bool]:
        """A session for ``sid``, connected to the coach; in a cluster, one another gateway kept
        is taken over (True) from its shared record."""
        record = None if new or self.shared is None else self.shared.load(sid)
        session = self.factory(sid, self.rasa_url, self.recognizer, att.send, voice=self.voice,
                               new=new, load=self.load, shared=self.shared, device=device)
        if record is not None:
            session.take_over(record)
            log.info("session %s: taken over from another gateway", sid[:8])
        return session.start(self.connect_timeout), record is not None

    # --- one page ---------------------------------------------------------------------------------

    async def websocket(self, request: web.Request) -> web.WebSocketResponse:
        """One page's WebSocket, served by its own :class:`.connection.PageConnection`. Without
        per-message deflate: microphone audio does not compress, and inflating every frame cost
        each page CPU on both ends."""
        ws = web.WebSocketResponse(heartbeat=20, max_msg_size=4 * MAX_FRAME_BYTES, compress=False)
        await ws.prepare(request)
        await PageConnection(self, ws).run()
        return ws
