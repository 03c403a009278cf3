"""One page's voice session: the same wiring as ``make voice``, with the page as microphone and
speaker.

A :class:`PageSession` owns a :class:`stretch_voice.client.VoiceClient` (its own socket.io
conversation with the coach, the shared Whisper recogniser, the VAD, and a
:class:`~stretch_voice.speaker.Speaker`). The speaker's player plays nowhere and hands every block
to the page instead (:class:`PagePlayer`, through ``Player``'s sink), paced in real time a little
ahead, so the speaker is "busy" while the page is playing and barge-in works as in the terminal. Audio from the page is fed to the
session by a worker thread, so recognition never blocks the web server.

Messages to the page go through ``send`` (thread-safe, set by the gateway): dicts become JSON
text frames, bytes are audio frames. A session outlives its WebSocket for ``linger`` seconds so a
reloaded page gets its conversation (and a running hold) back.
"""

from __future__ import annotations

import logging
import os
import queue
import struct
import threading
import time
from collections import deque
from typing import Any, Callable, Deque, Optional, Union

import requests

from stretch_voice.client import VoiceClient
from stretch_voice.safety_words import is_safety_text
from stretch_voice.session import Turn
from stretch_voice.speaker import Speaker
from stretch_voice.tts import Player, Synthesizer

from .stream import Stream
from .view import aged, view

log = logging.getLogger(__name__)

Outgoing = Union[dict, bytes]
CAPTIONS = 6
"""Captions kept per page (coach and heard), replayed to a reloaded page."""

INBOX_CHUNKS = 100
"""Audio chunks queued for the recogniser before the gateway stops reading the socket (with the
page's 20-40 ms chunks, 2-4 s of audio): a sender faster than real time is slowed, not dropped."""

PAUSE_MESSAGE = "/pause"
"""What the STOP button sends the coach: its ``pause`` intent, as is (no NLU guess involved)."""
STOP_PAUSES = ("active", "choosing", "paused")
"""Phases in which STOP pauses the coach; before a session or after it, STOP only silences."""

STATE_DELAYS = (0.3, 1.2)
"""After a coach message, the session's state is read again this many seconds later (Rasa saves
the tracker after it has sent the messages of a turn)."""


def audio_frame(pcm: bytes, rate: int) -> bytes:
    """An audio frame to the page: the sample rate (uint32 LE), then 16-bit mono PCM."""
    return struct.pack("<I", rate) + pcm


LEAD_MS = 90
"""Audio goes to the page this far ahead of its time: the page starts a reply as soon as its
first block arrives (no jitter buffer of its own to wait out) and holds this much in hand against
network jitter. Barge-in still stops it at once (the page drops what it holds)."""


class PagePlayer(Player):
    """A player that plays nowhere: each block goes to ``sink`` ``LEAD_MS`` before the time it
    would play, and the player stays busy for as long as the page plays (so barge-in and the
    speaker's turn-taking work as with a sound card)."""

    def __init__(self, sink: Callable[[bytes, int], None], lead_ms: int = LEAD_MS) -> None:
        super().__init__(backend="null", simulate=True, sink=sink)
        self.lead = lead_ms / 1000

    def _play_null(self, blocks: list, rate: int, channels: int) -> None:
        def pace(_block: bytes, due: float) -> None:
            self._stop_event.wait(max(0.0, due - self.lead - time.monotonic()))

        self._emit(blocks, rate, pace)
        if not self._stop_event.is_set() and blocks:  # the page plays what it holds
            self._stop_event.wait(self.lead + len(blocks[-1]) / (2.0 * channels * rate))


class PageSpeaker(Speaker):
    """A speaker whose cuts are also sent to the page (stop now, drop what is queued)."""

    on_cut: Optional[Callable[[], None]] = None

    def interrupt(self) -> bool:
        was = super().interrupt()
        if was and self.on_cut is not None:
            self.on_cut()
        return was


