"""The voice loop: audio in, the coach's spoken replies out, barge-in for safety words.

:class:`VoiceSession` takes 16 kHz mono PCM as it is captured (a microphone callback, a browser's
stream, or :func:`feed_realtime` playing a recording at real-time pace), finds utterances with the
VAD, transcribes them (Whisper, :mod:`.recognizer`) and sends the text to the coach (``send``, e.g.
a socket.io connection), where the NLU decides what it means, as for typed text. The coach's
messages, its replies and the hold cues it pushes on its own, go to :meth:`on_coach`, which hands
them to a :class:`~.speaker.Speaker`.

Turn-taking, as a user would expect it:

* **End of turn.** The VAD ends an utterance after ~300 ms of silence. To answer faster, the
  utterance is transcribed speculatively after ``speculate_ms`` (30 ms) of silence; if Whisper is
  sure of it, the turn ends once the silence lasts ``early_end_ms`` (150 ms), or ``safety_end_ms``
  (90 ms) for a safety word; speech that resumes before then cancels the guess. The audio queues
  while the guess is made (~120 ms), so the turn usually ends as soon as the guess is ready.
  An unsure guess is made again after ``retry_ms`` (150 ms) of silence, and that one stands.
  These pauses were set with lab/bench/voice_bench.py (measured in docs/voice_bench.md).
* **Barge-in.** While the coach is talking, a safety word ("stop", "ouch", "that hurts", "too
  much", "ease off", "pause", ...) cuts its speech at once, drops what it was about to say, and is
  sent. Anything else heard while the coach talks is ignored (with open speakers it is mostly the
  coach's own voice); say it again when the coach is quiet.
* **Not understood.** Speech Whisper can make nothing of is sent as ``/nlu_fallback``, so the
  coach answers with its own short re-prompt and keeps the place (during a running hold it pauses
  the hold instead: it may have been a pain report). Sounds that are not speech (Whisper's
  no-speech verdict: a cough, a bump) are ignored.

Every decision is kept as a :class:`Turn` (times on ``clock``, ``time.monotonic`` by default) so
that the latency from the end of speech to the first reply audio can be measured.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, List, Optional

from . import SAMPLE_RATE, SAMPLE_WIDTH
from .recognizer import EXPECT_RATING, EXPECT_ROUTINE, Transcript
from .safety_words import words
from .vad import FRAME_BYTES, FRAME_MS, Utterance, UtteranceDetector

log = logging.getLogger(__name__)

FALLBACK_MESSAGE = "/nlu_fallback"
"""Sent for speech Whisper could make nothing of: Rasa runs the coach's re-prompt for it."""

RATING_QUESTION = "zero to ten"
"""Every coach message that asks for a pain rating says this (``utter_ask_pain`` and
``utter_pain_ask_again``; a test checks the domain). While the last message said it, the next
utterance is transcribed with ratings in Whisper's prompt (a bare "three" comes out as "3")."""

ROUTINE_QUESTIONS = ("which routine?", "pick a routine")
"""Every coach message that asks which routine says one of these (``utter_choose_routine``; a test
checks the domain). The next utterance is transcribed with the routines' names in the prompt."""


def expectation(text: str) -> Optional[str]:
    """What a coach message asks the next utterance to be: a rating, a routine, or anything."""
    lowered = text.lower()
    if RATING_QUESTION in lowered:
        return EXPECT_RATING
    if any(q in lowered for q in ROUTINE_QUESTIONS):
        return EXPECT_ROUTINE
    return None


