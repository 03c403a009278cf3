"""One page's voice session: the same wiring as ``make voice``, with the page as microphone and
speaker.

A :class:`PageSession` owns a :class:`stretch_voice.client.VoiceClient` (its own socket.io
conversation with the coach, the shared Whisper recogniser, the VAD, and a
:class:`~stretch_voice.speaker.Speaker`). The speaker's player plays nowhere and hands every block
to the page instead (:class:`PagePlayer`, through ``Player``'s sink), paced in real time a little
ahead, so the speaker is "busy" while the page is playing and barge-in works as in the terminal. Audio from the page is fed to the
session by a worker thread, so recognition never blocks the web server.

Messages to the page go through ``send`` (thread-safe, set by the gateway): dicts become JSON
text frames, bytes are audio frames (docs/protocol.md). The coach's view of the session comes with
each turn, over the same socket.io conversation as its words; the session passes it on and keeps
the last one. A session outlives its WebSocket for ``linger`` seconds so a reloaded page gets its
conversation back: its captions, and the last view with a running hold aged to now. In a cluster
the session is also kept where another gateway can take it over (:mod:`.shared`).
"""

from __future__ import annotations

import logging
import queue
import struct
import threading
import time
from collections import deque
from typing import TYPE_CHECKING, Any, Callable, Deque, Optional, Union

from stretch_voice import SAMPLE_RATE
from stretch_voice.client import VoiceClient
from stretch_voice.safety_words import is_safety_text
from stretch_voice.session import Turn
from stretch_voice.speaker import Speaker
from stretch_voice.tts import Player, Synthesizer

from .shared import SharedSessions, wall_age
from .stream import Stream
from .view import LastView, View, aged

if TYPE_CHECKING:
    from .load import Load

log = logging.getLogger(__name__)

Outgoing = Union[dict, bytes]
CAPTIONS = 6
"""Captions kept per page (coach and heard), replayed to a reloaded page."""

INBOX_CHUNKS = 100
"""Audio chunks queued for the recogniser before the gateway stops reading the socket (with the
page's 20-60 ms chunks, 2-6 s of audio): a sender faster than real time is slowed, not dropped."""

