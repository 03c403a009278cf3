"""The names people use (`lexicon.yml`) and the normalisers built on them. No Rasa imports."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Optional

import yaml

LEXICON_PATH = Path(__file__).with_name("lexicon.yml")

NUMBER_WORDS = {
    "zero": 0, "nought": 0, "nothing": 0, "none": 0, "oh": 0,
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10,
    # what a recogniser hears instead
    "won": 1, "to": 2, "too": 2, "for": 4, "fore": 4, "ate": 8, "tin": 10,
}
_SCALE_SUFFIX = re.compile(r"\s*(?:out\s+of|outta|of|/)\s*(?:ten|10)\s*$")

_LEADING = re.compile(r"^(?:(?:a|an|the|about|around|like|maybe|it's|its|it is|that's|thats|um|uh)\s+)+")

# Words that make any pain report a sharp one, whatever number comes with it.
SHARP_LEVEL = 8


@dataclass(frozen=True)
class Lexicon:
    # entity name -> {alias phrase: canonical value}
    aliases: dict[str, dict[str, str]]
    # pain word phrase -> level
    pain_words: dict[str, int]
    # lemma -> variants it hints at, for routines described rather than named
    variant_cues: dict[str, tuple[str, ...]] = field(default_factory=dict)
    body_part_needs_determiner: frozenset = frozenset()
    determiners: tuple[str, ...] = ()

    def guess_variant(self, lemmas: list[str]) -> Optional[str]:
        """The routine a description points to, by cue votes; None on no votes or a tie."""
        votes: dict[str, int] = {}
        for lemma in lemmas:
            for variant in self.variant_cues.get(lemma.lower(), ()):
                votes[variant] = votes.get(variant, 0) + 1
        if not votes:
            return None
        ranked = sorted(votes.items(), key=lambda kv: -kv[1])
        if len(ranked) > 1 and ranked[0][1] == ranked[1][1]:
            return None
        return ranked[0][0]

    def canonical(self, entity: str, phrase: str) -> Optional[str]:
        table = self.aliases.get(entity, {})
        text = _clean(phrase)
        return table.get(text) or table.get(_LEADING.sub("", text))

    def pain_level(self, phrase: str) -> Optional[int]:
        """'seven out of ten' -> 7, '7/10' -> 7, 'sharp' -> 8, 'a six' -> 6; None if no level."""
        text = _clean(phrase)
        text = _SCALE_SUFFIX.sub("", text).strip()
        if text in self.pain_words:  # "a bit" is a pain word before "a" is stripped
            return self.pain_words[text]
        text = _LEADING.sub("", text)
        if text in self.pain_words:
            return self.pain_words[text]
        if text.isdigit() and 0 <= int(text) <= 10:
            return int(text)
        if text in NUMBER_WORDS:
            return NUMBER_WORDS[text]
        return None

    def sharp(self, text: str) -> bool:
        """Does the utterance name a sharp kind of pain anywhere in it?"""
        words = f" {_clean(text)} "
        return any(
            f" {w} " in words for w, level in self.pain_words.items() if level >= SHARP_LEVEL
        )


def _clean(text: str) -> str:
    return " ".join(re.sub(r"[^\w/' ]+", " ", text.lower()).split())


def load(path: Path = LEXICON_PATH) -> Lexicon:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    aliases: dict[str, dict[str, str]] = {}
    for entity in ("variant", "side", "body_part"):
        table: dict[str, str] = {}
        for value, phrases in raw[entity].items():
            table[value.replace("_", " ")] = value
            for phrase in phrases:
                table[_clean(phrase)] = value
        aliases[entity] = table
    pain_words = {
        _clean(w): int(level) for level, words in raw["pain_words"].items() for w in words
    }
    cues: dict[str, tuple[str, ...]] = {}
    for variant, lemmas in raw.get("variant_cues", {}).items():
        for lemma in lemmas:
            cues[lemma] = cues.get(lemma, ()) + (variant,)
    return Lexicon(
        aliases=aliases,
        pain_words=pain_words,
        variant_cues=cues,
        body_part_needs_determiner=frozenset(raw.get("body_part_needs_determiner", [])),
        determiners=tuple(raw.get("determiners", [])),
    )


@lru_cache(maxsize=1)
def default() -> Lexicon:
    return load()
