"""Choosing a turn's entities from the entity ruler's candidate spans. No Rasa imports.

The spaCy span ruler proposes every span the lexicon knows, overlaps included ("pull my wrists" is
both the wrist-pull routine and a body part). The intent then decides: only the kinds of entity
that intent carries are kept (contract.INTENT_ENTITIES), longest first without overlaps, and a
routine that was described rather than named is guessed from the lexicon's cue words.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Optional

from . import contract as C
from .lexicon import SCALE_TOP, Lexicon


GUESS_VARIANT_FOR = (C.CHOOSE_VARIANT, C.ASK_HOW_TO)


@dataclass(frozen=True)
class Candidate:
    label: str
    start: int        # character offsets in the text
    end: int
    text: str
    value_id: str     # the ruler pattern's id ("" when none)


@dataclass(frozen=True)
class Entity:
    entity: str
    value: str
    start: int
    end: int


def _value(lex: Lexicon, c: Candidate) -> Optional[str]:
    if c.label == C.PAIN_LEVEL:
        level = lex.pain_level(c.text)
        return None if level is None else str(level)
    return c.value_id or lex.canonical(c.label, c.text)


# A bare side word after these is not a side: "that's not right", "all right".
NOT_A_SIDE_AFTER = ("not", "all", "alright")


def _is_side_word_in_disguise(c: Candidate, text: str) -> bool:
    if c.label != C.SIDE or " " in c.text.strip():
        return False
    before = text[: c.start].lower().split()
    return bool(before) and before[-1] in NOT_A_SIDE_AFTER


def resolve(
    intent: Optional[str],
    candidates: Iterable[Candidate],
    lemmas: list[str],
    lex: Lexicon,
    text: str = "",
) -> list[Entity]:
    allowed = C.INTENT_ENTITIES.get(intent or "", ())
    pool = sorted(
        (c for c in candidates if c.label in allowed and not _is_side_word_in_disguise(c, text)),
        key=lambda c: (-(c.end - c.start), c.start),
    )
    chosen: list[Entity] = []
    for c in pool:
        if any(c.start < e.end and e.start < c.end for e in chosen):
            continue
        value = _value(lex, c)
        if value is not None:
            chosen.append(Entity(c.label, value, c.start, c.end))
    if intent == C.DISCOMFORT and text and not any(e.entity == C.PAIN_LEVEL for e in chosen):
        # The whole turn is a rating the ruler has no pattern for: "one" alone (the ruler skips it,
        # too often "this one"), "3.5", "3 or 4".
        level = lex.rating(text)
        if level is not None and 0 <= level <= SCALE_TOP:
            chosen.append(Entity(C.PAIN_LEVEL, str(level), 0, len(text)))
    if intent in GUESS_VARIANT_FOR and not any(e.entity == C.VARIANT for e in chosen):
        guess = lex.guess_variant(lemmas)
        if guess is not None:
            chosen.append(Entity(C.VARIANT, guess, 0, 0))
    return sorted(chosen, key=lambda e: e.start)
