"""The voice loop: audio in, the coach's spoken replies out, barge-in for safety words.

:class:`VoiceSession` takes 16 kHz mono PCM as it is captured (a microphone callback, or
:func:`feed_realtime` playing a recording at real-time pace), finds utterances with the VAD,
recognises them, and sends the text to the coach (``send``, e.g. a socket.io connection). The
coach's messages, its replies and the hold cues it pushes on its own, go to :meth:`on_coach`, which
hands them to a :class:`Speaker`.

The recogniser may be a :class:`.worker.RecognizerProcess` (as in ``make voice``): decoding then
runs in another process and this one keeps receiving audio and messages meanwhile.

Turn-taking, as a user would expect it:

* **End of turn.** The VAD ends an utterance after ~300 ms of silence. To answer faster, the
  utterance is recognised speculatively after 90 ms of silence; if that gives an accepted phrase,
  the turn ends at 210 ms instead (speech that resumes cancels the guess). A safety phrase ends
  the turn as soon as it is recognised.
* **Barge-in.** While the coach is talking, a safety phrase ("stop", "ouch", "that hurts", "too
  much", "ease off", "pause", ...) cuts its speech at once, drops what it was about to say, and is
  sent. Anything else heard while the coach talks is ignored (with open speakers it is mostly the
  coach's own voice); say it again when the coach is quiet.
* **Not understood.** A short utterance the recogniser rejects is sent as ``/nlu_fallback``, so
  the coach answers with its own short re-prompt and keeps the place (during a running hold it
  pauses the hold instead: it may have been a pain report the recogniser missed). Long rejected
  speech (over 3 s) is taken for the two partners talking to each other and ignored.

Every decision is kept as a :class:`Turn` (times on ``clock``, ``time.monotonic`` by default) so
that the latency from the end of speech to the first reply audio can be measured.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, List, Optional

from . import SAMPLE_RATE, SAMPLE_WIDTH
from .phrases import normalize
from .recognizer import EXPECT_RATING
from .tts import DEFAULT_SPEED, DEFAULT_VOICE, Player, Speech, synthesize
from .vad import FRAME_BYTES, FRAME_MS, Utterance, UtteranceDetector

log = logging.getLogger(__name__)

FALLBACK_MESSAGE = "/nlu_fallback"
"""Sent for speech the recogniser rejected: Rasa runs the coach's re-prompt for it."""

RATING_QUESTION = "zero to ten"
"""Every coach message that asks for a pain rating says this (``utter_ask_pain`` and
``utter_pain_ask_again``; a test checks the domain). While the last message said it, the next
utterance is decoded with the bare ratings ("six") in the first grammar."""


@dataclass
class Turn:
    """One utterance and what became of it.

    ``action`` is ``sent`` (text sent to the coach), ``barge-in`` (a safety phrase that cut the
    coach's speech, then sent), ``reprompt`` (rejected, ``/nlu_fallback`` sent), ``ignored``
    (heard while the coach was talking, not a safety phrase), ``ignored-echo`` (with the echo
    guard on: a safety phrase the coach was itself saying) or ``ignored-long`` (long rejected
    speech). Times are on the session's clock.
    """

    transcript: str
    rejected: bool
    safety: bool
    source: str
    confidence: Optional[float]
    recognition_ms: float
    speech_end: float
    endpoint: float
    action: str
    early: bool = False
    sent: Optional[float] = None
    first_reply: Optional[float] = None
    first_audio: Optional[float] = None
    replies: List[str] = field(default_factory=list)

    @property
    def latency_ms(self) -> Optional[float]:
        """End of speech (as the VAD saw it) to the first reply audio."""
        if self.first_audio is None:
            return None
        return (self.first_audio - self.speech_end) * 1000

    def as_dict(self) -> dict[str, Any]:
        def ms(a: Optional[float], b: Optional[float]) -> Optional[float]:
            return None if a is None or b is None else round((b - a) * 1000, 1)

        return {"transcript": self.transcript, "rejected": self.rejected, "safety": self.safety,
                "source": self.source, "confidence": self.confidence, "action": self.action,
                "early_end": self.early, "recognition_ms": round(self.recognition_ms, 1),
                "endpoint_ms": ms(self.speech_end, self.endpoint),
                "reply_ms": ms(self.sent, self.first_reply),
                "latency_ms": ms(self.speech_end, self.first_audio), "replies": self.replies}