@dataclass
class Turn:
    """One utterance and what became of it.

    ``action`` is ``sent`` (text sent to the coach), ``barge-in`` (a safety word that cut the
    coach's speech, then sent), ``reprompt`` (unclear speech, ``/nlu_fallback`` sent),
    ``ignored`` (heard while the coach was talking, no safety word), ``ignored-echo`` (with the
    echo guard on: a safety word the coach was itself saying) or ``ignored-noise`` (not speech).
    ``confidence`` is Whisper's average log-probability per token. ``early``: the turn ended on a
    speculative transcript before the VAD's full pause; ``retried``: that transcript was the
    second guess (``retry_ms``). Times are on the session's clock.
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
    retried: bool = False
    sent: Optional[float] = None
    first_reply: Optional[float] = None
    first_audio: Optional[float] = None
    replies: List[str] = field(default_factory=list)
    metadata: Optional[dict] = None  # sent with the text: how it was heard (``Transcript.heard``)

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
                "early_end": self.early, "retried": self.retried,
                "recognition_ms": round(self.recognition_ms, 1),
                "endpoint_ms": ms(self.speech_end, self.endpoint),
                "reply_ms": ms(self.sent, self.first_reply),
                "latency_ms": ms(self.speech_end, self.first_audio), "replies": self.replies,
                "metadata": self.metadata}


class VoiceSession:
    """Turns captured audio into messages for the coach and the coach's messages into speech.

    Args:
        recognizer: A :class:`.recognizer.Recognizer` (``transcribe(pcm, expect) -> Transcript``).
        send: Sends a text and its message metadata (how it was heard, or None) to the coach
            (e.g. ``Chat.send``).
        speaker: Speaks the coach's messages (:class:`.speaker.Speaker`).
        detector: The VAD (a default :class:`.vad.UtteranceDetector` if None).
        on_turn: Called with each finished :class:`Turn` (for printing / logging).
        speculate_ms, early_end_ms: Silence after which to transcribe speculatively, and after
            which a sure speculative transcript ends the turn.
        retry_ms: If not 0, an unsure guess is made again once the silence lasts this long, and
            that second guess stands at the end of the turn if nothing was said since, instead
            of transcribing the utterance again after the VAD's 300 ms: a lower p95 latency,
            and fewer of Whisper's hallucinations than a longer pause draws (measured with
            lab/bench/voice_bench.py; docs/voice_bench.md).
        safety_end_ms: Silence after which a speculative transcript with a safety word ends the
            turn (speech resuming before then throws the guess away: "ouch ... that hurts" is
            one turn). The guess is made while the audio queues, so with a guess taking longer
            than these pauses the turn ends as soon as the guess is ready.
        sure_logprob: A speculative transcript is sure when Whisper's average log-probability
            per token is at least this.
        echo_guard: For open speakers without echo cancellation: a safety word heard while the
            coach itself is saying those very words is taken for its own echo and ignored. Off
            by default (a safety word always wins); see the README on echo.
        hearing: Send how each utterance was heard with it (``Transcript.heard``), so that the
            coach holds back a command that moves the session on when it was heard in doubt.
    """

    def __init__(self, recognizer: Any, send: Callable[[str, Optional[dict]], Any], speaker: Any,
                 detector: Optional[UtteranceDetector] = None,
                 on_turn: Optional[Callable[[Turn], None]] = None,
                 clock: Callable[[], float] = time.monotonic, speculate_ms: int = 30,
                 early_end_ms: int = 150, safety_end_ms: int = 90, retry_ms: int = 150,
                 sure_logprob: float = -0.6,
                 echo_guard: bool = False, hearing: bool = True) -> None:
        self.recognizer, self.send, self.speaker = recognizer, send, speaker
        self.detector = detector or UtteranceDetector()
        self.on_turn = on_turn
        self.clock = clock
        self.speculate_ms, self.early_end_ms = speculate_ms, early_end_ms
        self.safety_end_ms, self.retry_ms = safety_end_ms, retry_ms
        self.sure_logprob = sure_logprob
        self.echo_guard = echo_guard
        self.hearing = hearing
        self.turns: List[Turn] = []
        self._buf = b""
        self._fed = 0  # samples received so far
        self._last_t_end = 0.0  # clock time the last received sample was captured
        self._guess: Optional[Transcript] = None  # speculative transcript of the utterance
        self._retried = False  # the guess was made again over a longer pause
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
            self._expect = expectation(text)
        self.speaker.say(text)

    def _on_audio(self, text: str, speech: Any, t: float) -> None:
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

    def _sure(self, res: Optional[Transcript]) -> bool:
        return res is not None and not res.rejected and (
            res.safety or res.logprob >= self.sure_logprob)

    def _frame(self, frame: bytes) -> None:
        det = self.detector
        for utt in det.feed(frame):
            self._finish(utt, early=False)
        silence = det.silence_ms
        if not det.in_speech or silence == 0:
            self._guess, self._retried = None, False  # speech (re)started: any guess is stale
            return
        first = self._guess is None and silence >= self.speculate_ms
        again = bool(self.retry_ms) and self._guess is not None and not self._retried \
            and not self._sure(self._guess) and silence >= self.retry_ms
        if first or again:
            self._guess = self.recognizer.transcribe(det.current_pcm(), expect=self._expect)
            self._retried = again
        guess = self._guess
        if guess is not None and guess.safety and silence >= self.safety_end_ms:
            self._end_early()  # a safety word: act now
        elif self._sure(guess) and silence >= self.early_end_ms:
            self._end_early()

    def _end_early(self) -> None:
        utt = self.detector.end_now()
        if utt is not None:
            self._finish(utt, early=True)

    def _finish(self, utt: Utterance, early: bool) -> None:
        guess, retried, self._guess, self._retried = self._guess, self._retried, None, False
        if self._sure(guess) or (guess is not None and retried):
            res = guess  # the speculative transcript stands: nothing was said since
        else:  # no guess, or not sure: transcribe the whole utterance with its pause
            res = self.recognizer.transcribe(utt.pcm, expect=self._expect)
        assert res is not None
        now = self.clock()
        speech_end = self._at(utt.speech_end_s)
        talking = self.speaker.busy
        message: Optional[str] = None
        if res.safety and talking and self._is_echo(res.text):
            action = "ignored-echo"
        elif res.safety:
            action = "barge-in" if talking else "sent"
            if talking:
                self.speaker.interrupt()
            message = res.text
        elif res.noise:
            action = "ignored-noise"
        elif talking:
            action = "ignored"
        elif res.rejected:
            action, message = "reprompt", FALLBACK_MESSAGE
        else:
            action, message = "sent", res.text
        turn = Turn(transcript=res.text, rejected=res.rejected, safety=res.safety,
                    source=res.source, confidence=round(res.logprob, 3),
                    recognition_ms=res.ms, speech_end=speech_end, endpoint=now,
                    action=action, early=early, retried=retried)
        if message is not None:
            with self._lock:
                self._awaiting = turn
                turn.sent = self.clock()
            if self.hearing and message != FALLBACK_MESSAGE:
                gate = getattr(self.detector, "gate", None)
                turn.metadata = res.heard(room_talk=bool(gate is not None and gate.active))
            self.send(message, turn.metadata)
        self.turns.append(turn)
        if self.on_turn:
            self.on_turn(turn)

    def _is_echo(self, text: str) -> bool:
        if not self.echo_guard:
            return False
        return f" {' '.join(words(text))} " in f" {' '.join(words(self.speaker.current or ''))} "


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
