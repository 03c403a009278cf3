"""One transition's working copy (`_Turn`) and what every handler shares: speaking a routine's
steps, arming the hold reminder, moving on, and the guards that keep an open pain question first."""

from __future__ import annotations

from dataclasses import replace
from typing import Callable, Optional

from .. import history
from ..catalogue import Catalogue, Variant
from ..timing import HoldTimer
from . import memory
from .state import (ACTIVE, ASK_PAIN, CHECK_BETTER, CHOOSING, PAUSED, ROUTINE_DONE, Cancel, Effect,
                    Event, Say, Schedule, State)


class _Turn:
    """Mutable working copy of one transition: the new state and the effects so far."""

    def __init__(self, state: State, now: float, cat: Catalogue):
        self.s = replace(state, done=[list(d) for d in state.done], people=list(state.people),
                         memory=list(state.memory), checked=[list(c) for c in state.checked],
                         told=[list(c) for c in state.told],
                         log=[_copy_log(x) for x in state.log])
        self.now = now
        self.cat = cat
        self.effects: list[Effect] = []

    # --- helpers --------------------------------------------------------------------------------
    def say(self, response: str, **args) -> None:
        self.effects.append(Say(response, args))

    @property
    def variant(self) -> Optional[Variant]:
        return self.cat[self.s.variant] if self.s.variant else None

    @property
    def side(self) -> str:
        v = self.variant
        return v.sides[self.s.pass_index] if v else "both"

    @property
    def timer(self) -> Optional[HoldTimer]:
        return HoldTimer.from_dict(self.s.timer)

    def set_timer(self, timer: Optional[HoldTimer]) -> None:
        self.s.timer = timer.to_dict() if timer else None

    def cancel_timer(self) -> None:
        if self.s.timer is not None:
            self.s.timer = None
            self.effects.append(Cancel())

    def arm(self, timer: HoldTimer) -> None:
        self.set_timer(timer)
        self.effects.append(Schedule(timer.next_cue()[1]))

    # --- speaking the routine ---------------------------------------------------------------------
    def speak_step(self, start_hold: bool = True) -> None:
        v = self.variant
        assert v is not None
        step = v.steps[self.s.step]
        self.say("utter_step", number=self.s.step + 1, total=len(v.steps),
                 instruction=step.spoken(self.side))
        if step.hold and start_hold:
            self.start_hold()

    def start_hold(self) -> None:
        v = self.variant
        assert v is not None
        hold = v.steps[self.s.step].hold
        assert hold is not None
        if self.s.level > 0:
            lv = v.levels[self.s.level]
            self.say("utter_level_cue", cue=lv.cue, safety=lv.safety)
        # a remembered person's hold, progressed within the catalogue's caps
        plan = history.plan_for(self.s.memory[self.s.role], v.key, self.cat)
        seconds, reps = (plan.seconds, plan.reps) if plan else (hold.seconds, hold.reps)
        self.say("utter_hold_start", seconds=seconds, rep=1, reps=reps)
        self.arm(HoldTimer.start(self.now, seconds, reps, hold.rest,
                                 self.cat.hold_warning_seconds))

    def begin_routine(self, key: str, announce: str = "utter_routine_start") -> None:
        self.cancel_timer()
        self.s.variant, self.s.step, self.s.pass_index = key, 0, 0
        self.s.phase, self.s.question = ACTIVE, None
        v = self.variant
        assert v is not None
        self.say(announce, name=v.name, legs="right leg first" if v.single_leg else "both legs at once")
        memory.announce_plan(self)
        if not memory.gate_side(self):
            self.speak_step()

    def next_routine(self) -> Optional[str]:
        """The first routine in catalogue order this partner hasn't finished yet."""
        finished = {d[1] for d in self.s.done if d[0] == self.s.role}
        for key in self.cat.variants:
            if key not in finished:
                return key
        return None

    def finish_pass(self) -> None:
        record = [self.s.role, self.s.variant, self.side]
        if record not in self.s.done:
            self.s.done.append(record)

    def advance(self, record: bool = True) -> None:
        """Go to the next step, the other leg, or the end of the routine. ``record=False`` skips
        the rest of this pass without counting it done."""
        v = self.variant
        assert v is not None
        self.cancel_timer()
        if record and self.s.step + 1 < len(v.steps):
            self.s.step += 1
            self.speak_step()
            return
        if record:
            self.finish_pass()
        if self.s.pass_index + 1 < len(v.sides):
            self.s.pass_index += 1
            self.s.step = 0
            self.say("utter_other_leg", side=self.side)
            if not memory.gate_side(self):
                self.speak_step()
            return
        self.s.phase, self.s.question = CHOOSING, ROUTINE_DONE
        upcoming = self.next_routine()
        if upcoming:
            self.say("utter_routine_done", name=v.name, next_name=self.cat[upcoming].name)
        else:
            self.say("utter_all_routines_done", name=v.name)

    def nudge(self) -> None:
        """Remind people where they are, without changing anything."""
        s = self.s
        if s.phase == PAUSED:
            self.say("utter_pain_ask_again" if s.question == ASK_PAIN else "utter_still_paused")
        elif s.phase == ACTIVE:
            v = self.variant
            assert v is not None
            self.say("utter_place", number=s.step + 1, name=v.name)
        elif s.phase == CHOOSING:
            self.say("utter_choose_routine")
        else:
            self.say("utter_say_start")

    def check_lost_timer(self, grace: float) -> None:
        """A hold whose cue is long overdue lost its reminder (server restart): end it cleanly."""
        timer = self.timer
        if timer is None or timer.paused or self.s.phase != ACTIVE:
            return
        if self.now > timer.next_cue()[1] + grace:
            self.cancel_timer()
            self.say("utter_hold_over")

    def rearm(self) -> None:
        """Re-issue the reminder of a running hold (idempotent; survives a server restart)."""
        timer = self.timer
        if timer is not None and not timer.paused and self.s.phase == ACTIVE:
            if not any(isinstance(e, Schedule) for e in self.effects):
                self.effects.append(Schedule(timer.next_cue()[1]))


# --- what every handler shares -------------------------------------------------------------------
# A handler takes the turn and the event and changes the turn in place.

Handler = Callable[[_Turn, Event], None]


def _blocked_by_pain_question(t: _Turn) -> bool:
    """While we wait for a pain rating, or to hear whether a sore side is better, nothing else
    moves the session on."""
    if t.s.question == ASK_PAIN:
        t.say("utter_pain_ask_again")
        return True
    if t.s.question == CHECK_BETTER:
        t.say("utter_better_ask_again")
        return True
    return False


def _copy_log(log: Optional[dict]) -> Optional[dict]:
    if log is None:
        return None
    return {"sides": [list(r) for r in log["sides"]], "pains": [list(r) for r in log["pains"]]}


def _no_routine_to_move(t: _Turn) -> bool:
    """True (and the person has been told why) when a pain question is open or no routine runs."""
    if _blocked_by_pain_question(t):
        return True
    if t.s.phase != ACTIVE:
        t.nudge()
        return True
    return False
