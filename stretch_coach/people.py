"""Who is who: the partners' names from what they say, and which names we accept.

"I'm Alex, Sam is helping", "my name is Alex", "it's Sam's turn". A name is data from the user: it
only ever fills a slot of the coach's own sentences, so it is checked here (letters of any
alphabet, spaces, apostrophes and hyphens, at most ``MAX_NAME`` characters, not a word the coach
listens for) and anything else counts as no name. No Rasa imports.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Optional

MAX_NAME = 30

# Words the coach listens for, and the words people put after "I'm" that are not names: "I'm
# done" or "I'm fine" must never make a person called Done or Fine.
NOT_NAMES = frozenset("""
stop pause resume next back start restart quit exit help yes no yeah yep nope okay ok fine good
great ready done here sorry sure tired sore hurt hurting hurts ouch ow pain painful stretching
stretch stretcher helping helper partner harder easier more less again repeat left right both
first second turn going good bad well alright all right not so very just too really still
finished hold holding waiting listening the a an and or but me you him her them it this that
there going trying cold warm hot kneeling seated standing wrist pull forget delete history
coach time today bit little fine thanks thank please hi hello hey bye goodbye someone nobody
person other one my your his her their our its everyone everybody anyone somebody guy girl boy
man woman friend buddy mate wife husband son daughter mum mom dad brother sister who whose what
""".split())

_LETTERS = r"[^\W\d_]+"
_NAME = re.compile(rf"^{_LETTERS}(?:(?:[ '’-]){_LETTERS})*$")
_N = r"([^\W\d_][^\W\d_'’ -]*(?:[ '’-][^\W\d_][^\W\d_'’ -]*){0,3})(?!\w)"
# Whose turn: "it's Sam's turn", "Sam's turn", "Sam goes now", "Sam will stretch".
_TURN = re.compile(rf"(?:^|\b)(?:it'?s |its |now )?{_N}['’]s turn\b|\b{_N} (?:goes|stretches|"
                   rf"will stretch|is stretching|is next|'s next|is up)\b", re.I)
# The helper: "Sam is helping", "Sam helps", "with Sam helping", "helped by Sam", "my partner is Sam".
_HELPER = re.compile(rf"\b{_N}(?: is|'s|’s) (?:helping|my partner|the helper|my helper)\b|\b{_N} (?:helps|will help)"
                     rf"\b|\bhelped by {_N}|\b(?:with )?{_N} helping|\bmy (?:partner|helper)(?:'s| is) {_N}",
                     re.I)
# The speaker, who stretches: "I'm Alex", "I am Alex", "my name is Alex", "this is Alex", "call me Alex".
_SELF = re.compile(rf"\b(?:i'?m|i am|im|my name is|my name's|this is|call me|name is) {_N}",
                   re.I)


@dataclass(frozen=True)
class Names:
    """The names found in one utterance: the one stretching now, the helper, and whose turn it is."""

    stretcher: Optional[str] = None
    helper: Optional[str] = None
    turn: Optional[str] = None
    rejected: bool = False   # something was said as a name and refused

    @property
    def any(self) -> bool:
        return bool(self.stretcher or self.helper or self.turn)


def clean_name(raw: Optional[str]) -> Optional[str]:
    """The name as the coach will say it, or None when it is not a plausible name."""
    if not raw:
        return None
    text = unicodedata.normalize("NFC", " ".join(raw.split())).strip(" .,!?;:\"")
    text = text.replace("’", "'")
    if not text or len(text) > MAX_NAME or not _NAME.match(text):
        return None
    if any(part.lower() in NOT_NAMES for part in re.split(r"[ '-]", text) if part):
        return None
    return " ".join(p[:1].upper() + p[1:] if p.islower() else p for p in text.split(" "))


_JOINS = frozenset({"is", "am", "are", "i", "with", "my", "and", "as", "by", "here", "me"})


def _trim(raw: str, first: bool) -> str:
    """The name in a generous match: the words before a joining word ("Alex and", "Alex Sam is"
    stays "Alex Sam") for the speaker, the one word next to the verb for the helper and the turn
    ("am Alex Sam" -> "Sam": without a comma nothing says where one name ends)."""
    words = raw.split(" ")
    if not first:
        return words[-1]
    kept = []
    for w in words:
        if w.lower() in _JOINS:
            break
        kept.append(w)
    return " ".join(kept)


def _first(match: Optional[re.Match]) -> Optional[str]:
    if match is None:
        return None
    return next((g for g in match.groups() if g), None)


def parse(text: Optional[str]) -> Names:
    """The names in ``text``; ``rejected`` when a name was said in a known form but refused."""
    text = " ".join((text or "").split())[:500]
    found = {}
    rejected = False
    for key, pattern in (("turn", _TURN), ("helper", _HELPER), ("stretcher", _SELF)):
        match = pattern.search(text)
        raw = _first(match)
        if raw is None:
            continue
        name = clean_name(_trim(raw, first=key == "stretcher"))
        if name is None:
            rejected = True
        elif name not in found.values():
            found[key] = name
    helper, stretcher = found.get("helper"), found.get("stretcher")
    if helper and stretcher and stretcher.endswith(" " + helper):   # "I am Alex Sam is helping"
        found["stretcher"] = stretcher[: -len(helper) - 1]
    return Names(stretcher=found.get("stretcher"), helper=found.get("helper"),
                 turn=found.get("turn"), rejected=rejected and not found)
