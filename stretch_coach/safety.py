"""The safety net around the intent classifier. No Rasa imports.

A missed "ouch" can cost an injury; a false "pause" costs a few seconds. So after the classifier has
spoken, a few cheap checks may overrule it in favour of a safety intent:

0. A rating. An utterance that is a number and nothing else ("3", "It's a 3.", "3/10", "about a
   six") answers "how bad is it?" (or reports pain unasked): it becomes `discomfort`, and the coach
   decides by the open question what it means (stretch_coach.machine).
1. An exclamation and nothing else ("Oh!", "Ah.", "Ugh", "Oh no", "Whoa"): on the floor, mid-stretch,
   that is how a sudden pain sounds, and Whisper writes a short "ow" as "Oh." It becomes
   `discomfort`: the coach stops and asks how bad it is. "Oh, okay" or "Ah, next" are left alone.
2. Pain words. If the utterance holds a word of pain (by lemma, so "hurts", "hurting" and "hurt"
   all count) and the classifier did not already pick a safety intent, it becomes `discomfort`.
3. "Stop" or "pause" anywhere ("Start the stretch. Stop the stretch.", "how do I pause?"), unless
   negated ("don't stop", "un pause"): `pause`, which freezes the hold and is undone by "resume".
4. Partner force. "Easier" about pushing, pressing or pulling becomes `too_much_pressure`.
5. A safety floor. If a safety intent got at least `floor` confidence, but lost to a non-safety intent
   (or to the low-confidence fallback), the best-scoring safety intent wins.

`decide` returns the intent to use and why, or None to leave the classifier's answer alone.
"""

from __future__ import annotations

import heapq
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable, Iterable, Optional, Sequence

from . import contract as C
from . import lexicon

