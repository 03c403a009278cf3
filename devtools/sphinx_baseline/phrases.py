"""The command phrases the speech recogniser should know.

Sources, merged and de-duplicated:

1. Every example of every intent in ``data/nlu/*.yml`` (Rasa 3 YAML), except ``out_of_scope``
   (those are exactly what the recogniser must reject). Entity markup is stripped to plain text:
   ``[seated one]{"entity": "variant", ...}`` -> ``seated one``, ``[left](side)`` -> ``left``.
2. Every phrase of ``stretch_coach/lexicon.yml`` (variants, sides, body parts, pain words).
3. :data:`CORE_PHRASES`, the safety words and a few basic commands, so that the recogniser works
   (and the safety words are always there) whatever the NLU data holds.

Text is lower-cased, digits are spelled out ("7/10" -> "seven out of ten"), punctuation is removed.
A phrase is kept only if every word is in pocketsphinx's bundled US English dictionary or can be
given a pronunciation here (a small table plus a plural rule); the others are reported as dropped.

This module reads YAML only; it does not import Rasa.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping, Optional, Union

import yaml

from stretch_coach import contract

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_NLU_DIR = PROJECT_ROOT / "data" / "nlu"
DEFAULT_LEXICON = PROJECT_ROOT / "stretch_coach" / "lexicon.yml"

SAFETY_PHRASES: tuple[str, ...] = ("stop", "ouch", "that hurts", "too much", "ease off", "pause",
                                   "ow")
"""Words that must always be recognised: they stop or soften the stretch."""

_UNITS = ("zero one two three four five six seven eight nine ten eleven twelve thirteen "
          "fourteen fifteen sixteen seventeen eighteen nineteen").split()

CORE_PHRASES: Mapping[str, str] = {
    "stop": contract.STOP_SESSION,
    "stop stop": contract.STOP_SESSION,
    "stop it": contract.STOP_SESSION,
    "stop the stretch": contract.STOP_SESSION,
    "ouch": contract.DISCOMFORT,
    "ow": contract.DISCOMFORT,
    "ow ow": contract.DISCOMFORT,
    "that hurts": contract.DISCOMFORT,
    "it hurts": contract.DISCOMFORT,
    "too much": contract.TOO_MUCH_PRESSURE,
    "that's too much": contract.TOO_MUCH_PRESSURE,
    "ease off": contract.TOO_MUCH_PRESSURE,
    "pause": contract.PAUSE,
    "next step": contract.NEXT_STEP,
    "previous step": contract.PREVIOUS_STEP,
    "switch legs": contract.SWITCH_LEGS,
    "switch roles": contract.SWITCH_ROLES,
    "harder": contract.HARDER,
    "easier": contract.EASIER,
    "repeat that": contract.REPEAT,
    "how long left": contract.HOW_LONG_LEFT,
    "hold longer": contract.HOLD_LONGER,
    "resume": contract.RESUME,
    "help": contract.HELP,
    "yes": contract.AFFIRM,
    "no": contract.DENY,
    "thank you": contract.THANKS,
    # The product's documented wordings (README / the coach's prompts), so that they are in the
    # grammar whatever the NLU data holds, and spelled correctly (the NLU data also has typo
    # variants such as "to much pressure", which sound the same).
    "too much pressure": contract.TOO_MUCH_PRESSURE,
    "wait a moment": contract.PAUSE,
    "goodbye": contract.GOODBYE,
    "hello": contract.GREET,
    "next": contract.NEXT_STEP,
    "go back": contract.PREVIOUS_STEP,
    "push a bit more": contract.HARDER,
    "a bit gentler": contract.EASIER,
    "carry on": contract.RESUME,
    "let's start": contract.START_SESSION,
    "start the session": contract.START_SESSION,
    "what's next": contract.NEXT_STEP,
    "say that again": contract.REPEAT,
    "other leg": contract.SWITCH_LEGS,
    "how many seconds left": contract.HOW_LONG_LEFT,
    "what can i say": contract.HELP,
    "yes please": contract.AFFIRM,
    "not now": contract.DENY,
    "the seated one": contract.CHOOSE_VARIANT,
    "the kneeling stretch": contract.CHOOSE_VARIANT,
    "the standing one": contract.CHOOSE_VARIANT,
    "standing double leg": contract.CHOOSE_VARIANT,
    "the wrist pull": contract.CHOOSE_VARIANT,
    "how do i do the seated one": contract.ASK_HOW_TO,
    "how does the kneeling one work": contract.ASK_HOW_TO,
    "how does the seated one work": contract.ASK_HOW_TO,
    "how does the standing one work": contract.ASK_HOW_TO,
    "how does the wrist pull work": contract.ASK_HOW_TO,
    # The answers to the coach's own question "How bad is it, from zero to ten?".
    **{f"{n} out of ten": contract.DISCOMFORT for n in _UNITS[:11]},
}
"""Phrases always in the grammar (the first, small one), with the intent each one stands for."""

LEXICON_INTENT = "lexicon"
"""Pseudo-intent recorded for phrases that come only from the lexicon."""

# Pronunciations (CMU ARPAbet, as used by the bundled en-us acoustic model) for words the
# coach's users say that are missing from cmudict-en-us.dict.
EXTRA_PRONUNCIATIONS: Mapping[str, str] = {
    "hammy": "HH AE M IY",
    "hammies": "HH AE M IY Z",
    "kneels": "N IY L Z",
    "oww": "AW",
    "owww": "AW",
    "ouchie": "AW CH IY",
    "aah": "AA",
    "mmm": "M",
    "unpause": "AH N P AO Z",
    "hiya": "HH AY Y AH",
    "heya": "HH EY Y AH",
    "noo": "N UW",
}
"""Typing variants that are real spoken forms. Plain typos in the NLU data ("stap", "helo") are
deliberately left out: people do not say them, and they are dropped."""

_ENTITY_MARKUP = re.compile(r"\[([^\]]*)\](?:\{[^}]*\}|\([^)]*\))")
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()
_ORDINALS = {"1": "first", "2": "second", "3": "third", "4": "fourth", "5": "fifth", "6": "sixth",
             "7": "seventh", "8": "eighth", "9": "ninth", "10": "tenth"}

RATING_WORDS: Mapping[str, str] = {n: contract.DISCOMFORT for n in _UNITS[:11]}
"""The bare answers to "from zero to ten?" ("six"). Always in the phrase set, but not core
phrases: single short words, in the first grammar they drew other short commands ("sure" and
"help" were heard as "two" on the tuning voices); "six out of ten" is core."""


def number_to_words(n: int) -> str:
    """Spell out a non-negative integer below one million ("42" -> "forty two")."""
    if n < 20:
        return _UNITS[n]
    if n < 100:
        return _TENS[n // 10] + ("" if n % 10 == 0 else " " + _UNITS[n % 10])
    if n < 1000:
        rest = n % 100
        return _UNITS[n // 100] + " hundred" + ("" if rest == 0 else " " + number_to_words(rest))
    if n < 1_000_000:
        rest = n % 1000
        return (number_to_words(n // 1000) + " thousand"
                + ("" if rest == 0 else " " + number_to_words(rest)))
    raise ValueError(f"number too large to spell: {n}")


def strip_entity_markup(text: str) -> str:
    """``[seated one]{"entity": ...}`` -> ``seated one``; ``[left](side)`` -> ``left``."""
    return _ENTITY_MARKUP.sub(lambda m: m.group(1), text)


def normalize(text: str) -> str:
    """Plain spoken form of an NLU example: markup stripped, lower case, numbers spelled out,
    punctuation removed (apostrophes inside words are kept: ``that's``), spaces collapsed."""
    t = strip_entity_markup(text).lower()
    t = t.replace("\u2019", "'").replace("\u2018", "'")
    t = re.sub(r"(\d+)\s*/\s*10\b", r"\1 out of ten", t)
    t = re.sub(r"(\d+)\s*%", r"\1 percent", t)
    t = re.sub(r"\b(\d+)(st|nd|rd|th)\b", lambda m: _ORDINALS.get(m.group(1), m.group(1)), t)
    t = re.sub(r"\d+", lambda m: f" {number_to_words(int(m.group()))} "
               if len(m.group()) <= 6 else " ", t)
    t = re.sub(r"[^a-z' ]+", " ", t)          # hyphens, slashes, punctuation -> space
    t = re.sub(r"(?<![a-z])'|'(?![a-z])", " ", t)  # quotes that are not inside a word
    return " ".join(t.split())


@functools.lru_cache(maxsize=4)
def load_dictionary(path: Optional[str] = None) -> frozenset[str]:
    """The words of pocketsphinx's bundled US English dictionary (variants like ``ow(2)`` folded)."""
    if path is None:
        import pocketsphinx  # local import: keeps this module importable for plain YAML work

        path = pocketsphinx.get_model_path("en-us/cmudict-en-us.dict")
    words: set[str] = set()
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            if line.strip():
                words.add(line.split(None, 1)[0].split("(", 1)[0])
    return frozenset(words)


@functools.lru_cache(maxsize=4)
def _dictionary_entries(path: Optional[str] = None) -> Mapping[str, str]:
    if path is None:
        import pocketsphinx

        path = pocketsphinx.get_model_path("en-us/cmudict-en-us.dict")
    entries: dict[str, str] = {}
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            parts = line.split(None, 1)
            if len(parts) == 2 and "(" not in parts[0]:
                entries[parts[0]] = parts[1].split("#", 1)[0].strip()
    return entries


_VOICELESS = {"P", "T", "K", "F", "TH"}
_SIBILANT = {"S", "Z", "SH", "ZH", "CH", "JH"}


def guess_pronunciation(word: str, dict_path: Optional[str] = None) -> Optional[str]:
    """A pronunciation for an out-of-dictionary word, or None.

    Uses :data:`EXTRA_PRONUNCIATIONS`, then the regular plural / 3rd-person rule on a dictionary
    stem ("kneels" -> "kneel" + Z).
    """
    if word in EXTRA_PRONUNCIATIONS:
        return EXTRA_PRONUNCIATIONS[word]
    entries = _dictionary_entries(dict_path)
    for suffix in ("es", "s"):
        if word.endswith(suffix) and word[: -len(suffix)] in entries:
            stem = entries[word[: -len(suffix)]]
            last = stem.split()[-1]
            if last in _SIBILANT:
                return stem + " IH Z"
            return stem + (" S" if last in _VOICELESS else " Z")
    return None


# --- reading the sources ---------------------------------------------------------------------

def _example_lines(examples: Any) -> Iterator[str]:
    """Examples of one intent block: a ``|`` string of ``- text`` lines or a list of them."""
    if isinstance(examples, str):
        for line in examples.splitlines():
            line = line.strip()
            if line.startswith("- "):
                yield line[2:].strip()
            elif line == "-":
                continue
    elif isinstance(examples, list):
        for item in examples:
            if isinstance(item, str):
                yield item.strip()
            elif isinstance(item, dict) and isinstance(item.get("text"), str):
                yield item["text"].strip()


def iter_nlu_examples(nlu_dir: Union[str, Path] = DEFAULT_NLU_DIR
                      ) -> Iterator[tuple[str, str]]:
    """Yield ``(intent, raw example)`` for every intent example in ``nlu_dir/*.yml``.

    Files that are missing, half-written or not valid YAML are skipped silently: the NLU data may
    be being written while this runs. Retrieval intents (``chitchat/ask_name``) report the base
    intent name.
    """
    root = Path(nlu_dir)
    if not root.is_dir():
        return
    for path in sorted(list(root.glob("*.yml")) + list(root.glob("*.yaml"))):
        try:
            doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError, UnicodeDecodeError):
            continue
        if not isinstance(doc, dict) or not isinstance(doc.get("nlu"), list):
            continue
        for block in doc["nlu"]:
            if isinstance(block, dict) and isinstance(block.get("intent"), str):
                intent = block["intent"].split("/", 1)[0]
                for example in _example_lines(block.get("examples")):
                    yield intent, example


