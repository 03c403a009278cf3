"""The coaching session as a pure state machine: `step(state, event, now) -> (state, effects)`.

No Rasa imports. The state is a small dataclass that round-trips through a dict (it lives in one
Rasa slot), events are what the person said (an intent plus entities) or a timer cue, and effects are
what to say (a response name and its arguments) and what to do with the hold timer.

Routing is a table: `TRANSITIONS` maps each event to its handler. Safety events (discomfort, too much
pressure, stop, pause) are handled the same way in every phase, mid-question included; every other
handler first checks the open question (a pain rating), so nothing skips past it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Callable, Optional, Union

from . import contract as C
from .catalogue import Catalogue, Variant
from .catalogue import default as default_catalogue
from .timing import END, HOLD, NEXT_REP, WARNING, HoldTimer

# phases
IDLE = "idle"            # no session yet (or a new one after the last ended)
CHOOSING = "choosing"    # session started, no routine running
ACTIVE = "active"        # walking a routine's steps
PAUSED = "paused"        # paused by request or by discomfort
ENDED = "ended"          # stopped

# open questions
ASK_PAIN = "pain"                # "how bad is it, zero to ten?"
CONFIRM_HARDER = "harder"        # harder right after "too much pressure"
ROUTINE_DONE = "routine_done"    # "next routine, or switch roles?"
OFFER_START = "start"            # after a greeting: "shall we start?"

TICK = "hold_tick"  # a timer cue came due (Rasa reminder)
FALLBACK = C.NLU_FALLBACK

SEVERE_PAIN = 4  # 4/10 or more, or a sharp pain, ends the stretch
SCALE_TOP = 10   # pain is rated from zero to ten


@dataclass(frozen=True)
class Event:
    name: str
    variant: Optional[str] = None
    side: Optional[str] = None
    pain: Optional[int] = None
    sharp: bool = False
    # The number, when the whole utterance was one ("3", "it's a 3", "twenty"), on the scale or not.
    rating: Optional[int] = None


@dataclass(frozen=True)
class Say:
    response: str
    args: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Schedule:
    """(Re)arm the single hold reminder for coach time `due`."""

    due: float


@dataclass(frozen=True)
class Cancel:
    """Cancel the hold reminder."""


Effect = Union[Say, Schedule, Cancel]


@dataclass
class State:
    phase: str = IDLE
    variant: Optional[str] = None
    step: int = 0
    pass_index: int = 0          # which leg pass of the routine (right then left, or "both")
    level: int = 0               # intensity, 0 = gentlest
    role: int = 0                # 0: the first partner stretches, 1: they have swapped
    caution: bool = False        # set by too-much-pressure / mild pain: next "harder" asks first
    question: Optional[str] = None
    paused_from: Optional[str] = None
    timer: Optional[dict] = None
    done: list = field(default_factory=list)   # [role, variant, side] per finished pass

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, raw: Optional[dict]) -> "State":
        if not raw:
            return cls()
        known = {k: v for k, v in raw.items() if k in cls.__dataclass_fields__}
        return cls(**known)


class _Turn:
    """Mutable working copy of one transition: the new state and the effects so far."""

    def __init__(self, state: State, now: float, cat: Catalogue):
        self.s = replace(state, done=[list(d) for d in state.done])
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
        self.say("utter_hold_start", seconds=hold.seconds, rep=1, reps=hold.reps)
        self.arm(HoldTimer.start(self.now, hold.seconds, hold.reps, hold.rest,
                                 self.cat.hold_warning_seconds))

    def begin_routine(self, key: str, announce: str = "utter_routine_start") -> None:
        self.cancel_timer()
        self.s.variant, self.s.step, self.s.pass_index = key, 0, 0
        self.s.phase, self.s.question = ACTIVE, None
        v = self.variant
        assert v is not None
        self.say(announce, name=v.name, legs="right leg first" if v.single_leg else "both legs at once")
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

    def advance(self) -> None:
        """Go to the next step, the other leg, or the end of the routine."""
        v = self.variant
        assert v is not None
        self.cancel_timer()
        if self.s.step + 1 < len(v.steps):
            self.s.step += 1
            self.speak_step()
            return
        self.finish_pass()
        if self.s.pass_index + 1 < len(v.sides):
            self.s.pass_index += 1
            self.s.step = 0
            self.say("utter_other_leg", side=self.side)
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


# --- handlers ------------------------------------------------------------------------------------
# Each takes the turn and the event and changes the turn in place.

Handler = Callable[[_Turn, Event], None]


def _blocked_by_pain_question(t: _Turn) -> bool:
    """While we wait for a pain rating, nothing else moves the session on."""
    if t.s.question == ASK_PAIN:
        t.say("utter_pain_ask_again")
        return True
    return False


def _no_routine_to_move(t: _Turn) -> bool:
    """True (and the person has been told why) when a pain question is open or no routine runs."""
    if _blocked_by_pain_question(t):
        return True
    if t.s.phase != ACTIVE:
        t.nudge()
        return True
    return False


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
        t.s = State()
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
    t.say("utter_switch_roles")
    if s.variant:
        t.begin_routine(s.variant)
    else:
        s.phase, s.question = CHOOSING, None
        t.say("utter_choose_routine")


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


def _assess_pain(t: _Turn, level: int, sharp: bool) -> None:
    s = t.s
    if sharp or level >= SEVERE_PAIN:
        t.cancel_timer()
        t.say("utter_pain_severe")
        s.phase, s.question, s.paused_from = ENDED, None, None
        return
    s.question, s.level, s.caution = None, 0, True
    t.say("utter_pain_mild")


def _discomfort(t: _Turn, e: Event) -> None:
    s = t.s
    already_asked = s.question == ASK_PAIN
    on_scale = e.rating is not None and 0 <= e.rating <= SCALE_TOP
    pain = e.pain if e.pain is not None else (e.rating if on_scale else None)
    t.cancel_timer()
    if not already_asked:
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
        _assess_pain(t, pain if pain is not None else 10, e.sharp)
    else:
        s.question = ASK_PAIN
        t.say("utter_pain_ask_again" if already_asked else "utter_ask_pain")


def _pause(t: _Turn, e: Event) -> None:
    if t.s.phase == PAUSED:
        t.nudge()
        return
    _enter_pause(t)
    t.say("utter_paused")


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
        done = s.done
        s.phase, s.question, s.paused_from = ENDED, None, None
        if done:
            t.say("utter_summary", done=summarise(done, t.cat))
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
    if q == ASK_PAIN:
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
    t.s.question = None
    if q == CONFIRM_HARDER:
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
        t.say("utter_release_rest", seconds=timer.rest)
        t.arm(timer)
    elif cue == END:
        t.say("utter_release_last")
        t.set_timer(None)
        t.advance()
    elif cue == NEXT_REP:
        t.say("utter_next_rep", rep=timer.rep, reps=timer.reps, seconds=round(timer.seconds))
        t.arm(timer)


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
    FALLBACK: _fallback,
    TICK: _tick,
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
    handler = TRANSITIONS.get(event.name, _fallback)
    handler(turn, event)
    if event.name != TICK:
        turn.rearm()
    return turn.s, turn.effects


def summarise(done: list, cat: Catalogue) -> str:
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
            who = "first partner" if role == 0 else "second partner"
            listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
            parts.append(f"{who}: {listed}")
    return "; ".join(parts)
