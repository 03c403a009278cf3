"""Handlers for the session and its movement (start, choose, next, previous, repeat, legs, roles)
and for the conversation around it (greetings, yes and no, help, thanks, out of scope).

Each takes the turn and the event and changes the turn in place.
"""

from __future__ import annotations

from .. import contract as C
from . import memory
from .safety import _enter_pause, _go_harder, _stop
from .state import (ACTIVE, ASK_PAIN, CHECK_BETTER, CHOOSING, CONFIRM_FORGET, CONFIRM_HARDER, ENDED,
                    IDLE, OFFER_START, PAUSED, ROUTINE_DONE, Cancel, Event)
from .who import forget_confirmed
from .turn import _blocked_by_pain_question, _no_routine_to_move, _Turn


def _start_session(t: _Turn, e: Event) -> None:
    if _blocked_by_pain_question(t):
        return
    s = t.s
    if s.phase == ACTIVE and t.timer is not None and not e.variant:
        # "Start" means nothing in the middle of a hold, and "stop" is the word it is most often
        # heard for ("Start the stretch." for "stop the stretch"). Resolve toward safety: pause.
        _enter_pause(t)
        t.say("utter_start_mid_hold")
        return
    if s.phase in (ACTIVE, CHOOSING, PAUSED) and not e.variant:
        t.say("utter_already_started")
        t.nudge()
        return
    if s.phase in (IDLE, ENDED):
        t.s = s.carried()
        t.s.started = t.now
        t.effects.append(Cancel())
        t.say("utter_warm_up", minutes=t.cat.warm_up_minutes)
    if e.variant:
        t.begin_routine(e.variant)
    else:
        t.s.phase, t.s.question = CHOOSING, None
        t.say("utter_choose_routine")


def _choose_variant(t: _Turn, e: Event) -> None:
    if _blocked_by_pain_question(t):
        return
    if not e.variant:
        if t.s.phase in (IDLE, ENDED):
            _start_session(t, e)
        else:
            t.say("utter_choose_routine")
        return
    if t.s.phase in (IDLE, ENDED):
        _start_session(t, e)
        return
    t.begin_routine(e.variant)


def _ask_how_to(t: _Turn, e: Event) -> None:
    key = e.variant or t.s.variant
    if key is None:
        t.say("utter_routines_list")
    else:
        v = t.cat[key]
        t.say("utter_how_to", name=v.name, summary=v.summary)
    if t.s.phase != IDLE and t.s.phase != ENDED:
        t.nudge()


def _next(t: _Turn, e: Event) -> None:
    if _blocked_by_pain_question(t):
        return
    s = t.s
    upcoming = t.next_routine() if s.phase == CHOOSING and s.question == ROUTINE_DONE else None
    if s.phase == ACTIVE:
        t.advance()
    elif upcoming:
        t.begin_routine(upcoming)
    else:
        t.nudge()


def _previous(t: _Turn, e: Event) -> None:
    if _no_routine_to_move(t):
        return
    s = t.s
    t.cancel_timer()
    if s.step > 0:
        s.step -= 1
    elif s.pass_index > 0:
        s.pass_index -= 1
        s.step = len(t.variant.steps) - 1  # type: ignore[union-attr]
        t.say("utter_other_leg", side=t.side)
        if memory.gate_side(t):
            return
    else:
        t.say("utter_first_step")
    t.speak_step()


def _repeat(t: _Turn, e: Event) -> None:
    if _no_routine_to_move(t):
        return
    # Re-hearing a step never restarts a hold that is running; it restarts one that was stopped.
    t.speak_step(start_hold=t.s.timer is None)


def _switch_legs(t: _Turn, e: Event) -> None:
    if _blocked_by_pain_question(t):
        return
    s, v = t.s, t.variant
    if s.phase != ACTIVE or v is None:
        t.nudge()
        return
    if not v.single_leg:
        t.say("utter_both_legs_at_once", name=v.name)
        return
    target = e.side or ("left" if t.side == "right" else "right")
    if target == t.side:
        t.say("utter_already_on_side", side=target)
        return
    t.cancel_timer()
    s.pass_index, s.step = v.sides.index(target), 0
    t.say("utter_switch_legs", side=target)
    if not memory.gate_side(t):
        t.speak_step()


def _switch_roles(t: _Turn, e: Event) -> None:
    if _blocked_by_pain_question(t):
        return
    s = t.s
    if s.phase in (IDLE, ENDED):
        t.nudge()
        return
    t.cancel_timer()
    s.role, s.level, s.caution = 1 - s.role, 0, False
    if s.people[s.role]:
        t.say("utter_switch_roles_named", name=s.people[s.role])
    else:
        t.say("utter_switch_roles")
    if s.variant:
        t.begin_routine(s.variant)
    else:
        s.phase, s.question = CHOOSING, None
        t.say("utter_choose_routine")


def _help(t: _Turn, e: Event) -> None:
    t.say("utter_help")
    if t.s.question == ASK_PAIN:
        t.say("utter_pain_ask_again")


def _greet(t: _Turn, e: Event) -> None:
    if t.s.phase in (IDLE, ENDED):
        t.s.question = OFFER_START
        t.say("utter_greet")
    else:
        t.say("utter_greet_again")
        t.nudge()


def _goodbye(t: _Turn, e: Event) -> None:
    if t.s.phase in (ACTIVE, CHOOSING, PAUSED):
        _stop(t, e)
    t.s.question = None
    t.say("utter_goodbye")


def _affirm(t: _Turn, e: Event) -> None:
    q = t.s.question
    if q == CHECK_BETTER:
        memory.better(t)
    elif q == CONFIRM_FORGET:
        forget_confirmed(t)
    elif q == ASK_PAIN:
        t.say("utter_pain_ask_again")
    elif q == OFFER_START:
        _start_session(t, Event(C.START_SESSION))
    elif q == CONFIRM_HARDER and t.s.phase == ACTIVE:
        _go_harder(t)
    elif q == ROUTINE_DONE:
        _next(t, e)
    else:
        t.say("utter_okay")
        t.nudge()


def _deny(t: _Turn, e: Event) -> None:
    q = t.s.question
    if q == ASK_PAIN:
        t.say("utter_pain_ask_again")
        return
    if q == CHECK_BETTER:
        memory.not_better(t)
        return
    t.s.question = None
    if q == CONFIRM_FORGET:
        t.s.forget = None
        t.say("utter_forget_kept")
    elif q == CONFIRM_HARDER:
        t.say("utter_stay_level")
    elif q == OFFER_START:
        t.say("utter_whenever_ready")
    else:
        t.say("utter_okay")
        t.nudge()


def _thanks(t: _Turn, e: Event) -> None:
    t.say("utter_thanks")
    if t.s.question == ASK_PAIN:
        t.say("utter_pain_ask_again")


def _out_of_scope(t: _Turn, e: Event) -> None:
    t.say("utter_out_of_scope")
    t.nudge()
