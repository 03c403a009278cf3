"""The coaching session as a pure state machine: `step(state, event, now) -> (state, effects)`.

No Rasa imports. The state is a small dataclass that round-trips through a dict (it lives in one
Rasa slot), events are what the person said (an intent plus entities) or a timer cue, and effects are
what to say (a response name and its arguments) and what to do with the hold timer.

Routing is a table: `TRANSITIONS` maps each event to its handler. Safety events (discomfort, too much
pressure, stop, pause) are handled the same way in every phase, mid-question included; every other
handler first checks the open question (a pain rating), so nothing skips past it.

The package: `state` (phases, events, effects, `State`), `turn` (`_Turn`, one transition's working
copy), `session` (session, movement and conversation handlers), `safety` (intensity, safety, pain,
pause and hold handlers), `view` (what the page shows, from the state), and here the table and
`step`.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Optional

from .. import contract as C
from ..catalogue import Catalogue
from ..catalogue import default as default_catalogue
from ..lexicon import SCALE_TOP
from .safety import (_discomfort, _easier, _fallback, _harder, _hold_longer, _how_long_left, _pause,
                     _resume, _stop, _tick, _too_much_pressure, summarise)
from .session import (_affirm, _ask_how_to, _choose_variant, _deny, _goodbye, _greet, _help, _next,
                      _out_of_scope, _previous, _repeat, _start_session, _switch_legs, _switch_roles,
                      _thanks)
from .state import (ACTIVE, ASK_PAIN, CHECK_BETTER, CHOOSING, CONFIRM_FORGET, CONFIRM_HARDER, ENDED,
                    FALLBACK, IDLE, OFFER_START, PAUSED, RECOGNISE, ROUTINE_DONE, SEVERE_PAIN, TICK,
                    Cancel, Effect, Event, Forget, Say, Schedule, State)
from .turn import Handler, _Turn
from .who import _ask_history, _forget_me, _introduce, _recognise

__all__ = [
    "ACTIVE", "ASK_PAIN", "CHECK_BETTER", "CHOOSING", "CONFIRM_FORGET", "CONFIRM_HARDER", "ENDED",
    "FALLBACK", "IDLE", "OFFER_START", "PAUSED", "RECOGNISE", "ROUTINE_DONE", "SCALE_TOP",
    "SEVERE_PAIN", "TICK", "TRANSITIONS", "Cancel", "Effect", "Event", "Forget", "Handler", "Say",
    "Schedule", "State", "step", "summarise",
]

TRANSITIONS: dict[str, Handler] = {
    C.START_SESSION: _start_session,
    C.CHOOSE_VARIANT: _choose_variant,
    C.ASK_HOW_TO: _ask_how_to,
    C.NEXT_STEP: _next,
    C.PREVIOUS_STEP: _previous,
    C.REPEAT: _repeat,
    C.SWITCH_LEGS: _switch_legs,
    C.SWITCH_ROLES: _switch_roles,
    C.HARDER: _harder,
    C.EASIER: _easier,
    C.TOO_MUCH_PRESSURE: _too_much_pressure,
    C.DISCOMFORT: _discomfort,
    C.PAUSE: _pause,
    C.RESUME: _resume,
    C.STOP_SESSION: _stop,
    C.HOW_LONG_LEFT: _how_long_left,
    C.HOLD_LONGER: _hold_longer,
    C.HELP: _help,
    C.GREET: _greet,
    C.GOODBYE: _goodbye,
    C.AFFIRM: _affirm,
    C.DENY: _deny,
    C.THANKS: _thanks,
    C.OUT_OF_SCOPE: _out_of_scope,
    C.INTRODUCE: _introduce,
    C.ASK_HISTORY: _ask_history,
    C.FORGET_ME: _forget_me,
    FALLBACK: _fallback,
    TICK: _tick,
    RECOGNISE: _recognise,
}


def step(
    state: State,
    event: Event,
    now: float,
    catalogue: Optional[Catalogue] = None,
    grace: float = 2.0,
) -> tuple[State, list[Effect]]:
    """Apply one event. `now` is coach time (see timing.Clock); `grace` how late a cue may be."""
    cat = catalogue or default_catalogue()
    turn = _Turn(state, now, cat)
    if event.variant is not None and event.variant not in cat.variants:
        event = replace(event, variant=None)
    if event.name != TICK:
        turn.check_lost_timer(grace)
    if turn.s.question == CONFIRM_FORGET and event.name not in (C.AFFIRM, C.DENY, TICK):
        # "Delete everything?" holds for the next answer only: a later "yes" deletes nothing.
        turn.s.question, turn.s.forget = None, None
    handler = TRANSITIONS.get(event.name, _fallback)
    handler(turn, event)
    if event.name != TICK:
        turn.rearm()
    return turn.s, turn.effects
