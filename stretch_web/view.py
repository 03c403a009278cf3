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
        step = v.steps[index]
        out.update(routine=v.name, figure=key, step=index + 1, steps=len(v.steps),
                   instruction=step.spoken(side), actor=step.actor, side=side)
        out["hold"] = hold_view(s.get("timer"), clock)
    return out


def aged(page_view: dict[str, Any], seconds: float) -> dict[str, Any]:
    """``page_view`` as it is ``seconds`` (real time) after it was read: a running hold has that
    much less left (a reloaded page is sent the last view read, not a stale countdown)."""
    hold = page_view.get("hold")
    if not hold or hold["paused"] or seconds <= 0:
        return page_view
    left = max(0.0, hold["remaining"] - seconds / hold["scale"])
    return {**page_view, "hold": {**hold, "remaining": round(left, 2)}}
