"""Does a transcript hold a safety word? The voice client's own quick check.

The NLU decides what a transcript means; this check only decides what the voice loop does *before*
the NLU answers: cut the coach's speech at once (barge-in), end the turn without waiting for more
silence, prefer a safety reading from Whisper's n-best. It errs towards safety: a needless barge-in
costs a sentence, a missed one lets the coach talk over "ouch".

The pain words and the word splitter are the coach's own (:mod:`stretch_coach.safety`), so the two
cannot drift.
"""

from __future__ import annotations

from stretch_coach.safety import (AMBIGUOUS, PAIN_LEMMAS, PAIN_PHRASES, is_exclamation,
                                  is_pain_noise, words)

REQUESTS = (
    "stop", "pause", "wait", "hold on", "hang on", "too much", "ease off", "ease up", "let go",
    "release", "back off", "too hard", "too far", "enough", "careful", "slow down",
)
"""Requests to stop or soften the stretch, as whole words or phrases. Not "gentler" or "easier":
those lower the intensity (the ``easier`` intent), they are not a call for help."""

_SUFFIXES = ("ing", "s", "ed", "es")


def _forms(word: str) -> set[str]:
    forms = {word}
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) > len(suffix) + 2:
            forms.add(word[: -len(suffix)])
    return forms


def is_safety_text(text: str) -> bool:
    """True if ``text`` asks to stop or soften, or reports pain ("Ouch.", "My knee hurts",
    "Too much!", "owww"), or is an exclamation and nothing else ("Oh!": the coach asks)."""
    ws = words(text)
    if not ws:
        return False
    if is_exclamation(text):
        return True
    joined = f" {' '.join(ws)} "
    if any(f" {p} " in joined for p in REQUESTS) or any(p in joined for p in PAIN_PHRASES):
        return True
    for w in ws:
        if is_pain_noise(w) and len(w) >= 3 and w not in ("ah", "aah", "ahh"):
            return True
        if any(f in PAIN_LEMMAS and f not in AMBIGUOUS for f in _forms(w)):
            return True
    return False
