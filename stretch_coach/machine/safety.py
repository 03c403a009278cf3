"""Handlers for intensity, safety and holds: harder and easier, too much pressure, discomfort and the
pain rating, pause, resume and stop, the hold's time, unclear input, and the hold reminder's ticks.

Safety events are handled the same way in every phase, mid-question included. Each handler takes the
turn and the event and changes the turn in place.
"""

from __future__ import annotations

from typing import Optional, Sequence

from ..catalogue import Catalogue
from ..history import ENDED as PAIN_ENDED
from ..history import GENTLER, PAUSED as PAIN_PAUSED
from ..lexicon import SCALE_TOP  # pain is rated from zero to ten (the entity extractor's scale)
from ..timing import END, HOLD, NEXT_REP, WARNING
from . import memory
from .state import (ACTIVE, ASK_PAIN, CHECK_BETTER, CHOOSING, CONFIRM_HARDER, ENDED, IDLE, PAUSED,
                    SEVERE_PAIN,
                    Cancel, Event, Schedule)
from .turn import _blocked_by_pain_question, _no_routine_to_move, _Turn


def _go_harder(t: _Turn) -> None:
    s, v = t.s, t.variant
    assert v is not None
    s.caution, s.question = False, None
    if s.level < v.top_level:
        s.level += 1
        lv = v.levels[s.level]
        t.say("utter_harder", cue=lv.cue, safety=lv.safety)
    elif v.harder_variant:
        harder = t.cat[v.harder_variant]
        t.say("utter_harder_variant", name=harder.name, safety=harder.levels[0].safety)
        s.level = 0
        t.begin_routine(harder.key, announce="utter_routine_start_quiet")
    else:
        t.say("utter_harder_top", name=v.name)


def _harder(t: _Turn, e: Event) -> None:
    if _no_routine_to_move(t):
        return
    s = t.s
    if s.caution and s.question != CONFIRM_HARDER:
        s.question = CONFIRM_HARDER
        t.say("utter_harder_caution")
        return
    _go_harder(t)


def _lower(t: _Turn) -> bool:
    """One step gentler, quietly. Returns False when already at the gentlest."""
    s, v = t.s, t.variant
    if v is None:
        return False
    if s.level > 0:
        s.level -= 1
        t.say("utter_easier", cue=v.levels[s.level].cue)
        return True
    if v.easier_variant and s.phase == ACTIVE:
        easier = t.cat[v.easier_variant]
        t.say("utter_easier_variant", name=easier.name)
        t.begin_routine(easier.key, announce="utter_routine_start_quiet")
        return True
    return False


def _easier(t: _Turn, e: Event) -> None:
    if _blocked_by_pain_question(t):
        return
    if t.s.question == CONFIRM_HARDER:
        t.s.question = None
    if t.s.phase != ACTIVE:
        t.nudge()
        return
    if not _lower(t):
        t.say("utter_easiest")


def _too_much_pressure(t: _Turn, e: Event) -> None:
    s = t.s
    t.cancel_timer()
    helper = s.people[1 - s.role]
    if helper:
        t.say("utter_ease_off_named", name=helper)
    else:
        t.say("utter_ease_off")
    s.caution = True
    if s.question == CONFIRM_HARDER:
        s.question = None
    if s.phase == ACTIVE:
        if not _lower(t):
            t.say("utter_stay_gentle")
        v = t.variant
        if t.s.phase == ACTIVE and t.s.timer is None and v and v.steps[t.s.step].hold:
            t.say("utter_hold_when_ready")
    elif s.question == ASK_PAIN:
        t.say("utter_pain_ask_again")


def _assess_pain(t: _Turn, rating: Optional[int], sharp: bool) -> None:
    """A pain rated (or sharp, or unrated but certain: toward safety, counted as a 10)."""
    s = t.s
    level = rating if rating is not None else 10
    if sharp or level >= SEVERE_PAIN:
        memory.log_pain(t, rating, sharp, PAIN_ENDED, new=False)
        t.cancel_timer()
        t.say("utter_pain_severe")
        s.phase, s.question, s.paused_from = ENDED, None, None
        return
    memory.log_pain(t, rating, sharp, GENTLER, new=False)
    s.question, s.level, s.caution = None, 0, True
    t.say("utter_pain_mild")


def _discomfort(t: _Turn, e: Event) -> None:
    s = t.s
    already_asked = s.question == ASK_PAIN
    on_scale = e.rating is not None and 0 <= e.rating <= SCALE_TOP
    pain = e.pain if e.pain is not None else (e.rating if on_scale else None)
    t.cancel_timer()
    if s.question == CHECK_BETTER:
        # "It still hurts" to "is it better today?": a no. The side is skipped, and the report kept.
        memory.log_pain(t, pain, e.sharp, PAIN_PAUSED, new=True)
        memory.not_better(t)
        return
    if not already_asked:
        memory.log_pain(t, None, e.sharp, PAIN_PAUSED, new=True)
        t.say("utter_discomfort_stop")
        if s.phase != PAUSED:
            s.paused_from, s.phase = s.phase, PAUSED
    if e.rating is not None and not already_asked:
        # A number and nothing else, with no question open: maybe a pain rating, maybe a count or a
        # slip of the recogniser. Resolve toward safety: stop and ask, but end nothing on it.
        s.question = ASK_PAIN
        t.say("utter_ask_pain_confirm")
    elif e.rating is not None and not on_scale:
        s.question = ASK_PAIN
        t.say("utter_pain_off_scale")
    elif pain is not None or e.sharp:
        _assess_pain(t, pain, e.sharp)
    else:
        s.question = ASK_PAIN
        t.say("utter_pain_ask_again" if already_asked else "utter_ask_pain")


