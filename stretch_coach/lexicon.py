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

# A whole utterance that is a rating ("3", "It's a 3.", "About a six.", "3 out of 10", "maybe a 4"):
# the number may come with these words around it and nothing else. Only real number words count
# here, not the recogniser's homophones ("for", "to") or "nothing": a bare "for" is no rating.
_RATING_LEADING = re.compile(
    r"^(?:(?:a|an|about|around|like|maybe|probably|roughly|just|only|um|uh|er|erm|hmm|oh|okay|ok|so|"
    r"well|it's|its|it is|that's|thats|that is|i'd say|id say|i would say|i say|say|i think|i guess|"
    r"i'd give it|i'd rate it|i give it|give it|call it|i'd call it|it feels like|feels like)\s+)+"
)
_RATING_TRAILING = re.compile(
    r"(?:\s+(?:maybe|probably|i think|i guess|or so|ish|now|already|i'd say))+$"
)
RATING_WORDS = {
    "zero": 0, "nought": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10,
}
# Numbers past the scale, so "eleven" or "twenty" gets asked again for zero to ten.
OFF_SCALE_WORDS = {
    "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
    "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40,
    "fifty": 50, "hundred": 100, "one hundred": 100, "million": 1000000,
}
# Whisper writes "three and a half" as "3.5": rounded up, toward safety.
_DECIMAL = re.compile(r"\b(\d{1,3})[.,](\d{1,2})\b")
SCALE_TOP = 10

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

    def rating(self, text: str) -> Optional[int]:
        """The number when the whole utterance is one said as a rating, else None.

        'It's a 3.' -> 3, 'About a six' -> 6, '3/10' -> 3, 'maybe a 4' -> 4, '3 or 4' -> 4 (the
        worse), '3.5' -> 4 (rounded up, toward safety). Numbers off the scale come back as they are
        ('eleven' -> 11, 'twenty' -> 20): the caller decides; 'three steps' or 'for' -> None.
        """
        text = text.lower().replace("\u2019", "'").strip(" .!?,;:")
        text = _DECIMAL.sub(lambda m: str(int(m.group(1)) + (int(m.group(2)) > 0)), text)
        text = _RATING_TRAILING.sub("", _clean(text))
        text = _SCALE_SUFFIX.sub("", text)
        text = _RATING_TRAILING.sub("", _RATING_LEADING.sub("", text)).strip()
        numbers = [_rating_number(part) for part in re.split(r"\s+(?:or|to)\s+", text)]
        if len(numbers) > 2 or None in numbers:
            return None
        return max(n for n in numbers if n is not None)

    def sharp(self, text: str) -> bool:
        """Does the utterance name a sharp kind of pain anywhere in it?"""
        words = f" {_clean(text)} "
        return any(
            f" {w} " in words for w, level in self.pain_words.items() if level >= SHARP_LEVEL
        )


def _rating_number(text: str) -> Optional[int]:
    if text.isdigit() and len(text) <= 7:
        return int(text)
    return RATING_WORDS.get(text, OFF_SCALE_WORDS.get(text))


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