class Speaker:
    """Speaks texts one after another in a background thread; :meth:`interrupt` cuts it short.

    Args:
        player: Where audio goes (:class:`.tts.Player`; its null backend simulates playback).
        voice, speed: espeak-ng voice and words per minute.
        speak_to: If set, every spoken text is also written there as ``NNN.wav``.
        on_start: Called as ``on_start(text, speech, t)`` when a text's audio starts playing.
    """

    def __init__(self, player: Optional[Player] = None, voice: str = DEFAULT_VOICE,
                 speed: int = DEFAULT_SPEED, speak_to: Optional[Path] = None,
                 on_start: Optional[Callable[[str, Speech, float], None]] = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.player = player or Player()
        self.voice, self.speed, self.clock = voice, speed, clock
        self.speak_to = Path(speak_to) if speak_to else None
        if self.speak_to:
            self.speak_to.mkdir(parents=True, exist_ok=True)
        self.on_start = on_start
        self.spoken: List[str] = []
        self.cuts = 0  # how many times :meth:`interrupt` cut speech short
        self.current: Optional[str] = None  # the text being spoken right now
        self._queue: "queue.Queue[Optional[tuple[int, str]]]" = queue.Queue()
        self._epoch = 0
        self._working = False
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, daemon=True, name="coach-speaker")
        self._thread.start()

    @property
    def busy(self) -> bool:
        """True while the coach is talking or has something queued to say."""
        return self._working or not self._queue.empty() or self.player.is_playing

    def say(self, text: str) -> None:
        self._queue.put((self._epoch, text))

    def interrupt(self) -> bool:
        """Stop talking now and forget what was queued. True if it was talking."""
        was = self.busy
        with self._lock:
            self._epoch += 1
            self.cuts += int(was)
            while True:
                try:
                    self._queue.get_nowait()
                except queue.Empty:
                    break
        self.player.stop()
        return was

    def wait_idle(self, timeout: float = 30.0) -> bool:
        deadline = time.monotonic() + timeout
        while self.busy and time.monotonic() < deadline:
            time.sleep(0.01)
        return not self.busy

    def close(self) -> None:
        self.interrupt()
        self._queue.put(None)
        self._thread.join(timeout=2)

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            epoch, text = item
            self._working = True
            try:
                if epoch != self._epoch:
                    continue
                speech = synthesize(text, self.voice, self.speed)
                with self._lock:
                    if epoch != self._epoch:  # interrupted while synthesising
                        continue
                    self.spoken.append(text)
                    if self.speak_to:
                        (self.speak_to / f"{len(self.spoken):03d}.wav").write_bytes(speech.wav)
                    if self.on_start:
                        self.on_start(text, speech, self.clock())
                    self.current = text
                    self.player.play(speech.wav)
                self.player.wait()
                self.current = None
            except Exception:  # noqa: BLE001 - a failing voice must not end the session
                log.exception("could not speak %r", text)
            finally:
                self._working = False


