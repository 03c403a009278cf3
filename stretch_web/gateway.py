"""The voice gateway: serves the page, its static files and its WebSocket (``/ws``), with aiohttp.

The gateway keeps the pages' sessions by id (:class:`.page.PageSession`: one voice loop and one
socket.io conversation with the coach each) and hands each WebSocket to a
:class:`.connection.PageConnection`, which speaks the protocol of docs/protocol.md. The page's own
files, its manifest and its service worker are served by :class:`.shell.Shell`. A page that
goes away leaves its session running for ``linger`` seconds, so a reload resumes it (hold
included); then it is closed and its threads and socket.io connection are freed. ``/status``
reports each session's audio counts and turn latencies.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
import uuid
from typing import Any, Callable, Dict, Optional, Union

from aiohttp import web

from stretch_voice.tts import Synthesizer

from .connection import MAX_FRAME_BYTES, Attachment, PageConnection
from .page import PageSession
from .shell import Shell, no_store

log = logging.getLogger(__name__)

SESSION_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")


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
        app = web.Application(middlewares=[no_store])
        app.router.add_get("/ws", self.websocket)
        app.router.add_get("/status", self.status)
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

    async def open_session(self, wanted: Any) -> tuple[PageSession, Attachment, bool]:
        """The session a hello asks for (``wanted``: its id, or None for a new one), its
        attachment, and whether it was resumed (True) or made now."""
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
        """One page's WebSocket, served by its own :class:`.connection.PageConnection`."""
        ws = web.WebSocketResponse(heartbeat=20, max_msg_size=4 * MAX_FRAME_BYTES)
        await ws.prepare(request)
        await PageConnection(self, ws).run()
        return ws
