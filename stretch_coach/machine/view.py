"""What the coach shows: a session's view for the clients that display it (the web page).

After every turn the actions send this view as a custom payload, so a client renders what the
coach says it is showing instead of rebuilding the session from the coach's storage. It is built
from the machine's own state and helpers (the step as spoken, the side of the current pass, the
hold timer), at the time the caller's clock gives. Data, not speech: no sentence of the coach's
is in it. The fields are listed in docs/protocol.md.
"""

from __future__ import annotations

from typing import Any, Optional

from ..catalogue import Catalogue
from ..catalogue import default as default_catalogue
from ..timing import Clock, HoldTimer
from .state import ACTIVE, PAUSED, State
from .turn import _Turn

SHOWS_ROUTINE = (ACTIVE, PAUSED)
"""Phases in which the view shows the routine's step (a pause keeps the place it paused at)."""


def hold_view(timer: Optional[HoldTimer], clock: Clock) -> Optional[dict[str, Any]]:
    """The hold timer at the clock's now: its phase (hold or rest), repetition, length and time
    left in coach seconds, ``scale`` (real seconds per coach second) and ``due``, the Unix time
    the phase ends (None while paused)."""
    if timer is None:
        return None
    now = clock.now()
    due = None if timer.paused else round(clock.to_real(timer.phase_end()), 3)
    return {"phase": timer.phase, "rep": timer.rep, "reps": timer.reps,
            "length": round(timer.phase_length(), 2), "remaining": round(timer.remaining(now), 2),
            "paused": timer.paused, "scale": clock.scale, "due": due}


def view(state: State, clock: Clock, catalogue: Optional[Catalogue] = None) -> dict[str, Any]:
    """The session as a client shows it: the phase and open question (which drive the page's
    heading), and while a routine runs or is paused its name, step, who acts, side and hold."""
    turn = _Turn(state, clock.now(), catalogue or default_catalogue())
    s, variant = turn.s, turn.variant
    out: dict[str, Any] = {"phase": s.phase, "question": s.question, "paused": s.phase == PAUSED,
                           "role": s.role, "routine": None, "variant": None, "step": None,
                           "steps": None, "instruction": None, "actor": None, "side": None,
                           "hold": None}
    if variant is not None and s.phase in SHOWS_ROUTINE:
        step = variant.steps[s.step]
        out.update(routine=variant.name, variant=variant.key, step=s.step + 1,
                   steps=len(variant.steps), instruction=step.spoken(turn.side),
                   actor=step.actor, side=turn.side, hold=hold_view(turn.timer, clock))
    return out