class VoiceSession:
    """Turns captured audio into messages for the coach and the coach's messages into speech.

    Args:
        recognizer: A :class:`.recognizer.Recognizer` (``recognize(pcm) -> Result``).
        send: Sends a text to the coach (e.g. ``Chat.send``).
        speaker: Speaks the coach's messages.
        detector: The VAD (a default :class:`.vad.UtteranceDetector` if None).
        on_turn: Called with each finished :class:`Turn` (for printing / logging).
        speculate_ms, early_end_ms: Silence after which to recognise speculatively, and after
            which an accepted speculative result ends the turn.
        reprompt_max_s: Rejected speech longer than this is ignored instead of re-prompted.
        echo_guard: For open speakers without echo cancellation: a safety phrase heard while the
            coach itself is saying those very words is taken for its own echo and ignored. Off
            by default (a safety word always wins); see the README on echo.
    """

    def __init__(self, recognizer: Any, send: Callable[[str], None], speaker: Speaker,
                 detector: Optional[UtteranceDetector] = None,
                 on_turn: Optional[Callable[[Turn], None]] = None,
                 clock: Callable[[], float] = time.monotonic, speculate_ms: int = 90,
                 early_end_ms: int = 210, reprompt_max_s: float = 3.0,
                 echo_guard: bool = False) -> None:
        self.recognizer, self.send, self.speaker = recognizer, send, speaker
        self.detector = detector or UtteranceDetector()
        self.on_turn = on_turn
        self.clock = clock
        self.speculate_ms, self.early_end_ms = speculate_ms, early_end_ms
        self.reprompt_max_s = reprompt_max_s
        self.echo_guard = echo_guard
        self.turns: List[Turn] = []
        self._buf = b""
        self._fed = 0  # samples received so far
        self._last_t_end = 0.0  # clock time the last received sample was captured
        self._guess: Any = None  # the speculative Result for the utterance in progress
        self._awaiting: Optional[Turn] = None  # the last sent turn, until its first audio
        self._expect: Optional[str] = None  # what the last coach message asked for
        self._lock = threading.Lock()
        speaker.on_start = self._on_audio

    # --- the coach's side ------------------------------------------------------------------

    def on_coach(self, text: str) -> None:
        """A message from the coach (a reply or a pushed cue): speak it."""
        with self._lock:
            turn = self._awaiting
            if turn is not None:
                if turn.first_reply is None:
                    turn.first_reply = self.clock()
                turn.replies.append(text)
            self._expect = EXPECT_RATING if RATING_QUESTION in text.lower() else None
        self.speaker.say(text)

    def _on_audio(self, text: str, speech: Speech, t: float) -> None:
        with self._lock:
            turn = self._awaiting
            if turn is not None and turn.first_audio is None and text in turn.replies:
                turn.first_audio = t

    # --- the user's side -------------------------------------------------------------------

    def feed(self, pcm: bytes, t_end: Optional[float] = None) -> None:
        """Add captured audio; ``t_end`` is the clock time its last sample was captured."""
        self._last_t_end = self.clock() if t_end is None else t_end
        self._fed += len(pcm) // SAMPLE_WIDTH
        self._buf += pcm
        while len(self._buf) >= FRAME_BYTES:
            frame, self._buf = self._buf[:FRAME_BYTES], self._buf[FRAME_BYTES:]
            self._frame(frame)

    def _at(self, stream_s: float) -> float:
        """Clock time at which the sample at ``stream_s`` (seconds into the stream) was captured."""
        return self._last_t_end - (self._fed - stream_s * SAMPLE_RATE) / SAMPLE_RATE

    def _frame(self, frame: bytes) -> None:
        det = self.detector
        for utt in det.feed(frame):
            self._finish(utt, early=False)
        if not det.in_speech:
            self._guess = None
            return
        silence = det.silence_ms
        if silence == 0:
            self._guess = None  # speech (re)started: any guess is stale
            return
        if self._guess is None and silence >= self.speculate_ms:
            self._guess = self._recognize(det.current_pcm())
            if self._guess.safety and not self._guess.rejected:
                self._end_early()  # a safety phrase: act now
                return
        guess = self._guess
        if guess is not None and not guess.rejected and silence >= self.early_end_ms:
            self._end_early()

    def _end_early(self) -> None:
        utt = self.detector.end_now()
        if utt is not None:
            self._finish(utt, early=True)

    def _recognize(self, pcm: bytes) -> Any:
        if self.speaker.busy and hasattr(self.recognizer, "spot_safety"):
            return self.recognizer.spot_safety(pcm)  # only safety matters while it talks
        return self.recognizer.recognize(pcm, expect=self._expect)

    def _finish(self, utt: Utterance, early: bool) -> None:
        guess, self._guess = self._guess, None
        if guess is not None and not guess.rejected:
            res = guess  # the speculative result stands: nothing was said since
        else:  # no guess, or it was rejected: decide on the whole utterance with its pause
            res = self._recognize(utt.pcm)
        now = self.clock()
        speech_end = self._at(utt.speech_end_s)
        talking = self.speaker.busy
        if not res.rejected and res.safety and talking and self._is_echo(res.text):
            action, message = "ignored-echo", None
        elif not res.rejected and res.safety:
            action = "barge-in" if talking else "sent"
            if talking:
                self.speaker.interrupt()
            message: Optional[str] = res.text
        elif talking:
            action, message = "ignored", None
        elif res.rejected:
            speech_s = utt.speech_end_s - utt.speech_start_s
            if speech_s > self.reprompt_max_s:
                action, message = "ignored-long", None
            else:
                action, message = "reprompt", FALLBACK_MESSAGE
        else:
            action, message = "sent", res.text
        conf = res.as_dict().get("confidence")
        turn = Turn(transcript=res.text if not res.rejected else "", rejected=res.rejected,
                    safety=res.safety, source=res.source, confidence=conf,
                    recognition_ms=res.ms, speech_end=speech_end, endpoint=now,
                    action=action, early=early)
        if message is not None:
            with self._lock:
                self._awaiting = turn
                turn.sent = self.clock()
            self.send(message)
        self.turns.append(turn)
        if self.on_turn:
            self.on_turn(turn)

    def _is_echo(self, text: str) -> bool:
        if not self.echo_guard:
            return False
        return f" {normalize(text)} " in f" {normalize(self.speaker.current or '')} "


def feed_realtime(session: VoiceSession, pcm: bytes, chunk_ms: int = FRAME_MS,
                  clock: Callable[[], float] = time.monotonic) -> float:
    """Feed ``pcm`` to ``session`` at real-time pace, as a microphone would deliver it.

    Returns the clock time of the first sample, so that positions in ``pcm`` map to clock times.
    If processing falls behind (recognition is running), chunks are delivered late and in a burst,
    exactly as they would queue up behind a busy consumer of a microphone stream.
    """
    step = SAMPLE_RATE * SAMPLE_WIDTH * chunk_ms // 1000
    t0 = clock()
    for i in range(0, len(pcm), step):
        due = t0 + (i + step) / (SAMPLE_RATE * SAMPLE_WIDTH)
        delay = due - clock()
        if delay > 0:
            time.sleep(delay)
        session.feed(pcm[i:i + step], due)
    return t0
