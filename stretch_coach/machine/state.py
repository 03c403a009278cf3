"""The machine's words: phases, open questions, events, effects and the session state.

The state is a small dataclass that round-trips through a dict (it lives in one Rasa slot), events
are what the person said (an intent plus entities) or a timer cue, and effects are what to say (a
response name and its arguments) and what to do with the hold timer.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Optional, Union

from .. import contract as C
from ..history import SEVERE_PAIN  # noqa: F401  (the machine's name for it)

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
CHECK_BETTER = "better"          # a side that hurt badly last time: "is it better today?"
CONFIRM_FORGET = "forget"        # "delete everything about Alex?"

TICK = "hold_tick"  # a timer cue came due (Rasa reminder)
RECOGNISE = "recognise"  # the actions found the pair a device saw last (not said by anyone)
FALLBACK = C.NLU_FALLBACK



@dataclass(frozen=True)
class Event:
    name: str
    variant: Optional[str] = None
    side: Optional[str] = None
    pain: Optional[int] = None
    sharp: bool = False
    # The number, when the whole utterance was one ("3", "it's a 3", "twenty"), on the scale or not.
    rating: Optional[int] = None
    # Names said ("stretcher", "helper", "turn"), or the partners a device saw last ("0", "1"), each
    # {"name": ..., "memory": history.Memory as a dict, or None when no history is kept}.
    people: Optional[dict] = None


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


@dataclass(frozen=True)
class Forget:
    """Delete everything kept about this person (confirmed by a yes)."""

    person: str


Effect = Union[Say, Schedule, Cancel, Forget]


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
    # --- who is who, and what their history says (kept when a new session starts) ---------------
    people: list = field(default_factory=lambda: [None, None])   # each partner's name, or None
    memory: list = field(default_factory=lambda: [None, None])   # history.Memory dicts, or None
    known: bool = False          # the device's last pair was looked up (once per conversation)
    # --- this session, per partner: what the history will keep -----------------------------------
    started: Optional[float] = None   # coach time the session started
    log: list = field(default_factory=lambda: [None, None])      # {"sides": [...], "pains": [...]}
    checked: list = field(default_factory=list)  # [partner, side] already asked about or eased
    told: list = field(default_factory=list)     # [partner, variant] whose new hold was said
    forget: Optional[int] = None                 # the partner a "forget me" asks about

    def carried(self) -> "State":
        """A new session for the same people: names and memory stay, the rest starts afresh."""
        return State(people=list(self.people), memory=list(self.memory), known=self.known)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, raw: Optional[dict]) -> "State":
        if not raw:
            return cls()
        known = {k: v for k, v in raw.items() if k in cls.__dataclass_fields__}
        return cls(**known)
