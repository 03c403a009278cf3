"""A person's history and what the coach makes of it: the sessions as plain records, what to
remember for the next session (sore sides, sides to ask about, the hold plan), the greeting, and
how holds progress. No Rasa, no database, no clock: dates come in as arguments.

Progression follows ACSM's guidance for static stretching (the catalogue's sources): after a
session of a routine without pain its hold grows one step toward ``hold_cap_seconds``, then its
repetitions one at a time toward the hold's ``top_reps``; never both at once, never past the cap;
any pain in a session sends every routine back to the catalogue's hold.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Optional

from .catalogue import Catalogue

SEVERE_PAIN = 4  # 4/10 or more, or a sharp pain, ends the stretch (and is asked about next time)

SIDE_WORDS = {"left": "left side", "right": "right side", "both": "legs"}

# what the coach did about a pain report (docs/history.md)
ENDED, GENTLER, PAUSED = "ended", "gentler", "paused"
# how a session ended
STOPPED, PAIN, OPEN = "stopped", "pain", "open"


@dataclass(frozen=True)
class PainReport:
    at: dt.datetime
    rating: Optional[int]
    sharp: bool
    variant: Optional[str]
    side: Optional[str]
    step: int
    action: str

    @property
    def severe(self) -> bool:
        """A 4 or more, sharp, or never rated: toward safety, an unrated pain counts as severe."""
        return self.sharp or self.rating is None or self.rating >= SEVERE_PAIN

    @property
    def weight(self) -> tuple:
        return (self.sharp, 11 if self.rating is None else self.rating)


@dataclass(frozen=True)
class SideDone:
    variant: str
    side: str
    holds: int
    seconds: int
    level: int


@dataclass(frozen=True)
class SessionRecord:
    started: dt.datetime
    ended: Optional[dt.datetime] = None
    end: str = OPEN
    partner: Optional[str] = None
    sides: tuple[SideDone, ...] = ()
    pains: tuple[PainReport, ...] = ()

    @property
    def holds(self) -> int:
        return sum(s.holds for s in self.sides)

    @property
    def seconds(self) -> int:
        return sum(s.seconds for s in self.sides)

    @property
    def worst_pain(self) -> Optional[PainReport]:
        return max(self.pains, key=lambda p: p.weight) if self.pains else None


@dataclass(frozen=True)
class Plan:
    seconds: int
    reps: int


@dataclass
class Memory:
    """What the coach keeps in the session's slot about one person, read once from the history."""

    person: str
    name: str
    sore: list = field(default_factory=list)     # sides that hurt last time
    check: list = field(default_factory=list)    # sides to ask "is it better today?" about first
    plan: dict = field(default_factory=dict)     # variant -> [seconds, reps], where not the catalogue's
    changes: dict = field(default_factory=dict)  # variant -> "seconds" | "reps" | "back"
    greet: Optional[list] = None                 # [response, args]: one sentence about last time

    def to_dict(self) -> dict:
        return dict(self.__dict__)


# --- remembering ---------------------------------------------------------------------------------
def _sides(pain: PainReport) -> list:
    return [pain.side or "both"]


def remember(person: str, name: str, last: Optional[SessionRecord], plans: dict[str, Plan],
             changes: dict[str, str], cat: Catalogue, today: dt.date) -> Memory:
    """What to keep about a person for this session, from their last session and their plans."""
    sore: list = []
    check: list = []
    for pain in (last.pains if last else ()):
        for side in _sides(pain):
            if side not in sore:
                sore.append(side)
            if pain.severe and side not in check:
                check.append(side)
    return Memory(person=person, name=name, sore=sore, check=check,
                  plan={k: [p.seconds, p.reps] for k, p in plans.items() if k in cat.variants},
                  changes={k: v for k, v in changes.items() if k in cat.variants},
                  greet=list(greeting(name, last, cat, today)))