def _pause(t: _Turn, e: Event) -> None:
    if t.s.phase == PAUSED:
        t.nudge()
        return
    active = t.s.phase == ACTIVE
    _enter_pause(t)
    t.say("utter_paused_release" if active else "utter_paused")


def _enter_pause(t: _Turn) -> None:
    """Freeze the hold (its remaining time is kept for resume) and enter PAUSED."""
    s = t.s
    timer = t.timer
    if timer is not None:
        timer.pause(t.now)
        t.set_timer(timer)
        t.effects.append(Cancel())
    s.paused_from, s.phase = s.phase, PAUSED
    if s.question == CONFIRM_HARDER:
        s.question = None


def _resume(t: _Turn, e: Event) -> None:
    if _blocked_by_pain_question(t):
        return
    s = t.s
    if s.phase == PAUSED:
        s.phase, s.paused_from = s.paused_from or IDLE, None
        if s.phase != ACTIVE:
            t.say("utter_resumed")
            t.nudge()
            return
        timer = t.timer
        t.say("utter_resumed")
        if timer is not None:
            timer.resume(t.now)
            t.speak_step(start_hold=False)
            t.say("utter_hold_resumed", seconds=round(timer.remaining(t.now)))
            t.arm(timer)
        else:
            t.speak_step()
        return
    if s.phase == ACTIVE and s.timer is None and t.variant and t.variant.steps[s.step].hold:
        t.speak_step()  # "say resume to hold again"
        return
    t.say("utter_not_paused")
    t.nudge()


def _stop(t: _Turn, e: Event) -> None:
    s = t.s
    t.cancel_timer()
    if s.phase in (ACTIVE, CHOOSING, PAUSED):
        if s.phase == ACTIVE:  # someone may be mid-stretch: release before anything else
            t.say("utter_stop_release")
        done = s.done
        s.phase, s.question, s.paused_from = ENDED, None, None
        if done:
            t.say("utter_summary", done=summarise(done, t.cat, s.people))
        else:
            t.say("utter_summary_empty")
    else:
        s.question = None
        t.say("utter_stopped")


def _how_long_left(t: _Turn, e: Event) -> None:
    timer = t.timer
    if timer is None:
        t.say("utter_no_hold")
    elif timer.paused:
        t.say("utter_hold_left_paused", seconds=max(1, round(timer.remaining(t.now))))
    elif timer.phase == HOLD:
        t.say("utter_hold_left", seconds=max(1, round(timer.remaining(t.now))))
    else:
        t.say("utter_rest_left", seconds=max(1, round(timer.remaining(t.now))))
    if t.s.question == ASK_PAIN:
        t.say("utter_pain_ask_again")


def _hold_longer(t: _Turn, e: Event) -> None:
    if _blocked_by_pain_question(t):
        return
    timer = t.timer
    if timer is None or timer.phase != HOLD:
        t.say("utter_no_hold")
        return
    if timer.paused:
        t.nudge()
        return
    extra = t.cat.hold_longer_seconds
    timer.extend(extra, t.now)
    t.say("utter_hold_longer", seconds=extra)
    t.arm(timer)


def _fallback(t: _Turn, e: Event) -> None:
    timer = t.timer
    if t.s.phase == ACTIVE and timer is not None and not timer.paused:
        # Someone is holding a stretch and we did not understand them: it may have been a pain
        # report that speech recognition missed (it fails far more often than typing does).
        # Resolve toward safety: pause the hold, keeping its remaining time, and say how to go on.
        _enter_pause(t)
        t.say("utter_fallback_paused")
        return
    t.say("utter_fallback")
    t.nudge()


def _tick(t: _Turn, e: Event) -> None:
    """A hold reminder fired: speak the cue that is due and arm the next one."""
    timer = t.timer
    if timer is None or timer.paused or t.s.phase != ACTIVE:
        return  # stale reminder: the hold was cancelled or paused meanwhile
    cue, due = timer.next_cue()
    if t.now + 0.5 < due:
        t.effects.append(Schedule(due))  # early or stale: wait for the real one
        return
    timer.fire(cue, due)
    if cue == WARNING:
        t.say("utter_hold_warning", seconds=timer.warning)
        t.arm(timer)
    elif cue == END and not timer.last_rep:
        memory.log_hold(t, timer.seconds)
        t.say("utter_release_rest", seconds=timer.rest)
        t.arm(timer)
    elif cue == END:
        memory.log_hold(t, timer.seconds)
        t.say("utter_release_last")
        t.set_timer(None)
        t.advance()
    elif cue == NEXT_REP:
        t.say("utter_next_rep", rep=timer.rep, reps=timer.reps, seconds=round(timer.seconds))
        t.arm(timer)


def summarise(done: list, cat: Catalogue, people: Sequence[Optional[str]] = (None, None)) -> str:
    """'the seated single leg stretch on both legs and the standing double leg stretch'."""
    parts: list[str] = []
    for role in (0, 1):
        names: list[str] = []
        for key in cat.variants:
            sides = [d[2] for d in done if d[0] == role and d[1] == key]
            if not sides:
                continue
            v = cat[key]
            if not v.single_leg:
                names.append(f"the {v.name}")
            elif len(set(sides)) == 2:
                names.append(f"the {v.name} on both legs")
            else:
                names.append(f"the {v.name} on the {sides[0]} leg")
        if names:
            who = people[role] or memory.PARTNER_WORDS[role]
            listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
            parts.append(f"{who}: {listed}")
    return "; ".join(parts)