def iter_lexicon_sections(lexicon: Union[str, Path] = DEFAULT_LEXICON
                          ) -> Iterator[tuple[str, str]]:
    """``(top-level section, phrase)`` for every phrase of the lexicon YAML."""
    path = Path(lexicon)
    if not path.is_file():
        return
    doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if isinstance(doc, dict):
        for section, node in doc.items():
            for phrase in _leaf_strings(node):
                yield str(section), phrase


def lexicon_command_phrases(lexicon: Union[str, Path] = DEFAULT_LEXICON
                            ) -> Iterator[tuple[str, str]]:
    """Spoken commands implied by the lexicon: naming a routine chooses it ("the wrist pull"),
    a pain report names a body part ("my hamstring hurts") or a rating ("three out of ten")."""
    for section, phrase in iter_lexicon_sections(lexicon):
        if section == "variant":
            yield phrase, contract.CHOOSE_VARIANT
            if not phrase.startswith("the "):
                yield "the " + phrase, contract.CHOOSE_VARIANT
        elif section == "body_part":
            yield f"my {phrase} hurts", contract.DISCOMFORT
    for n in _UNITS[1:11]:
        yield f"{n} out of ten", contract.DISCOMFORT


def _leaf_strings(node: Any) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, (list, tuple)):
        for item in node:
            yield from _leaf_strings(item)
    elif isinstance(node, dict):
        for value in node.values():
            yield from _leaf_strings(value)


