"""The retired pocketsphinx recogniser's settings and result (see :mod:`.recognizer`)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Optional, Sequence

EXPECT_RATING = "rating"
"""``recognize(..., expect=EXPECT_RATING)``: the coach has just asked for a pain rating, so the
first grammar also holds the bare ratings ("six")."""


@dataclass(frozen=True)
class Result:
    """The outcome of recognising one utterance.

    Attributes:
        text: The recognised phrase ("" if nothing was heard). For a rejected utterance this is
            the grammar's best guess, kept for logging only -- do not act on it.
        rejected: True if the audio did not match any known phrase well enough.
        ms: Wall-clock recognition time in milliseconds.
        confidence: ``(grammar - phone loop) acoustic log-score per frame``; 0 is a perfect fit,
            around -2.5..-3.5 is typical for in-grammar commands, below -4 is suspicious.
        safety: True if the text is a safety request (stop / pause / pain / too much pressure).
        intent: The intent the phrase is an example of, when unambiguous (a hint for logging;
            the NLU server stays the authority).
        source: Which search produced the text: "commands", "safety", "core" (the core commands of the safety pass), "spot" or "none".
    """

    text: str
    rejected: bool
    ms: float
    confidence: float = float("-inf")
    safety: bool = False
    intent: Optional[str] = None
    source: str = "none"

    def as_dict(self) -> dict[str, object]:
        return {"text": self.text, "rejected": self.rejected, "ms": round(self.ms, 1),
                "confidence": None if math.isinf(self.confidence) else round(self.confidence, 3),
                "safety": self.safety, "intent": self.intent, "source": self.source}


@dataclass
class RecognizerConfig:
    """Tunable settings. The thresholds were tuned by ``bench/voice_tune.py`` on 13 synthetic
    voices (9 espeak-ng variants, flite's 4) that the benchmark does not use, clean and with
    pink noise: 2,600 clips of the core phrases, natural variants and sentences that are no
    command. Retune them on real microphone recordings."""

    reject_threshold: float = -3.4
    """Reject a command whose confidence is below this (per-frame log-score vs phone loop)."""
    extended_max_words: int = 3
    """The second grammar (see the module doc) holds the NLU examples of at most this many words
    (0 = no second grammar: only the core phrases are recognised)."""
    extended_reject_threshold: float = -3.3
    """The second grammar's result must reach this confidence (stricter than the core
    grammar's: a bigger grammar fits out-of-grammar speech more easily)."""
    core_weight: float = 30.0
    """Prior of a core phrase (:data:`.phrases.CORE_PHRASES`) relative to any other phrase in
    the command grammar."""
    core_threshold: float = -3.2
    """When the command grammar finds nothing acceptable, a core command found by the safety
    pass (where the core commands compete with the safety words) is accepted if its confidence
    is at least this."""
    safety_prefix_threshold: float = -4.0
    """An unfinished grammar path that starts with a safety phrase ("stop a", "stop the") is
    taken as that safety phrase if its confidence is at least this (deliberately loose: on the
    tuning data only spoken safety phrases produced such paths)."""
    prefix_threshold: float = -3.6
    """An unfinished grammar path ("resume the") whose first words are a complete phrase
    ("resume") is accepted as that phrase if its confidence is at least this..."""
    prefix_max_dropped: int = 1
    """...and at most this many trailing words are dropped."""
    safety_threshold: float = -4.0
    """The safety pass must reach at least this confidence to be believed."""
    safety_margin: float = 1.2
    """...and be no more than this much worse than the main grammar's result."""
    beam: float = 1e-30
    """Pocketsphinx HMM beam (``-beam``/``-pbeam``); wider = slower and a little more accurate."""
    wbeam: float = 1e-20
    """Word-exit beam (``-wbeam``)."""
    extra_safety_phrases: Sequence[str] = ("stop it", "ow ow", "it hurts", "that's too much")
    """Phrases added to the safety grammar besides :data:`.phrases.SAFETY_PHRASES`."""
    lexicon_only_margin: float = 0.5
    """Extra margin when the main result is only a lexicon entry, not an example of any intent
    (e.g. "both", which espeak's "ow" is often heard as)."""
    min_coverage: float = 0.6
    """A phrase must explain at least this fraction of the speech frames (as found by the phone
    loop) with words; otherwise the grammar matched a short phrase and called the rest
    silence, which is what it does with long out-of-grammar sentences."""
    safety_min_coverage: float = 0.5
    """The same for the safety pass; lower, erring towards safety ("ouch" heard as "ow" leaves
    the "ch" uncovered)."""
    noise_fillers: bool = False
    """Keep the model's ``[NOISE]``/``[SPEECH]`` filler words. They let a grammar absorb any
    stretch of speech as "filler" around a short phrase, which made long out-of-grammar
    sentences look like a confident "too much"; off by default (only silence is a filler)."""
    phone_beam: float = 1e-20
    """Beams of the phone-loop pass (a separate decoder). The phone loop only provides the
    reference score for the confidence, so it can search more narrowly than the grammar."""
    fallback_threshold: float = -4.1
    """Against missed safety phrases: the safety phrases alone are forced onto every utterance
    whose result is not a safety phrase; one with at least this confidence wins over a rejected
    result, and over a command when it fits about as well (:attr:`safety_only_margin`)..."""
    fallback_min_coverage: float = 0.7
    """...and explaining at least this fraction of the speech."""
    safety_only_margin: float = 0.0
    """An accepted command gives way to the safety phrases alone (same threshold and coverage)
    when their confidence is at least the command's minus this."""
    spot_fallback: bool = False
    """:meth:`Recognizer.spot_safety`: when the safety-vs-core-commands pass does not pick a
    safety phrase, also run the phone loop and the safety phrases alone (the same last resort as
    :meth:`Recognizer.recognize`, :attr:`fallback_threshold`). Catches a few more safety phrases
    but costs ~60 ms more on every non-safety utterance. (A narrow-beam phone loop, ~15 ms, was
    tried instead and did not separate safety phrases from commands.)"""
    decoder_options: dict = field(default_factory=dict)
    """Extra pocketsphinx options for both decoders (e.g. ``{"topn": 8}``), for experiments.
    Options that the model's ``feat.params`` sets (``cmn``, ``remove_noise``, ...) are not
    changed this way: pocketsphinx reads that file after them. Measured on the tuning set:
    ``topn`` 8 +2 points of commands but -6 of out-of-grammar rejection and +40 ms; frequency
    warping (``warp_type``/``warp_params``, 0.86-1.14) changed no voice by more than noise."""
    loglevel: str = "FATAL"
