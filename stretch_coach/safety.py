"""The safety net around the intent classifier. No Rasa imports.

A missed "ouch" can cost an injury; a false "pause" costs a few seconds. So after the classifier has
spoken, two cheap checks may overrule it in favour of a safety intent:

1. Pain words. If the utterance holds a word of pain (by lemma, so "hurts", "hurting" and "hurt"
   all count) and the classifier did not already pick a safety intent, it becomes `discomfort`.
2. Partner force. "Easier" about pushing, pressing or pulling becomes `too_much_pressure`.
3. A safety floor. If a safety intent got at least `floor` confidence, but lost to a non-safety intent
   (or to the low-confidence fallback), the best-scoring safety intent wins.

`decide` returns the intent to use and why, or None to leave the classifier's answer alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Iterable, Optional, Sequence

from . import contract as C

# Lemmas (lower case) that mean pain or injury on their own.
PAIN_LEMMAS = frozenset({
    "ouch", "ow", "owww", "oww", "ouchie", "ow ow", "hurt", "pain", "painful", "ache", "aching",
    "sore", "cramp", "cramping", "pop", "popped", "tear", "tore", "torn", "pull", "strain",
    "injure", "injury", "injured", "sting", "stinging", "burn", "burning", "throb", "throbbing",
    "sharp", "agony", "numb", "tingle", "tingling", "spasm", "twinge", "ah", "argh", "aah", "ahh",
    "pinch", "pinching", "faint", "dizzy", "lightheaded", "nauseous",
})
# "pull" is pain only as a noun ("I felt a pull"); the partner pulling is pressure. These words never
# count alone: "pull my wrists" is the wrist-pull routine, not an injury.
AMBIGUOUS = frozenset({"pull", "burn", "tear", "ah", "pop"})
# ...but they do when the phrase makes it clear.
PAIN_PHRASES = (
    "felt a pull", "feel a pull", "pulled something", "pulled a muscle", "pulled my",
    "felt a pop", "felt something pop", "heard a pop", "it burns", "burning pain", "sharp pain",
    "something tore", "a tear", "it's sharp", "its sharp", "really sharp", "feels sharp",
    "pins and needles", "on fire", "burning feeling", "feel sick",
)

# Words of the partner's force. "Easier" said about pushing or pulling is a pressure complaint:
# both lower the intensity, but too_much_pressure also tells the partner to ease off at once.
FORCE_LEMMAS = frozenset({"push", "press", "pressure", "pull", "squeeze", "grip", "shove", "yank",
                          "tug", "force", "pushing", "pressing", "pulling"})

DEFAULT_FLOOR = 0.2
NET_INTENTS = (C.DISCOMFORT, C.TOO_MUCH_PRESSURE, C.STOP_SESSION, C.PAUSE)


WORDLESS = "wordless"  # input with no letters at all (noise, emoji, punctuation): a re-prompt
NO_KNOWN_WORD = "no_known_word"  # letters but not one English word ("asdkjh qwpoeiru"): a re-prompt

# Pain noises that no dictionary spells: "owwww", "aaargh", "ouuuch", "yowch".
_PAIN_NOISE = re.compile(r"^(?:o+u*w+|o+u+c+h+|a+r*g+h+|a+h+|y+o+w+c*h*|e+k+|n+g+h+|u+g+h+|gah+)$")


def is_pain_noise(word: str) -> bool:
    return bool(_PAIN_NOISE.match(word.lower()))


@dataclass(frozen=True)
class Decision:
    intent: str
    reason: str  # "pain_word" or "safety_floor"


def has_pain_word(lemmas: Iterable[str], text: str) -> bool:
    lemmas = [lemma.lower() for lemma in lemmas]
    if any(lemma in PAIN_LEMMAS and lemma not in AMBIGUOUS for lemma in lemmas):
        return True
    if any(len(lemma) >= 4 and is_pain_noise(lemma) for lemma in lemmas):  # "owww", not "ah"
        return True
    padded = f" {' '.join(text.lower().split())} "
    return any(f" {p} " in padded or padded.strip().startswith(p) for p in PAIN_PHRASES)


def decide(
    top_intent: Optional[str],
    ranking: Sequence[tuple[str, float]],
    lemmas: Iterable[str],
    text: str,
    floor: float = DEFAULT_FLOOR,
    known_word: Optional[Callable[[str], bool]] = None,
) -> Optional[Decision]:
    """Overrule the classifier toward safety, or return None to keep its answer.

    Input without a single letter, or without a single English word (`known_word`, a dictionary
    check) and no pain noise ("owww"), carries no request at all: it becomes the fallback (a short
    re-prompt), whatever the classifier guessed from it.
    """
    if not any(ch.isalpha() for ch in text):
        return Decision(C.NLU_FALLBACK, WORDLESS)
    words = re.findall(r"[a-z']+", text.lower())
    if known_word is not None and not any(known_word(w) or is_pain_noise(w) for w in words) \
            and not has_pain_word(lemmas, text):
        return Decision(C.NLU_FALLBACK, NO_KNOWN_WORD)
    if top_intent in C.SAFETY_INTENTS:
        return None
    lemmas = [lemma.lower() for lemma in lemmas]
    if has_pain_word(lemmas, text):
        return Decision(C.DISCOMFORT, "pain_word")
    if top_intent == C.EASIER and any(lemma in FORCE_LEMMAS for lemma in lemmas):
        return Decision(C.TOO_MUCH_PRESSURE, "partner_force")
    best = max(
        ((name, conf) for name, conf in ranking if name in NET_INTENTS),
        key=lambda item: item[1],
        default=None,
    )
    if best is not None and best[1] >= floor:
        return Decision(best[0], "safety_floor")
    return None
