"""What the state machine's tests share: run events through `step`, read what was said, and build
the states they start from (a routine at a step, a hold running since T0)."""

from __future__ import annotations

from stretch_coach import catalogue
from stretch_coach import contract as C
from stretch_coach import machine as M

CAT = catalogue.default()
T0 = 1_000.0


def said(effects) -> list[str]:
    return [e.response for e in effects if isinstance(e, M.Say)]


def args_of(effects, response: str) -> dict:
    return next(e.args for e in effects if isinstance(e, M.Say) and e.response == response)


def run(state: M.State, *events, now: float = T0):
    effects = []
    for ev in events:
        if isinstance(ev, str):
            ev = M.Event(ev)
        state, effects = M.step(state, ev, now)
    return state, effects


def at_step(variant: str, step: int, pass_index: int = 0, **kw) -> M.State:
    return M.State(phase=M.ACTIVE, variant=variant, step=step, pass_index=pass_index, **kw)


def hold_step(variant: str) -> int:
    return next(i for i, s in enumerate(CAT[variant].steps) if s.hold)


def started_hold(variant: str, **kw):
    """A state sitting on the variant's hold step with its hold running since T0."""
    state = at_step(variant, hold_step(variant) - 1, **kw)
    return run(state, C.NEXT_STEP)