def touches(side: str, sides: list) -> bool:
    """Whether a pass on ``side`` uses a leg in ``sides`` ("both" uses both legs)."""
    return bool(sides) and (side in sides or "both" in sides or side == "both")


def when(day: dt.date, today: dt.date) -> str:
    """'today', 'yesterday', 'on Tuesday' within a week, else 'on 24 November'."""
    days = (today - day).days
    if days <= 0:
        return "today"
    if days == 1:
        return "yesterday"
    if days < 7:
        return f"on {day.strftime('%A')}"
    return f"on {day.day} {day.strftime('%B')}"


def _pain_words(pain: PainReport, cat: Catalogue) -> dict:
    routine = cat[pain.variant].name if pain.variant in cat.variants else "stretch"
    return {"where": SIDE_WORDS.get(pain.side or "both", "legs"), "routine": routine,
            "rating": pain.rating}


def greeting(name: str, last: Optional[SessionRecord], cat: Catalogue, today: dt.date
             ) -> tuple[str, dict]:
    """The one sentence for a person coming back: about last time's worst pain, or its holds."""
    if last is None:
        return "utter_nice_to_meet", {"name": name}
    pain = last.worst_pain
    if pain is not None:
        words = {"name": name, **_pain_words(pain, cat)}
        if pain.sharp:
            return "utter_welcome_back_sharp", words
        if pain.rating is None:
            return "utter_welcome_back_unrated", words
        return "utter_welcome_back_pain", words
    if last.holds:
        return "utter_welcome_back_holds", {"name": name, "seconds": last.seconds,
                                            "when": when(last.started.date(), today)}
    return "utter_welcome_back", {"name": name}


# --- progression ---------------------------------------------------------------------------------
def base_plan(variant: str, cat: Catalogue) -> Optional[Plan]:
    hold = cat[variant].hold
    return Plan(hold.seconds, hold.reps) if hold else None


def step_up(plan: Plan, variant: str, cat: Catalogue) -> tuple[Plan, Optional[str]]:
    """One step toward the cap: the hold first, then the repetitions; never both."""
    hold = cat[variant].hold
    assert hold is not None
    cap = max(hold.seconds, cat.hold_cap_seconds)
    if plan.seconds < cap:
        return Plan(min(cap, plan.seconds + cat.hold_step_seconds), plan.reps), "seconds"
    if plan.reps < hold.reps_cap:
        return Plan(plan.seconds, plan.reps + 1), "reps"
    return plan, None


def next_plans(plans: dict[str, Plan], record: SessionRecord, cat: Catalogue
               ) -> tuple[dict[str, Plan], dict[str, str]]:
    """The plans after this session, and what changed per routine. Any pain: every routine back
    to the catalogue's hold. Else each routine with a completed hold this session steps up once."""
    if record.pains:
        bases = {k: base_plan(k, cat) for k in plans if k in cat.variants}
        back = {k: "back" for k, p in plans.items() if k in bases and p != bases[k]}
        return {k: b for k, b in bases.items() if b is not None}, back
    new, changes = dict(plans), {}
    for variant in dict.fromkeys(s.variant for s in record.sides if s.holds > 0):
        if variant not in cat.variants or cat[variant].hold is None:
            continue
        current = plans.get(variant) or base_plan(variant, cat)
        assert current is not None
        stepped, change = step_up(current, variant, cat)
        if change:
            new[variant], changes[variant] = stepped, change
    return new, changes


def plan_for(memory: Optional[dict], variant: str, cat: Catalogue) -> Optional[Plan]:
    """The hold this person does in this routine: their plan, kept within the catalogue's caps."""
    base = base_plan(variant, cat)
    raw = (memory or {}).get("plan", {}).get(variant)
    if base is None or not raw:
        return base
    hold = cat[variant].hold
    assert hold is not None
    seconds = max(base.seconds, min(int(raw[0]), max(hold.seconds, cat.hold_cap_seconds)))
    reps = max(base.reps, min(int(raw[1]), hold.reps_cap))
    return Plan(seconds, reps)
