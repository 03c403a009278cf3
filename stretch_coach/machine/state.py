"""The machine's words: phases, open questions, events, effects and the session state.

The state is a small dataclass that round-trips through a dict (it lives in one Rasa slot), events
are what the person said (an intent plus entities) or a timer cue, and effects are what to say (a
response name and its arguments) and what to do with the hold timer.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Optional, Union

from .. import contract as C

# phases
IDLE = "idle"            # no session yet (or a new one after the last ended)
CHOOSING = "choosing"    # session started, no routine running
ACTIVE = "active"        # walking a routine's steps
PAUSED = "paused"        # paused by request or by discomfort
ENDED = "ended"          # stopped

# open questions
ASK_PAIN = "pain"                # "how bad is it, zero to ten?"
CONFIRM_HARDER = "harder"        # harder right after "too much pressure"
ROUTINE_DONE = "routine_done"    # "next routine, or switch roles?"
OFFER_START = "start"            # after a greeting: "shall we start?"

TICK = "hold_tick"  # a timer cue came due (Rasa reminder)
FALLBACK = C.NLU_FALLBACK

SEVERE_PAIN = 4  # 4/10 or more, or a sharp pain, ends the stretch


@dataclass(frozen=True)
class Event:
    name: str
    variant: Optional[str] = None
    side: Optional[str] = None
    pain: Optional[int] = None
    sharp: bool = False
    # The number, when the whole utterance was one ("3", "it's a 3", "twenty"), on the scale or not.
    rating: Optional[int] = None


@dataclass(frozen=True)
class Say:
    response: str
    args: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Schedule:
    """(Re)arm the single hold reminder for coach time `due`."""

    due: float


@dataclass(frozen=True)
class Cancel:
    """Cancel the hold reminder."""


Effect = Union[Say, Schedule, Cancel]


@dataclass
class State:
    phase: str = IDLE
    variant: Optional[str] = None
    step: int = 0
    pass_index: int = 0          # which leg pass of the routine (right then left, or "both")
    level: int = 0               # intensity, 0 = gentlest
    role: int = 0                # 0: the first partner stretches, 1: they have swapped
    caution: bool = False        # set by too-much-pressure / mild pain: next "harder" asks first
    question: Optional[str] = None
    paused_from: Optional[str] = None
    timer: Optional[dict] = None
    done: list = field(default_factory=list)   # [role, variant, side] per finished pass

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, raw: Optional[dict]) -> "State":
        if not raw:
            return cls()
        known = {k: v for k, v in raw.items() if k in cls.__dataclass_fields__}
        return cls(**known)
