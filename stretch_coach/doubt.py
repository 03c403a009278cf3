"""Speech heard in doubt: a command that moves the session on is not acted on when the voice loop
is unsure it heard a command rather than a safety request. No Rasa imports.

Under a TV or in an echoing room, Whisper sometimes writes a safety phrase as a command ("OK." for
"ouch ouch", "Let's go." for "hang on"), and the coach would move on past a pain report. The voice
loop sends, with each utterance, how it heard it (message metadata ``heard``: the safety
detector's probability that a safety phrase was said, Whisper's confidence, and whether another
voice was talking on in the room). A moving command heard in doubt is treated as unclear: mid-hold
the coach pauses, elsewhere it asks again. With another voice in the room the bar is lower, a
long sentence is in doubt too, since that is where Whisper writes the TV's words for the
person's, and so is speech the coach cannot place (:data:`CHATTER`). It can
only hold the session back, never move it on, so a client cannot use it to skip a safety step.
The thresholds were set on held-out voices by lab/experiments/doubt_tune.py (docs/voice_bench.md).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any, Mapping, Optional

from . import contract as C

METADATA_KEY = "heard"
"""The message metadata the voice loop sends: ``{"safety_p": float, "logprob": float,
"room_talk": bool}`` (``room_talk`` may be left out: false)."""

SAFETY_P = 0.3
"""A moving command is in doubt when the safety detector gave a safety phrase at least this
probability (its own threshold for hearing one is 0.77) ..."""
SAFETY_P_ROOM_TALK = 0.1
"""... or this much while another voice talks on in the room ..."""
ROOM_TALK_WORDS = 4
"""... or when it was more than this many words while another voice talks on (a TV's sentence
written down for the person's "ouch"; commands are short) ..."""
LOGPROB = -1.2
"""... or when Whisper's average log-probability per token was below this ..."""
LOGPROB_ROOM_TALK = -0.8
"""... or below this while another voice talks on, when Whisper writes the TV's words for the
person's with some confidence ("On the left." for "stop")."""
CHATTER: tuple[str, ...] = (C.OUT_OF_SCOPE, C.GREET, C.THANKS)
"""While another voice talks on, speech the coach cannot place is in doubt too, whatever it was
heard as: that is where Whisper writes the TV's words, or nonsense, for a word it could not make
out ("Very much after the break." for "ouch"). Unclear, it pauses a hold instead of being
answered "I can only help with the stretch" while the hold runs on."""

_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)?")
"""A word of a transcript, digits included ("4th"), for :data:`ROOM_TALK_WORDS`."""


@dataclass(frozen=True)
class Hearing:
    """How the voice loop heard an utterance."""

    safety_p: float  # the safety detector's probability of a safety phrase (0..1)
    logprob: float  # Whisper's average log-probability per token (<= 0)
    room_talk: bool = False  # another voice was talking on (the foreground gate was closing)


def hearing(metadata: Optional[Mapping[str, Any]]) -> Optional[Hearing]:
    """The hearing in a message's metadata, or None (typed text, or malformed: not two finite
    numbers, or a ``room_talk`` that is not true or false)."""
    heard = (metadata or {}).get(METADATA_KEY)
    if not isinstance(heard, Mapping):
        return None
    p, lp, talk = heard.get("safety_p"), heard.get("logprob"), heard.get("room_talk", False)
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
               for v in (p, lp)) or not isinstance(talk, bool):
        return None
    return Hearing(min(max(float(p), 0.0), 1.0), min(float(lp), 0.0), talk)


def in_doubt(intent: Optional[str], heard: Optional[Hearing], text: str = "") -> bool:
    """True when ``intent`` moves the session on and ``text`` (what the voice loop wrote down)
    was heard too uncertainly to act on, or when it is :data:`CHATTER` heard while another
    voice talks on."""
    if heard is None:
        return False
    if heard.room_talk and intent in CHATTER:
        return True
    if intent not in C.MOVING_INTENTS:
        return False
    if heard.room_talk:
        return (len(_WORD.findall(text)) > ROOM_TALK_WORDS or heard.safety_p >= SAFETY_P_ROOM_TALK
                or heard.logprob < LOGPROB_ROOM_TALK)
    return heard.safety_p >= SAFETY_P or heard.logprob < LOGPROB