class PageSession:
    """The voice loop of one page. ``send`` delivers messages to whichever page is attached."""

    def __init__(self, sid: str, rasa_url: str, recognizer: Any,
                 send: Callable[[Outgoing], None], voice: Union[str, Synthesizer] = "piper",
                 speed: int = 165) -> None:
        self.sid, self.rasa_url = sid, rasa_url
        self.send = send
        self.captions: Deque[dict] = deque(maxlen=CAPTIONS)
        self.state: dict = view(None)
        self.state_at = time.monotonic()  # when ``state`` was read
        self._reads = 0  # state reads started; the newest read to finish wins, older ones drop
        self._read_done = 0
        self.received_samples = 0
        self.peak = 0  # loudest sample received (of 32767): a microphone that sends silence shows
        self.stream = Stream()  # the page's microphone stream: position, resent, lost
        # (pcm, arrival time): the voice loop times speech by when it arrived, not when it was
        # processed (recognition holds the worker up to a few hundred ms)
        self.inbox: "queue.Queue[Optional[tuple[bytes, float]]]" = queue.Queue(maxsize=INBOX_CHUNKS)
        self.detached_at: Optional[float] = None
        self.closed = False
        player = PagePlayer(self._audio)
        self.speaker = PageSpeaker(player, voice, speed)
        self.speaker.on_cut = lambda: self.send({"type": "flush"})
        self.client = VoiceClient(rasa_url, sid, recognizer, self.speaker,
                                  on_coach_text=self._coach_text, on_held=self._held,
                                  on_turn=self._turn)
        session_on_start = self.speaker.on_start  # the voice loop's latency bookkeeping

        def on_start(text: str, speech: Any, t: float) -> None:
            self.send({"type": "speaking", "text": text})  # before the message's first block
            if session_on_start is not None:
                session_on_start(text, speech, t)

        self.speaker.on_start = on_start
        self._timers: list[threading.Timer] = []
        self._lock = threading.Lock()
        self._worker = threading.Thread(target=self._feed_loop, daemon=True,
                                        name=f"page-{sid[:8]}")

    def start(self, timeout: float = 10.0) -> "PageSession":
        """Connect to the coach (raises if it does not answer within ``timeout`` seconds)."""
        try:
            self.client.connect(timeout=timeout)
        except Exception:
            self.client.close()
            raise
        self._worker.start()
        self.refresh_state()
        return self

    # --- to the page ----------------------------------------------------------------------------

    def _audio(self, pcm: bytes, rate: int) -> None:
        self.send(audio_frame(pcm, rate))

    def _caption(self, who: str, text: str, **extra: Any) -> None:
        cap = {"type": "caption", "who": who, "text": text, "t": time.time(), **extra}
        self.captions.append(cap)
        self.send(cap)

    def _coach_text(self, text: str) -> None:
        self._caption("coach", text)
        self._refresh_soon()

    def _held(self, _text: str) -> None:
        # the link to Rasa is down: what was said or typed is kept (stretch_chat.Chat) and goes
        # when it is back; the page says so until the coach speaks again
        self.send({"type": "warning", "code": "coach_unreachable",
                   "message": "The coach can't be reached right now. What you say is kept and "
                              "goes to the coach as soon as it is back."})

    def _turn(self, turn: Turn) -> None:
        log.info("page %s heard %r: %s (%.0f ms)", self.sid[:8], turn.transcript, turn.action,
                 turn.recognition_ms)
        if turn.action in ("sent", "barge-in", "reprompt"):
            text = turn.transcript if turn.action != "reprompt" else "(not understood)"
            self._caption("you", text, action=turn.action,
                          safety=turn.safety)
        else:
            self.send({"type": "ignored", "text": turn.transcript, "action": turn.action})

    def _refresh_soon(self) -> None:
        with self._lock:
            if self.closed:
                return
            for delay in STATE_DELAYS:
                timer = threading.Timer(delay, self.refresh_state)
                timer.daemon = True
                timer.start()
                self._timers.append(timer)
            self._timers = [t for t in self._timers if t.is_alive()]

    def refresh_state(self) -> None:
        """Read the coach's session from Rasa and send the page its view."""
        if self.closed:
            return
        with self._lock:
            self._reads += 1
            ticket = self._reads
        try:
            # Rasa's HTTP API wants the token scripts/run.sh made (see stretch_voice.nlu)
            auth = {"token": os.environ["STRETCH_API_TOKEN"]} \
                if os.environ.get("STRETCH_API_TOKEN") else {}
            r = requests.get(f"{self.rasa_url}/conversations/{self.sid}/tracker",
                             params={"include_events": "NONE", **auth}, timeout=5)
            r.raise_for_status()
            coach = (r.json().get("slots") or {}).get("coach")
        except (requests.RequestException, ValueError) as exc:
            log.warning("could not read the session %s: %s", self.sid, exc)
            return
        with self._lock:  # reads run on timers and may finish out of order
            if ticket < self._read_done:
                return
            self._read_done = ticket
            self.state, self.state_at = view(coach), time.monotonic()
            self.send({"type": "state", **self.state})

    def replay(self) -> None:
        """Bring a (re)attached page up to date: the captions and the session's state (the last
        one read, its hold aged to now, then read again)."""
        for cap in list(self.captions):
            self.send(cap)
        with self._lock:
            self.send({"type": "state", **aged(self.state, time.monotonic() - self.state_at)})
        threading.Thread(target=self.refresh_state, daemon=True).start()

    # --- from the page --------------------------------------------------------------------------

    def text(self, text: str) -> None:
        """Typed text: sent to the coach as if said (a safety word also cuts the coach's speech)."""
        if is_safety_text(text):
            self.speaker.interrupt()
        self._caption("you", text, action="typed")
        self.client.chat.send(text)

    def stop(self) -> None:
        """The STOP button: silence at once and, in a session, pause the coach (the hold keeps
        its remaining time; "resume" goes on, "end the session" ends it). The page is told
        (``stopped``) after the flush and before the coach's answer, so it can drop any audio
        of the cut message still on its way and play the answer."""
        self.speaker.interrupt()
        self.send({"type": "flush"})
        pause = self.state.get("phase") in STOP_PAUSES
        self.send({"type": "stopped", "paused": pause})
        self._caption("you", "STOP", action="button")
        if pause:
            self.client.chat.send(PAUSE_MESSAGE)

    def _feed_loop(self) -> None:
        while True:
            item = self.inbox.get()
            if item is None:
                return
            try:
                self.client.session.feed(*item)
            except Exception:  # noqa: BLE001 - one bad chunk must not end the page's session
                log.exception("session %s: could not process audio", self.sid)

    def close(self) -> None:
        with self._lock:
            if self.closed:
                return
            self.closed = True
            for t in self._timers:
                t.cancel()
        try:
            self.inbox.put(None, timeout=5)
        except queue.Full:
            log.warning("session %s: the audio worker did not drain; leaving it", self.sid)
        self._worker.join(timeout=5)
        self.client.close()
