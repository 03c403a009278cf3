"""Command recogniser: pocketsphinx with phrase grammars, a safety pass and out-of-grammar rejection.

How one utterance is decoded (finite-state grammars on one :class:`pocketsphinx.Decoder`):

1. ``commands`` -- the documented vocabulary only (:data:`.phrases.CORE_PHRASES`, ~65 phrases:
   what the README and the coach's prompts teach), as a minimal word automaton with a uniform
   prior. Few competitors make it accurate and fast (~40 ms). If no complete phrase survives the
   search, pocketsphinx returns a partial path; that alone marks the utterance as out of grammar.
2. ``phones`` -- an unconstrained phone loop (the bundled phone language model). Its acoustic
   score is the best any word sequence could get, so ``(grammar score - phone score) / frames``
   is a length-normalised confidence: near 0 when the audio fits the grammar, very negative when
   the grammar had to force a phrase onto unrelated speech ("play some music" -> "pull my wrists").
   Utterances under :attr:`RecognizerConfig.reject_threshold` are rejected.
3. ``safety`` -- a tiny grammar of the safety words only. In a grammar a short, noisy
   "stop" or "ouch" can lose to a similar-sounding phrase or fail to complete; the tiny grammar
   finds it, and it wins if its confidence is good and not much worse than the main result. This
   errs towards safety on purpose: a false "pause" is cheap, a missed "that hurts" is not.
4. ``extended`` -- only when the core grammar rejects the utterance: the NLU training examples
   of up to :attr:`RecognizerConfig.extended_max_words` words ("move on", "switch sides"; ~850
   phrases, the core ones weighted up), with a stricter threshold. One big grammar of every NLU
   example (1,800 phrases) was measured worse on every count: on the tuning voices commands 74 %
   against 76-80 %, commands taken for safety 7.3 % against 4.5-6 %, and 70 % slower.

While the coach waits for a pain rating (``expect=EXPECT_RATING``: it has just asked "from zero
to ten?"), the first grammar is ``ratings``: the core phrases plus the bare numbers ("six"),
which are otherwise only in the second grammar (as core phrases they drew "sure" -> "two").

Phrases are de-duplicated by pronunciation (phones, word boundaries ignored); of a set of
homophones the core / correctly spelled phrase is kept ("too much pressure", not the NLU typo "to
much pressure"), and a hypothesis is mapped back to the kept phrase (:meth:`Recognizer.canonical`)
before the completeness check. An unfinished path that starts with a safety phrase ("stop the")
counts as that safety phrase.

The phone loop runs on a second decoder (``phone_beam``); pocketsphinx does not release the GIL,
so the passes run one after another (threads would not help).

:meth:`Recognizer.spot_safety` is the barge-in fast path: safety grammar + phone loop only.

Pocketsphinx's spectral noise subtraction (``-remove_noise``, on in the model's feat.params) keeps
a running noise estimate across utterances, which made results depend on what was decoded
before; the feature extractor is therefore reset before every utterance (``reinit_feat``, ~0.1
ms), which makes results deterministic. Feed utterances with some leading non-speech (the VAD in
:mod:`.vad` keeps ~300 ms of pre-roll) so that the noise estimate has something to learn from.

Audio: 16 kHz, mono, signed 16-bit little-endian PCM (``bytes``).
"""

from __future__ import annotations

import logging
import math
import os
import re
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Optional, Sequence

from stretch_coach import contract

from .phrases import (CORE_PHRASES, LEXICON_INTENT, RATING_WORDS, SAFETY_PHRASES, PhraseSet,
                      collect_phrases)

log = logging.getLogger(__name__)

SAFETY_INTENTS: frozenset[str] = frozenset(contract.SAFETY_INTENTS)

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


@dataclass
class _Pass:
    text: str
    score: float  # summed acoustic log-likelihood (natural log) of the best path
    frames: int
    fillers: list[tuple[int, int]]  # frame ranges (inclusive) covered by silence / fillers
    words: list[tuple[int, int]]  # frame ranges covered by words (phones for the phone loop)


_ALT_PRON = re.compile(r"\(\d+\)$")


