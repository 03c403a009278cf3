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
import re
import time
from dataclasses import dataclass
from typing import Iterable, Optional, Sequence

from stretch_coach import contract

from .config import EXPECT_RATING, RecognizerConfig, Result
from .grammar import coverage, grammar_transitions, silence_only_fdict
from .phrases import (CORE_PHRASES, LEXICON_INTENT, RATING_WORDS, SAFETY_PHRASES, PhraseSet,
                      collect_phrases)

log = logging.getLogger(__name__)

SAFETY_INTENTS: frozenset[str] = frozenset(contract.SAFETY_INTENTS)


@dataclass
class _Pass:
    text: str
    score: float  # summed acoustic log-likelihood (natural log) of the best path
    frames: int
    fillers: list[tuple[int, int]]  # frame ranges (inclusive) covered by silence / fillers
    words: list[tuple[int, int]]  # frame ranges covered by words (phones for the phone loop)


_ALT_PRON = re.compile(r"\(\d+\)$")


_NON_SPEECH_PHONES = frozenset({"SIL", "+NSN+", "<sil>", "<s>", "</s>"})


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
            options["fdict"] = str(silence_only_fdict())
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
            "main_coverage": coverage(phones.words, main.fillers),
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
        out["safety_coverage"] = coverage(phones.words, safety.fillers)
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
                    and coverage(phones.words, alone.fillers) >= cfg.fallback_min_coverage
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
                    and coverage(phones.words, alone.fillers)
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