PAUSE_MESSAGE = "pause"
"""What the STOP button sends the coach. It goes through the NLU like any words (the channel takes
no "/intent" shortcut: components/channels.py); "pause" is the pause intent's plainest example."""
STOP_PAUSES = ("active", "choosing", "paused")
MARGIN = SAMPLE_RATE // 2
"""Samples before a silent moment that a take-over hears again: the VAD's pre-roll and start
window (450 ms) and a part frame, so that an utterance starting there is heard whole."""
QUIET_WAIT_S = 0.06
"""While a page is quiet its audio is fed in pieces this long or longer (see ``_next_audio``)."""
SHARE_EVERY = 2 * SAMPLE_RATE
"""While nothing is said, the dealt-with position is shared at most every 2 s of audio (a
take-over then hears at most that much silence again)."""
"""Phases in which STOP pauses the coach; before a session or after it, STOP only silences."""


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
                 speed: int = 165, new: bool = False, load: Optional["Load"] = None,
                 shared: Optional[SharedSessions] = None, device: Optional[str] = None) -> None:
        self.sid, self.rasa_url = sid, rasa_url
        self.shared = shared
        self.done = 0  # stream position before which everything said was dealt with
        self._shared_at = (-1, -1)  # (turns, done) when the session was last shared
        self.load = load  # the gateway's figures: each utterance, each reply's latency
        self.send = send
        # True when the gateway made the id: the conversation is new, so it is idle until the
        # coach's first view. Else (a page back after its session was closed) it may be mid-session.
        self.new = new
        self.captions: Deque[dict] = deque(maxlen=CAPTIONS)
        self.view = LastView()
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
        if hasattr(recognizer, "for_page"):  # the gateway's queue: this page's urgency with it
            recognizer = recognizer.for_page(self.urgent)
        self.client = VoiceClient(rasa_url, sid, recognizer, self.speaker,
                                  on_coach_text=self._coach_text, on_view=self._view,
                                  on_held=self._held, on_turn=self._turn, device=device)
        session_on_start = self.speaker.on_start  # the voice loop's latency bookkeeping

        def on_start(text: str, speech: Any, t: float) -> None:
            self.send({"type": "speaking", "text": text})  # before the message's first block
            if session_on_start is not None:
                session_on_start(text, speech, t)
            self._answered(t)

        self.speaker.on_start = on_start
        self._lock = threading.Lock()  # the last view (kept, replayed) and closing
        self._counted: Optional[Turn] = None  # the last turn whose latency went to ``load``
        self._ending = False  # the audio worker took the close and stops after this audio
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
        return self

    # --- to the page ----------------------------------------------------------------------------

    def _audio(self, pcm: bytes, rate: int) -> None:
        self.send(audio_frame(pcm, rate))

    def _caption(self, who: str, text: str, **extra: Any) -> None:
        cap = {"type": "caption", "who": who, "text": text, "t": time.time(), **extra}
        self.captions.append(cap)
        self.send(cap)
        self._share()

    def _coach_text(self, text: str) -> None:
        self._caption("coach", text)

    def _view(self, view: View) -> None:
        """The coach's view after a turn: kept for a reloaded page, and sent as it is."""
        with self._lock:  # never behind a replayed older one
            self.view.update(view)
            self.send({"type": "view", "view": view})
        self._share()

    def _held(self, _text: str) -> None:
        # the link to Rasa is down: what was said or typed is kept (stretch_chat.Chat) and goes
        # when it is back; the page says so until the coach speaks again
        self.send({"type": "warning", "code": "coach_unreachable",
                   "message": "The coach can't be reached right now. What you say is kept and "
                              "goes to the coach as soon as it is back."})

    def _answered(self, t: float) -> None:
        """The first reply audio of the last utterance sent started at ``t``: its latencies go to
        the gateway's figures (once)."""
        turns = self.client.session.turns
        turn = turns[-1] if turns else None
        if self.load is None or turn is None or turn.first_audio != t or turn is self._counted:
            return
        self._counted = turn
        coach = None if turn.sent is None or turn.first_reply is None else \
            turn.first_reply - turn.sent
        self.load.answered((turn.first_audio - turn.speech_end), coach)

    def _turn(self, turn: Turn) -> None:
        if self.load is not None:
            self.load.turn(turn.action)
        log.info("page %s heard %r: %s (%.0f ms)", self.sid[:8], turn.transcript, turn.action,
                 turn.recognition_ms)
        if turn.action in ("sent", "barge-in", "reprompt"):
            text = turn.transcript if turn.action != "reprompt" else "(not understood)"
            self._caption("you", text, action=turn.action,
                          safety=turn.safety)
        else:
            self.send({"type": "ignored", "text": turn.transcript, "action": turn.action})

    def urgent(self) -> bool:
        """Whether what this page says goes before other pages' ordinary speech: a hold is
        running, the session is paused, or the coach asked how bad the pain is."""
        view = self.view.now()
        return view is not None and bool(view.get("hold") or view.get("paused")
                                          or view.get("question") == "pain")

    def replay(self) -> None:
        """Bring a (re)attached page up to date: the captions, then the last view with a running
        hold aged to now (none before the coach's first turn: the page shows its own idle)."""
        for cap in list(self.captions):
            self.send(cap)
        with self._lock:
            view = self.view.now()
            if view is not None:
                self.send({"type": "view", "view": view})

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
        pause = self.stop_pauses()
        self.send({"type": "stopped", "paused": pause})
        self._caption("you", "STOP", action="button")
        if pause:
            self.client.chat.send(PAUSE_MESSAGE)

    def stop_pauses(self) -> bool:
        """Whether STOP also pauses the coach: in a session, or when its phase is not known yet
        and the conversation may be in one (a page back after its session was closed): safe."""
        phase = self.view.phase
        if phase is None:
            return not self.new
        return phase in STOP_PAUSES

    def _feed_loop(self) -> None:
        while True:
            item = self._next_audio()
            if item is None:
                return
            pcm, t_end, pos = item
            try:
                self.client.session.feed(pcm, t_end)
            except Exception:  # noqa: BLE001 - one bad chunk must not end the page's session
                log.exception("session %s: could not process audio", self.sid)
            if not self.client.session.detector.in_speech:
                self.done = max(self.done, pos - MARGIN)
            turns, (shared_turns, shared_done) = len(self.client.session.turns), self._shared_at
            if self.shared and (turns != shared_turns or self.done - shared_done >= SHARE_EVERY):
                self._share()

    def _next_audio(self) -> Optional[tuple[bytes, float, int]]:
        """The next audio to feed: one chunk while the page speaks; while it is quiet, what
        :data:`QUIET_WAIT_S` brings, as one piece (a silent page wakes its worker a third as
        often; an utterance's start may be seen that much later, its end is not)."""
        item = None if self._ending else self.inbox.get()
        if item is None or self.client.session.detector.in_speech:
            return item
        time.sleep(QUIET_WAIT_S)
        items = [item]
        while not self._ending:
            try:
                more = self.inbox.get_nowait()
            except queue.Empty:
                break
            if more is None:
                self._ending = True  # closing: feed what came, then stop
            else:
                items.append(more)
        return b"".join(i[0] for i in items), items[-1][1], items[-1][2]

    # --- another gateway's take-over (make cluster) ------------------------------------------

    def _share(self) -> None:
        """Keep what another gateway needs to take this page over (:mod:`.shared`)."""
        if self.shared is None:
            return
        with self._lock:
            self._shared_at = (len(self.client.session.turns), self.done)
            record = {"captions": list(self.captions), "view": self.view.now(),
                      "view_at": time.time(), "stream": self.stream.id, "done": self.done,
                      "new": self.new}
            self.shared.save(self.sid, record)

    def take_over(self, record: dict) -> None:
        """Continue a session another gateway kept (:meth:`_share`): its captions, its view aged
        to now, and its stream from where that gateway had dealt with it."""
        self.captions.extend(record.get("captions") or [])
        view = record.get("view")
        if view is not None:
            self.view.update(aged(view, wall_age(record.get("view_at", time.time()))))
        self.new = bool(record.get("new"))
        self.done = int(record.get("done") or 0)
        self.stream.resume(record.get("stream"), self.done)

    def close(self) -> None:
        with self._lock:
            if self.closed:
                return
            self.closed = True
        try:
            self.inbox.put(None, timeout=5)
        except queue.Full:
            log.warning("session %s: the audio worker did not drain; leaving it", self.sid)
        self._worker.join(timeout=5)
        self.client.close()