def iter_lexicon_phrases(lexicon: Union[str, Path] = DEFAULT_LEXICON) -> Iterator[str]:
    """Every phrase (leaf string) of the lexicon YAML."""
    path = Path(lexicon)
    if not path.is_file():
        return
    doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    yield from _leaf_strings(doc)


# --- the phrase set --------------------------------------------------------------------------

@dataclass
class PhraseSet:
    """The recogniser's vocabulary of whole phrases.

    Attributes:
        intents: phrase -> intents it was an example of (a phrase can occur under several).
        pronunciations: pronunciations to add to the decoder for words not in its dictionary.
        dropped: phrases left out, with the words that had no pronunciation.
    """

    intents: dict[str, set[str]] = field(default_factory=dict)
    pronunciations: dict[str, str] = field(default_factory=dict)
    dropped: dict[str, list[str]] = field(default_factory=dict)

    @property
    def phrases(self) -> list[str]:
        """All phrases, sorted."""
        return sorted(self.intents)

    @property
    def words(self) -> set[str]:
        return {w for p in self.intents for w in p.split()}

    def add(self, phrase: str, intent: str) -> None:
        self.intents.setdefault(phrase, set()).add(intent)

    def intent_of(self, phrase: str) -> Optional[str]:
        """The single intent of a phrase if it is unambiguous (lexicon-only phrases excluded)."""
        found = self.intents.get(phrase, set()) - {LEXICON_INTENT}
        return next(iter(found)) if len(found) == 1 else None

    def by_intent(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for phrase, intents in self.intents.items():
            for intent in intents:
                out.setdefault(intent, []).append(phrase)
        return {k: sorted(v) for k, v in sorted(out.items())}


EXCLUDED_INTENTS: frozenset[str] = frozenset({contract.OUT_OF_SCOPE, contract.NLU_FALLBACK})


def collect_phrases(nlu_dir: Union[str, Path] = DEFAULT_NLU_DIR,
                    lexicon: Union[str, Path, None] = DEFAULT_LEXICON,
                    extra: Iterable[tuple[str, str]] = (),
                    dict_path: Optional[str] = None,
                    max_words: int = 14) -> PhraseSet:
    """Build the :class:`PhraseSet` from NLU data, the lexicon, the core phrases and ``extra``.

    Args:
        nlu_dir: Folder of Rasa NLU YAML files (missing folder = no NLU phrases).
        lexicon: The lexicon YAML, or None to leave it out.
        extra: More ``(phrase, intent)`` pairs.
        dict_path: Pronunciation dictionary; pocketsphinx's bundled one by default.
        max_words: Phrases longer than this are dropped (long sentences are rare as voice commands
            and make the grammar slower and looser).
    """
    dictionary = load_dictionary(dict_path)
    result = PhraseSet()

    def consider(raw: str, intent: str) -> None:
        phrase = normalize(raw)
        if not phrase or phrase in result.intents and intent in result.intents[phrase]:
            return
        words = phrase.split()
        if len(words) > max_words:
            result.dropped[phrase] = ["<too long>"]
            return
        missing: list[str] = []
        for w in words:
            if w in dictionary or w in result.pronunciations:
                continue
            pron = guess_pronunciation(w, dict_path)
            if pron is None:
                missing.append(w)
            else:
                result.pronunciations[w] = pron
        if missing:
            result.dropped[phrase] = missing
        else:
            result.add(phrase, intent)

    for phrase, intent in list(CORE_PHRASES.items()) + list(RATING_WORDS.items()):
        consider(phrase, intent)
    for intent, example in iter_nlu_examples(nlu_dir):
        if intent not in EXCLUDED_INTENTS:
            consider(example, intent)
    if lexicon is not None:
        for phrase, intent in lexicon_command_phrases(lexicon):
            consider(phrase, intent)
        for phrase in iter_lexicon_phrases(lexicon):
            consider(phrase, LEXICON_INTENT)
    for phrase, intent in extra:
        consider(phrase, intent)
    return result


def out_of_scope_examples(nlu_dir: Union[str, Path] = DEFAULT_NLU_DIR) -> list[str]:
    """Normalised ``out_of_scope`` examples (useful to measure rejection)."""
    return sorted({normalize(e) for i, e in iter_nlu_examples(nlu_dir)
                   if i == contract.OUT_OF_SCOPE and normalize(e)})


if __name__ == "__main__":  # pragma: no cover - manual inspection
    ps = collect_phrases()
    print(f"{len(ps.intents)} phrases, {len(ps.words)} words, "
          f"{len(ps.pronunciations)} added pronunciations, {len(ps.dropped)} dropped")
    for p, missing in sorted(ps.dropped.items()):
        print(f"  dropped: {p!r}  ({', '.join(missing)})")
