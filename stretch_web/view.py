"""What the page shows, computed from the coach's session (the ``coach`` slot of the tracker).

The coach keeps its whole session in one slot (:class:`stretch_coach.machine.State` as a dict);
the gateway reads it through Rasa's HTTP API after each coach message and turns it into a small
view: the phase, the routine and step in words, who acts in the step, and the hold timer. Pure: no
Rasa, no audio, no I/O.
"""

from __future__ import annotations

from typing import Any, Optional

from stretch_coach.catalogue import Catalogue
from stretch_coach.catalogue import default as default_catalogue
from stretch_coach.timing import Clock, HoldTimer

PARTNER = "your partner"


def actor(instruction: str) -> str:
    """Who acts in a step: the steps speak to the person stretching ("you"), so a step that
    starts with "Your partner" is the helper's, every other step is the stretcher's."""
    return "partner" if instruction.lower().startswith(PARTNER) else "you"


def hold_view(raw: Optional[dict], clock: Clock) -> Optional[dict[str, Any]]:
    """The hold timer for the page, in coach seconds; ``scale`` turns them into real seconds."""
    timer = HoldTimer.from_dict(raw)
    if timer is None:
        return None
    now = clock.now()
    return {"phase": timer.phase, "rep": timer.rep, "reps": timer.reps,
            "length": round(timer.phase_length(), 2), "remaining": round(timer.remaining(now), 2),
            "paused": timer.paused, "scale": clock.scale}


def view(state: Optional[dict], clock: Optional[Clock] = None,
         catalogue: Optional[Catalogue] = None) -> dict[str, Any]:
    """The page's view of a coach session (``state`` is the ``coach`` slot, None before start)."""
    cat = catalogue or default_catalogue()
    clock = clock or Clock()
    s = state or {}
    phase = s.get("phase") or "idle"
    out: dict[str, Any] = {"phase": phase, "paused": phase == "paused", "routine": None,
                           "figure": None, "step": None, "steps": None, "instruction": None,
                           "actor": None, "side": None, "role": int(s.get("role") or 0),
                           "question": s.get("question"), "hold": None}
    key = s.get("variant")
    if key in cat.variants and phase in ("active", "paused"):
        v = cat[key]
        index = min(int(s.get("step") or 0), len(v.steps) - 1)
        sides = v.sides
        side = sides[min(int(s.get("pass_index") or 0), len(sides) - 1)]
        text = v.steps[index].spoken(side)
        out.update(routine=v.name, figure=key, step=index + 1, steps=len(v.steps),
                   instruction=text, actor=actor(text), side=side)
        out["hold"] = hold_view(s.get("timer"), clock)
    return out