_NON_SPEECH_PHONES = frozenset({"SIL", "+NSN+", "<sil>", "<s>", "</s>"})


def _coverage(speech: Sequence[tuple[int, int]], fillers: Sequence[tuple[int, int]]) -> float:
    """Fraction of the phone loop's speech frames that a grammar path explains with words
    (rather than with silence): 1.0 = all speech is inside the recognised phrase."""
    total = sum(e - s + 1 for s, e in speech)
    if total == 0:
        return 0.0
    lost = 0
    for s, e in speech:
        for fs, fe in fillers:
            lo, hi = max(s, fs), min(e, fe)
            if lo <= hi:
                lost += hi - lo + 1
    return 1.0 - lost / total


def _silence_only_fdict() -> Path:
    """A filler dictionary with silence only (the model's noisedict minus [NOISE]/[SPEECH])."""
    path = Path(tempfile.gettempdir()) / "stretch_coach_voice_silence.fdict"
    content = "<s> SIL\n</s> SIL\n<sil> SIL\n"
    if not path.is_file() or path.read_text() != content:
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(content)
        os.replace(tmp, path)
    return path


def _dawg(phrases: Iterable[str], weights: Optional[dict[str, float]] = None
          ) -> tuple[list[tuple[int, str, int]], dict[int, float], int, int]:
    """Minimal acyclic word automaton accepting exactly ``phrases``.

    Returns ``(arcs, finals, start, n_states)`` with arcs ``(from, word, to)`` and ``finals``
    mapping each final state to the weight of the phrase ending there (1 unless ``weights`` says
    otherwise). Built as a trie and minimised bottom-up by merging states with equal (final
    weight, outgoing arcs) signatures.
    """
    weights = weights or {}
    children: list[dict[str, int]] = [{}]
    final: list[float] = [0.0]
    for phrase in phrases:
        s = 0
        for word in phrase.split():
            nxt = children[s].get(word)
            if nxt is None:
                children.append({})
                final.append(0.0)
                nxt = children[s][word] = len(children) - 1
            s = nxt
        final[s] = float(weights.get(phrase, 1.0))
    order: list[int] = []  # post-order (children before parents), iteratively
    stack: list[tuple[int, bool]] = [(0, False)]
    while stack:
        s, done = stack.pop()
        if done:
            order.append(s)
            continue
        stack.append((s, True))
        stack.extend((t, False) for t in children[s].values())
    canon: dict[tuple[bool, tuple[tuple[str, int], ...]], int] = {}
    rep: dict[int, int] = {}
    for s in order:
        sig = (final[s], tuple(sorted((w, rep[t]) for w, t in children[s].items())))
        rep[s] = canon.setdefault(sig, s)
    states = sorted(set(rep.values()))
    index = {s: i for i, s in enumerate(states)}
    arcs = [(index[s], w, index[rep[t]]) for s in states for w, t in children[s].items()]
    finals = {index[s]: final[s] for s in states if final[s]}
    return arcs, finals, index[rep[0]], len(states)


def grammar_transitions(phrases: Sequence[str], weights: Optional[dict[str, float]] = None
                        ) -> tuple[list[tuple], int, int]:
    """FSG transitions ``(from, to, prob[, word])`` accepting ``phrases``, each with a prior
    proportional to its weight (``weights``, default 1 = equal prior each).

    Arc probabilities are ``paths(target) / paths(source)`` on the minimal automaton (paths =
    summed weight of the phrases accepted from a state), so every phrase gets probability
    ``weight / total weight`` however much it shares with others. Returns
    ``(transitions, start_state, final_state)``.
    """
    arcs, finals, start, n = _dawg(phrases, weights)
    out: dict[int, list[tuple[str, int]]] = defaultdict(list)
    for s, w, t in arcs:
        out[s].append((w, t))
    paths: dict[int, float] = {}  # summed weight of the phrases accepted from each state

    def count(s: int) -> float:
        stack = [s]
        while stack:
            cur = stack[-1]
            pending = [t for _, t in out[cur] if t not in paths]
            if pending:
                stack.extend(pending)
                continue
            stack.pop()
            paths[cur] = finals.get(cur, 0.0) + sum(paths[t] for _, t in out[cur])
        return paths[s]

    count(start)
    final_state = n
    transitions: list[tuple] = []
    for s in range(n):
        if s not in paths:
            continue
        for w, t in out[s]:
            transitions.append((s, t, paths[t] / paths[s], w))
        if s in finals:
            transitions.append((s, final_state, finals[s] / paths[s]))
    return transitions, start, final_state


