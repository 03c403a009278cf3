"""What the session does with a person's history, and what it records for it.

Before a pass on a side that hurt last time: a 4 or more, a sharp pain or an unrated one asks "is it
better today?" first (a no skips the side with the seed's advice); a milder pain starts that side
at the gentlest level with "harder" asking first. A routine whose hold has progressed says so once.
While the session runs, each completed hold and each pain report goes into the stretching
partner's log, which the actions write to the history.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Optional

from .. import history
from ..history import SIDE_WORDS
from .state import ACTIVE, CHECK_BETTER, PAUSED

if TYPE_CHECKING:
    from .turn import _Turn

PARTNER_WORDS = ("first partner", "second partner")


def stretcher_memory(t: _Turn) -> Optional[dict]:
    return t.s.memory[t.s.role]


def name_of(t: _Turn, partner: int) -> Optional[str]:
    return t.s.people[partner]


def _sore_where(side: str, sides: list) -> str:
    """The words for the sore side a pass on ``side`` touches."""
    if side in sides:
        return SIDE_WORDS[side]
    return SIDE_WORDS[sides[0]] if len(sides) == 1 else SIDE_WORDS["both"]


def gate_side(t: _Turn) -> bool:
    """Before a pass starts: ask about a side that hurt badly last time (True: the step waits for
    the answer), or start a side that hurt at all at the gentlest level."""
    partner, side, mem = t.s.role, t.side, stretcher_memory(t)
    if not mem or [partner, side] in t.s.checked:
        return False
    if history.touches(side, mem.get("check", [])):
        t.s.question = CHECK_BETTER
        t.say("utter_better_today", name=mem["name"], where=_sore_where(side, mem["check"]))
        return True
    if history.touches(side, mem.get("sore", [])):
        ease_side(t)
        t.say("utter_sore_gentle", where=_sore_where(side, mem["sore"]))
    return False


def ease_side(t: _Turn) -> None:
    """This side starts at the gentlest level, and "harder" asks first."""
    t.s.checked.append([t.s.role, t.side])
    t.s.level, t.s.caution = 0, True


def announce_plan(t: _Turn) -> None:
    """Say once per session when this routine's hold changed since the person's last session."""
    mem, key = stretcher_memory(t), t.s.variant
    if not mem or key is None or [t.s.role, key] in t.s.told:
        return
    change = mem.get("changes", {}).get(key)
    plan = history.plan_for(mem, key, t.cat)
    if change is None or plan is None:
        return
    t.s.told.append([t.s.role, key])
    if change == "seconds":
        t.say("utter_plan_seconds", seconds=plan.seconds)
    elif change == "reps":
        t.say("utter_plan_reps", reps=plan.reps)
    else:
        t.say("utter_plan_back", seconds=plan.seconds, reps=plan.reps)


def better(t: _Turn) -> None:
    """Yes, it is better: start the side gently."""
    s = t.s
    s.question = None
    if s.phase == PAUSED:
        s.phase, s.paused_from = ACTIVE, None
    ease_side(t)
    t.say("utter_better_good")
    t.speak_step()


def not_better(t: _Turn) -> None:
    """No: skip this side today, with the advice to get it checked."""
    s = t.s
    s.question = None
    if s.phase == PAUSED:
        s.phase, s.paused_from = ACTIVE, None
    s.checked.append([s.role, t.side])
    t.say("utter_skip_side", where=SIDE_WORDS[t.side])
    t.cancel_timer()
    t.advance(record=False)


# --- the log the history keeps ------------------------------------------------------------------
def _log(t: _Turn, partner: int) -> dict:
    if t.s.started is None:
        t.s.started = t.now
    if t.s.log[partner] is None:
        t.s.log[partner] = {"sides": [], "pains": []}
    return t.s.log[partner]


def log_hold(t: _Turn, seconds: float) -> None:
    """A hold (one repetition) completed by the partner stretching."""
    sides = _log(t, t.s.role)["sides"]
    key = [t.s.variant, t.side]
    for row in sides:
        if row[:2] == key:
            row[2], row[3], row[4] = row[2] + 1, row[3] + round(seconds), max(row[4], t.s.level)
            return
    sides.append([*key, 1, round(seconds), t.s.level])


def log_pain(t: _Turn, rating: Optional[int], sharp: bool, action: str, new: bool) -> None:
    """A pain report of the partner stretching (``new``), or the rating of the last one."""
    pains = _log(t, t.s.role)["pains"]
    if new or not pains:
        v = t.variant
        pains.append([rating, sharp, t.s.variant, t.side if v else None,
                      t.s.step + 1 if v else 0, action, t.now])
        return
    last = pains[-1]
    last[0] = rating if rating is not None else last[0]
    last[1], last[5] = last[1] or sharp, action