# Lemmas (lower case) that mean pain or injury on their own.
PAIN_LEMMAS = frozenset({
    "ouch", "ow", "owww", "oww", "ouchie", "ow ow", "hurt", "pain", "painful", "ache", "aching",
    "sore", "cramp", "cramping", "pop", "popped", "tear", "tore", "torn", "pull", "strain",
    "injure", "injury", "injured", "sting", "stinging", "burn", "burning", "throb", "throbbing",
    "sharp", "agony", "numb", "tingle", "tingling", "spasm", "twinge", "ah", "argh", "aah", "ahh",
    "pinch", "pinching", "faint", "dizzy", "lightheaded", "nauseous", "stab", "stabbing", "achy",
    "excruciating", "unbearable",
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
    "killing me", "kills me", "killing my",
)

# Words of the partner's force. "Easier" said about pushing or pulling is a pressure complaint:
# both lower the intensity, but too_much_pressure also tells the partner to ease off at once.
FORCE_LEMMAS = frozenset({"push", "press", "pressure", "pull", "squeeze", "grip", "shove", "yank",
                          "tug", "force", "pushing", "pressing", "pulling"})

# Exclamations that may be pain when they are the whole utterance, and the words that may go with them
# ("oh no", "oh my god"); a lone "no" or "my god" is not one.
EXCLAMATIONS = frozenset({"oh", "ohh", "ooh", "oo", "ah", "aah", "ahh", "ugh", "urgh", "oof",
                          "whoa", "woah", "eek", "yikes", "ay", "ai", "jeez", "geez", "gosh"})
EXCLAMATION_COMPANIONS = frozenset({"no", "god", "my", "dear", "oh", "wow"})

# Words that ask to stop wherever they stand, and the words that cancel them just before.
STOP_WORDS = frozenset({"stop", "pause"})
NEGATIONS = frozenset({"don't", "dont", "not", "never", "un", "no"})

DEFAULT_FLOOR = 0.2
NET_INTENTS = C.SAFETY_INTENTS


EXCLAMATION = "exclamation"  # the whole utterance is "Oh!", "Ah.", "Oh no": maybe pain, so ask
RATING = "rating"  # the whole utterance is a number ("3", "it's a 3"): a pain rating
WORDLESS = "wordless"  # input with no letters at all (noise, emoji, punctuation): a re-prompt
NO_KNOWN_WORD = "no_known_word"  # letters but not one English word ("asdkjh qwpoeiru"): a re-prompt

# The "is this an English word?" check: the commonest words of spacy-lookups-data's English word
# frequencies (from Reddit comments), plus every word of our lexicon; no audio package involved.
# The size was measured on the project's own sentences and on random letter strings: fewer words
# miss real ones ("adios"), more let random strings through (docs/nlu_eval.md).
ENGLISH_WORDS_TOP = 100_000
_WORD = re.compile(r"[a-z']+")

# Pain noises that no dictionary spells: "owwww", "aaargh", "ouuuch", "yowch".
_PAIN_NOISE = re.compile(r"^(?:o+u*w+|o+u+c+h+|a+r*g+h+|a+h+|y+o+w+c*h*|e+k+|n+g+h+|u+g+h+|gah+)$")


def is_pain_noise(word: str) -> bool:
    return bool(_PAIN_NOISE.match(word.lower()))


@lru_cache(maxsize=2)
def english_words(top: int = ENGLISH_WORDS_TOP) -> frozenset[str]:
    """Lower-case English words: the `top` commonest of spacy-lookups-data, and the lexicon's."""
    import spacy_lookups_data  # data only (installed with our spaCy pipeline)
    import srsly  # spaCy's JSON reader: a third of the time of json.load for these 1M entries

    probabilities = srsly.read_gzip_json(spacy_lookups_data.get_file("en_lexeme_prob.json.gz"))
    best: dict[str, float] = {}
    for word, p in probabilities.items():
        w = word.lower()
        if _WORD.fullmatch(w) and p > best.get(w, float("-inf")):
            best[w] = p
    words = set(heapq.nlargest(top, best, key=best.__getitem__))
    lex = lexicon.default()
    for phrase in [*lex.pain_words, *(p for table in lex.aliases.values() for p in table)]:
        words.update(_WORD.findall(phrase))
    words.update(PAIN_LEMMAS, lexicon.NUMBER_WORDS, lexicon.RATING_WORDS, lexicon.OFF_SCALE_WORDS)
    return frozenset(words)


def words(text: str) -> list[str]:
    """Lower-case words, apostrophes kept (a curly one too: "don\u2019t"). The voice client splits
    transcripts with it too (stretch_voice.safety_words)."""
    return _WORD.findall(text.lower().replace("\u2019", "'"))


def is_exclamation(text: str) -> bool:
    """The whole utterance is an exclamation ("Oh!", "Ah.", "Oh no!", "Ugh"), nothing more."""
    ws = words(text)
    return bool(ws) and any(w in EXCLAMATIONS for w in ws) \
        and all(w in EXCLAMATIONS or w in EXCLAMATION_COMPANIONS for w in ws)


def asks_to_stop(text: str) -> bool:
    """``stop`` or ``pause`` is said and not negated ("don't stop", "un pause")."""
    ws = words(text)
    return any(w in STOP_WORDS and (i == 0 or ws[i - 1] not in NEGATIONS)
               for i, w in enumerate(ws))


@dataclass(frozen=True)
class Decision:
    intent: str
    reason: str  # "rating", "exclamation", "pain_word", "stop_word", "partner_force", "safety_floor", WORDLESS, NO_KNOWN_WORD


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

    A number and nothing else is a pain rating (`discomfort`), whatever the classifier guessed:
    digits have no letters, and "twenty" may look like a hold time. Off the scale too ("11"), so
    the coach can ask again for zero to ten. Other input without a single letter, or without a
    single English word (`known_word`, see `english_words`) and no pain noise ("owww"), carries no
    request at all: it becomes the fallback (a short re-prompt), whatever the classifier guessed.
    """
    if lexicon.default().rating(text) is not None:
        return None if top_intent == C.DISCOMFORT else Decision(C.DISCOMFORT, RATING)
    if not any(ch.isalpha() for ch in text):
        return Decision(C.NLU_FALLBACK, WORDLESS)
    words = _WORD.findall(text.lower())
    if known_word is not None and not any(known_word(w) or is_pain_noise(w) for w in words) \
            and not has_pain_word(lemmas, text):
        return Decision(C.NLU_FALLBACK, NO_KNOWN_WORD)
    if top_intent in C.SAFETY_INTENTS:
        return None
    if is_exclamation(text):
        return Decision(C.DISCOMFORT, EXCLAMATION)
    lemmas = [lemma.lower() for lemma in lemmas]
    if has_pain_word(lemmas, text):
        return Decision(C.DISCOMFORT, "pain_word")
    if asks_to_stop(text):
        return Decision(C.PAUSE, "stop_word")
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