class Recognizer:
    """Recognise spoken commands from 16 kHz mono 16-bit PCM.

    Construction loads the model and compiles the grammars (~1 s); :meth:`recognize` then
    takes ~105 ms of CPU median (p90 ~205 ms, when the extended grammar and the safety passes
    are needed) on one core; :meth:`spot_safety` ~25 ms. Not thread-safe: one instance per
    thread (pocketsphinx holds the GIL while decoding, so threads do not run passes in parallel).

    Args:
        phrases: The vocabulary; by default :func:`.phrases.collect_phrases` (NLU data + lexicon
            + core phrases).
        config: Thresholds and beams.
    """

    COMMANDS, SAFETY, PHONES, CORE = "commands", "safety", "phones", "core"
    SAFETY_ONLY, EXTENDED, RATINGS = "safety_only", "extended", "ratings"

    def __init__(self, phrases: Optional[PhraseSet] = None,
                 config: Optional[RecognizerConfig] = None) -> None:
        import pocketsphinx  # imported here so that the rest of the package works without it

        self.config = config or RecognizerConfig()
        self.phrase_set = phrases if phrases is not None else collect_phrases()
        cfg = self.config
        options: dict[str, object] = dict(cfg.decoder_options)
        if not cfg.noise_fillers:
            options["fdict"] = str(_silence_only_fdict())
        featparams = pocketsphinx.get_model_path("en-us/en-us/feat.params")
        self.decoder = pocketsphinx.Decoder(
            lm=None, loglevel=cfg.loglevel, beam=cfg.beam, pbeam=cfg.beam, wbeam=cfg.wbeam,
            featparams=featparams, **options,
        )
        # The phone loop runs on its own decoder so that it can use narrower beams.
        self.phone_decoder = pocketsphinx.Decoder(
            lm=None, loglevel=cfg.loglevel, beam=cfg.phone_beam, pbeam=cfg.phone_beam,
            wbeam=cfg.phone_beam, featparams=featparams, **options,
        )
        self.phone_decoder.add_allphone_file(
            self.PHONES, pocketsphinx.get_model_path("en-us/en-us-phone.lm.bin"))
        self.phone_decoder.activate_search(self.PHONES)

        for word, pron in self.phrase_set.pronunciations.items():
            if self.decoder.lookup_word(word) is None:
                self.decoder.add_word(word, pron, False)
        self.decoder.add_word("<coach-dummy>", "AH", True)  # applies the batched additions

        self.phrases: list[str] = self._dedupe(self.phrase_set.phrases,
                                               first=self._preferred_spellings())
        self._phrase_lookup = set(self.phrases)
        # pronunciation -> the phrase kept for it: the decoder may report a homophone's spelling
        self._by_pron: dict[str, str] = {self._pron_key(p): p for p in self.phrases}
        # The safety grammar: the safety words, the core phrases of safety intents ("too much
        # pressure", "wait a moment") and pain reports naming a body part ("my knee hurts").
        core_safety = [p for p, i in CORE_PHRASES.items() if i in SAFETY_INTENTS]
        body_pain = [p for p in self.phrases if p.startswith("my ") and p.endswith(" hurts")
                     and self.phrase_set.intents[p] & SAFETY_INTENTS]
        self.safety_phrases: list[str] = self._dedupe(
            [p for p in list(SAFETY_PHRASES) + list(cfg.extra_safety_phrases) + core_safety
             + body_pain if all(self.decoder.lookup_word(w) for w in p.split())])
        # The safety pass competes the safety words against the core commands only: without
        # competitors a tiny grammar forces *something* safe onto "next step" ("that hurts").
        # First grammar: the documented vocabulary only (few competitors, fast, accurate).
        self.core_phrases: list[str] = [p for p in CORE_PHRASES if p in self._phrase_lookup]
        competitors = [p for p in self.core_phrases if not self.is_safety_phrase(p)]
        self._add_grammar(self.COMMANDS, self.core_phrases)
        # The first grammar while the coach waits for a pain rating: with the bare numbers.
        self._add_grammar(self.RATINGS, self.core_phrases + [
            p for p in RATING_WORDS if p in self._phrase_lookup and p not in self.core_phrases])
        # Second grammar, for what the first rejects: the short NLU examples ("move on",
        # "switch sides"), with the documented vocabulary still the most likely.
        n = cfg.extended_max_words
        self.extended_phrases: list[str] = [
            p for p in self.phrases if n and (p in CORE_PHRASES or len(p.split()) <= n)
            and self.phrase_set.intents[p] - {LEXICON_INTENT}]
        if self.extended_phrases:
            core_weights = {p: cfg.core_weight for p in self.core_phrases}
            self._add_grammar(self.EXTENDED, self.extended_phrases, weights=core_weights)
        self._core_competitors = frozenset(competitors)
        self._add_grammar(self.SAFETY, self.safety_phrases + competitors)
        self._add_grammar(self.SAFETY_ONLY, self.safety_phrases)
        self._last_phones = _Pass("", 0.0, 1, [], [])
        self._passes: Optional[dict[str, _Pass]] = None  # the searches run for this utterance

    # --- set-up ----------------------------------------------------------------------------

    def _preferred_spellings(self) -> list[str]:
        """Which spelling of a set of homophones to keep: the core phrases, then phrases that are
        examples of a real intent (not only lexicon entries), then the rest."""
        intents = self.phrase_set.intents
        real = [p for p in self.phrase_set.phrases if intents[p] - {LEXICON_INTENT}]
        return list(CORE_PHRASES) + list(SAFETY_PHRASES) + real

    def _pron_key(self, phrase: str) -> str:
        # Phones only, word boundaries ignored: "good by" sounds like "goodbye".
        return " ".join(self.decoder.lookup_word(w) or w for w in phrase.split())

    def _dedupe(self, phrases: Iterable[str], first: Iterable[str] = ()) -> list[str]:
        """Drop phrases that sound exactly like an earlier one ("two much" after "too much") or
        differ only in spacing; ``first`` are kept in preference. Pocketsphinx cannot tell
        homophones apart anyway, and fewer paths make the search faster."""
        seen: set[str] = set()
        squashed: set[str] = set()  # "nextstep" (an NLU typo example) duplicates "next step"
        out: list[str] = []
        wanted = set(phrases)
        for p in [f for f in first if f in wanted] + list(phrases):
            key, squash = self._pron_key(p), p.replace(" ", "")
            if key not in seen and squash not in squashed:
                seen.add(key)
                squashed.add(squash)
                out.append(p)
        return out

    def canonical(self, text: str) -> Optional[str]:
        """The grammar phrase ``text`` stands for (same words or a homophone), or None."""
        text = " ".join(_ALT_PRON.sub("", w) for w in text.split())
        if text in self._phrase_lookup:
            return text
        return self._by_pron.get(self._pron_key(text)) if text else None

    def _add_grammar(self, name: str, phrases: Sequence[str], decoder: object = None,
                     weights: Optional[dict[str, float]] = None) -> None:
        d = decoder or self.decoder
        transitions, start, final = grammar_transitions(phrases, weights)
        fsg = d.create_fsg(name, start, final, transitions)  # type: ignore[attr-defined]
        d.add_fsg(name, fsg)  # type: ignore[attr-defined]

    # --- decoding --------------------------------------------------------------------------

    def _decode(self, search: str, pcm: bytes) -> _Pass:
        cache = self._passes
        if cache is not None and search in cache:
            if search == self.PHONES:
                self._last_phones = cache[search]
            return cache[search]
        d = self.phone_decoder if search == self.PHONES else self.decoder
        if search != self.PHONES:
            d.activate_search(search)
        result = self._run(d, pcm, search == self.PHONES)
        if cache is not None:
            cache[search] = result
        return result

    def _run(self, d: object, pcm: bytes, phones: bool = False) -> _Pass:
        d.reinit_feat()  # type: ignore[attr-defined]  # reset noise / CMN tracking
        d.start_utt()  # type: ignore[attr-defined]
        d.process_raw(pcm, full_utt=True)  # type: ignore[attr-defined]
        d.end_utt()  # type: ignore[attr-defined]
        hyp = d.hyp()  # type: ignore[attr-defined]
        score = 0.0
        fillers: list[tuple[int, int]] = []
        words: list[tuple[int, int]] = []
        for seg in d.seg() or ():  # type: ignore[attr-defined]
            # The Python binding returns linear likelihoods; very long words can underflow.
            score += math.log(seg.ascore) if seg.ascore > 0 else -1e4
            span = (seg.start_frame, seg.end_frame)
            if seg.word in _NON_SPEECH_PHONES or seg.word.startswith("["):
                fillers.append(span)
            else:
                words.append(span)
        text = hyp.hypstr if hyp is not None else ""
        result = _Pass(text=text, score=score, frames=max(1, d.n_frames()),  # type: ignore
                       fillers=fillers, words=words)
        if phones:
            self._last_phones = result
        return result

    def is_safety_phrase(self, text: str) -> bool:
        if text in self.safety_phrases or text in SAFETY_PHRASES:
            return True
        intents = self.phrase_set.intents.get(text, set())
        return bool(intents & SAFETY_INTENTS)

    def intent_of(self, text: str) -> Optional[str]:
        if text in CORE_PHRASES:
            return CORE_PHRASES[text]
        return self.phrase_set.intent_of(text)

    def scores(self, pcm: bytes, with_safety: bool = True, main_search: str = COMMANDS
               ) -> dict[str, object]:
        """Run the searches and return the raw material of a decision (for tuning / debugging):
        texts, confidences and whether the main text is a complete phrase."""
        main = self._decode(main_search, pcm)
        phones = self._decode(self.PHONES, pcm)
        frames = phones.frames
        canonical = self.canonical(main.text)
        out: dict[str, object] = {
            "main_text": canonical or main.text,
            "main_conf": (main.score - phones.score) / frames if main.text else float("-inf"),
            "main_coverage": _coverage(phones.words, main.fillers),
            "complete": canonical is not None,
            "phones": phones.text,
            "frames": frames,
        }
        if with_safety:
            self._add_safety_scores(out, self._decode(self.SAFETY, pcm), phones)
        return out

    def _add_safety_scores(self, out: dict[str, object], safety: _Pass, phones: _Pass) -> None:
        text = self.canonical(safety.text) or safety.text
        if text not in self.safety_phrases and safety.text in self.safety_phrases:
            text = safety.text
        out["safety_text"] = text
        out["safety_conf"] = ((safety.score - phones.score) / phones.frames
                              if text in self.safety_phrases else float("-inf"))
        out["safety_coverage"] = _coverage(phones.words, safety.fillers)
        # The safety grammar's competitors are the core commands: when the big grammar fails
        # on a short core command ("help", "no"), this pass often still finds it.
        out["core_text"] = text if text in self._core_competitors else ""
        out["core_conf"] = ((safety.score - phones.score) / phones.frames
                            if out["core_text"] else float("-inf"))

    def decide(self, s: dict[str, object], reject_threshold: Optional[float] = None
               ) -> tuple[str, bool, float, str]:
        """Turn :meth:`scores` output into ``(text, rejected, confidence, source)``.

        Needs ``safety_text``/``safety_conf`` only when the main result is not an accepted
        safety phrase (raises KeyError otherwise, which :meth:`recognize` uses to run the safety
        pass lazily).
        """
        cfg = self.config
        if reject_threshold is None:
            reject_threshold = cfg.reject_threshold
        main_text, main_conf = str(s["main_text"]), float(s["main_conf"])  # type: ignore[arg-type]
        main_ok = (bool(s["complete"]) and main_conf >= reject_threshold
                   and float(s["main_coverage"]) >= cfg.min_coverage)  # type: ignore[arg-type]
        if main_ok and self.is_safety_phrase(main_text):
            return main_text, False, main_conf, self.COMMANDS
        safety_text, safety_conf = str(s["safety_text"]), float(s["safety_conf"])  # type: ignore
        margin = cfg.safety_margin
        if self.phrase_set.intents.get(main_text) == {LEXICON_INTENT}:
            margin += cfg.lexicon_only_margin  # a bare lexicon word ("both") is weak evidence
        if (safety_conf >= cfg.safety_threshold
                and float(s["safety_coverage"]) >= cfg.safety_min_coverage  # type: ignore
                and (not main_ok or safety_conf >= main_conf - margin)):
            return safety_text, False, safety_conf, self.SAFETY
        if main_ok:
            return main_text, False, main_conf, self.COMMANDS
        # An unfinished path that starts with a safety phrase ("stop the" for "stop") is taken as
        # that phrase: erring towards safety.
        words = main_text.split()
        if not s["complete"] and main_conf >= cfg.safety_prefix_threshold:
            for k in range(len(words) - 1, 0, -1):
                prefix = " ".join(words[:k])
                if prefix in self.safety_phrases:
                    return prefix, False, main_conf, self.COMMANDS
        # A core command found by the safety pass.
        core_text = str(s.get("core_text", ""))
        if (core_text and float(s["core_conf"]) >= cfg.core_threshold  # type: ignore[arg-type]
                and float(s["safety_coverage"]) >= cfg.min_coverage):  # type: ignore[arg-type]
            return core_text, False, float(s["core_conf"]), self.CORE  # type: ignore[arg-type]
        # ...and one that is a complete phrase followed by a word the search began on trailing
        # noise ("resume the") is taken as the phrase if the fit is good.
        if (not s["complete"] and main_conf >= cfg.prefix_threshold
                and float(s["main_coverage"]) >= cfg.min_coverage):  # type: ignore[arg-type]
            for k in range(len(words) - 1, 0, -1):
                prefix = " ".join(words[:k])
                if prefix in self._phrase_lookup and len(words) - k <= cfg.prefix_max_dropped:
                    return prefix, False, main_conf, self.COMMANDS
        return main_text, True, main_conf, "none"

    def decode_all(self, pcm: bytes) -> dict[str, _Pass]:
        """Run every search on ``pcm`` (for tuning: :meth:`recognize` with ``passes`` then
        replays the decision under any thresholds without decoding again)."""
        return {s: self._decode(s, pcm) for s in (self.COMMANDS, self.RATINGS, self.EXTENDED,
                                                   self.PHONES, self.SAFETY, self.SAFETY_ONLY)
                if s != self.EXTENDED or self.extended_phrases}

    def recognize(self, pcm: bytes, passes: Optional[dict[str, _Pass]] = None,
                  expect: Optional[str] = None) -> Result:
        """Recognise one utterance (raw 16 kHz mono 16-bit PCM); ``passes`` from
        :meth:`decode_all` replace the decoding (the thresholds of :attr:`config` apply);
        ``expect=EXPECT_RATING`` when the coach has just asked for a pain rating."""
        t0 = time.perf_counter()
        if passes is None and len(pcm) < 3200:  # < 0.1 s: nothing to decode
            return Result("", True, (time.perf_counter() - t0) * 1000)
        # The phone loop and the safety passes are shared by both grammars.
        self._passes = dict(passes) if passes is not None else {}
        try:
            first = self.RATINGS if expect == EXPECT_RATING else self.COMMANDS
            text, rejected, conf, source = self._recognize_with(
                first, pcm, self.config.reject_threshold)
            if rejected and self.extended_phrases:
                alt = self._recognize_with(self.EXTENDED, pcm,
                                           self.config.extended_reject_threshold)
                if not alt[1]:
                    text, rejected, conf, source = alt
                    if source == self.COMMANDS:
                        source = self.EXTENDED
        finally:
            self._passes = None
        ms = (time.perf_counter() - t0) * 1000
        if rejected:
            return Result(text, True, ms, conf, False, None, source)
        return Result(text, False, ms, conf, self.is_safety_phrase(text), self.intent_of(text),
                      source)

    def _recognize_with(self, main_search: str, pcm: bytes, reject_threshold: float
                        ) -> tuple[str, bool, float, str]:
        """One grammar's decision, with the safety passes and the safety-only last resort."""
        s = self.scores(pcm, with_safety=False, main_search=main_search)
        try:
            text, rejected, conf, source = self.decide(s, reject_threshold)
        except KeyError:  # the safety pass is needed
            phones = self._last_phones
            self._add_safety_scores(s, self._decode(self.SAFETY, pcm), phones)
            text, rejected, conf, source = self.decide(s, reject_threshold)
        if not self.is_safety_phrase(text):
            # Could it be a safety phrase after all? The safety phrases alone are forced onto the
            # audio. A weak result (rejected, or a lexicon entry with no intent, e.g. "both",
            # which espeak's "ow" is heard as) gives way to any good fit. A command gives way if
            # the safety phrase fits about as well: the grammar's beam search can prune the
            # better path ("stop" lost to "hello" while "stop" alone scored higher).
            weak = rejected or self.intent_of(text) is None
            alone = self._decode(self.SAFETY_ONLY, pcm)
            phones = self._last_phones
            cfg = self.config
            so_conf = (alone.score - phones.score) / phones.frames if alone.text else -math.inf
            if (alone.text in self.safety_phrases and so_conf >= cfg.fallback_threshold
                    and _coverage(phones.words, alone.fillers) >= cfg.fallback_min_coverage
                    and (weak or so_conf >= conf - cfg.safety_only_margin)):
                text, rejected, conf, source = alone.text, False, so_conf, self.SAFETY
        return text, rejected, conf, source

    def spot_safety(self, pcm: bytes) -> Result:
        """Fast safety spotting for barge-in (while the coach is talking).

        One pass, no phone loop (~20 ms): the safety grammar (safety phrases competing with the
        core commands) is decoded; if its winner is a safety phrase (or starts with one: "stop
        the"), that is the answer (confidence reported as 0). See
        :attr:`RecognizerConfig.spot_fallback` for a slower, more thorough variant.
        Returns a safety :class:`Result` (source "spot") or a rejected one; never a command.
        """
        t0 = time.perf_counter()
        if len(pcm) < 3200:
            return Result("", True, (time.perf_counter() - t0) * 1000)
        first = self._decode(self.SAFETY, pcm)
        text = self.canonical(first.text) or first.text
        found = self._safety_prefix(text)
        conf = 0.0
        if found is None and self.config.spot_fallback:
            alone = self._decode(self.SAFETY_ONLY, pcm)
            phones = self._decode(self.PHONES, pcm)
            conf = (alone.score - phones.score) / phones.frames if alone.text else -math.inf
            if (alone.text in self.safety_phrases and conf >= self.config.fallback_threshold
                    and _coverage(phones.words, alone.fillers)
                    >= self.config.fallback_min_coverage):
                found = alone.text
        ms = (time.perf_counter() - t0) * 1000
        if found is not None:
            return Result(found, False, ms, conf, True, self.intent_of(found), "spot")
        return Result(text, True, ms, float("-inf"), False, None, "spot")

    def _safety_prefix(self, text: str) -> Optional[str]:
        """``text`` if it is a safety phrase, else its longest leading safety phrase, else None."""
        words = text.split()
        for k in range(len(words), 0, -1):
            prefix = " ".join(words[:k])
            if prefix in self.safety_phrases:
                return prefix
        return None

    def recognize_wav(self, path_or_bytes: object) -> Result:
        """Recognise a WAV file (any format sox understands is converted to 16 kHz mono)."""
        from stretch_voice.audio import read_wav

        return self.recognize(read_wav(path_or_bytes))  # type: ignore[arg-type]


def default_recognizer(config: Optional[RecognizerConfig] = None) -> Recognizer:
    """A recogniser over the project's phrases (NLU data + lexicon + core phrases)."""
    return Recognizer(collect_phrases(), config)


__all__ = ["Recognizer", "RecognizerConfig", "Result", "default_recognizer", "grammar_transitions"]
