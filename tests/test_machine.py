"""The state machine, transition by transition (pure: no Rasa, no server, milliseconds)."""

from __future__ import annotations

import pytest

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


# --- starting ----------------------------------------------------------------------------------

def test_start_reminds_warm_up_and_partner_guidance_then_offers_routines():
    state, eff = run(M.State(), C.START_SESSION)
    assert state.phase == M.CHOOSING
    assert said(eff) == ["utter_warm_up", "utter_choose_routine"]
    assert args_of(eff, "utter_warm_up") == {"minutes": CAT.warm_up_minutes}


def test_start_with_a_variant_goes_straight_into_it():
    state, eff = run(M.State(), M.Event(C.START_SESSION, variant="wrist_pull"))
    assert (state.phase, state.variant, state.step) == (M.ACTIVE, "wrist_pull", 0)
    assert said(eff)[:3] == ["utter_warm_up", "utter_routine_start", "utter_step"]


def test_greet_then_yes_starts():
    state, eff = run(M.State(), C.GREET)
    assert state.question == M.OFFER_START and said(eff) == ["utter_greet"]
    state, eff = run(state, C.AFFIRM)
    assert state.phase == M.CHOOSING and "utter_warm_up" in said(eff)


def test_choose_variant_without_a_name_asks_which():
    state, _ = run(M.State(), C.START_SESSION)
    state, eff = run(state, C.CHOOSE_VARIANT)
    assert state.phase == M.CHOOSING and said(eff) == ["utter_choose_routine"]


def test_unknown_variant_value_is_ignored_not_crashing():
    state, _ = run(M.State(), C.START_SESSION)
    state, eff = run(state, M.Event(C.CHOOSE_VARIANT, variant="yoga"))
    assert state.phase == M.CHOOSING and said(eff) == ["utter_choose_routine"]


# --- walking every routine -----------------------------------------------------------------------

@pytest.mark.parametrize("variant", list(CAT.variants))
def test_every_step_of_every_routine_is_spoken_with_who_does_what(variant):
    v = CAT[variant]
    state, eff = run(M.State(), C.START_SESSION, M.Event(C.CHOOSE_VARIANT, variant=variant))
    spoken = [args_of(eff, "utter_step")["instruction"]]
    for _ in range(len(v.steps) * len(v.sides) - 1):
        state, eff = run(state, C.NEXT_STEP)
        spoken.append(args_of(eff, "utter_step")["instruction"])
    expected = [s.spoken(side) for side in v.sides for s in v.steps]
    assert spoken == expected
    assert all("you" in s.lower() for s in spoken)  # every step speaks to the stretcher
    assert any("partner" in s.lower() for s in spoken)  # ... and says what the partner does
    state, eff = run(state, C.NEXT_STEP)
    assert state.phase == M.CHOOSING and state.question == M.ROUTINE_DONE
    assert said(eff)[-1] in ("utter_routine_done", "utter_all_routines_done")
    assert sorted(d[2] for d in state.done) == sorted(v.sides)


def test_single_leg_routine_moves_to_the_other_leg_at_the_end_of_a_side():
    v = CAT["seated_single_leg"]
    state = at_step(v.key, len(v.steps) - 1)
    state, eff = run(state, C.NEXT_STEP)
    assert (state.pass_index, state.step) == (1, 0)
    assert said(eff) == ["utter_other_leg", "utter_step"]
    assert args_of(eff, "utter_other_leg") == {"side": "left"}
    assert "left" in args_of(eff, "utter_step")["instruction"]


def test_next_after_a_routine_starts_the_next_one_not_yet_done():
    v = CAT["single_leg_kneeling"]
    state = at_step(v.key, len(v.steps) - 1, pass_index=1, done=[[0, v.key, "right"]])
    state, eff = run(state, C.NEXT_STEP)
    assert args_of(eff, "utter_routine_done")["next_name"] == CAT["seated_single_leg"].name
    state, eff = run(state, C.NEXT_STEP)
    assert (state.phase, state.variant) == (M.ACTIVE, "seated_single_leg")


def test_after_every_routine_offers_switch_roles_or_stop():
    done = [[0, k, side] for k, v in CAT.variants.items() for side in v.sides]
    v = CAT["wrist_pull"]
    state = at_step(v.key, len(v.steps) - 1, done=done)
    state, eff = run(state, C.NEXT_STEP)
    assert said(eff)[-1] == "utter_all_routines_done"


def test_previous_and_repeat():
    state = at_step("standing_double_leg", 1)
    state, eff = run(state, C.PREVIOUS_STEP)
    assert state.step == 0 and said(eff) == ["utter_step"]
    state, eff = run(state, C.PREVIOUS_STEP)
    assert state.step == 0 and said(eff) == ["utter_first_step", "utter_step"]
    state, eff = run(state, C.REPEAT)
    assert state.step == 0 and said(eff) == ["utter_step"]


def test_previous_from_the_first_step_of_the_second_leg_goes_back_to_the_first_leg():
    state = at_step("seated_single_leg", 0, pass_index=1)
    state, eff = run(state, C.PREVIOUS_STEP)
    assert state.pass_index == 0 and state.step == len(CAT["seated_single_leg"].steps) - 1


def test_repeat_does_not_restart_a_running_hold():
    state, _ = started_hold("seated_single_leg")
    timer_before = state.timer
    state, eff = run(state, C.REPEAT, now=T0 + 12)
    assert state.timer == timer_before
    assert said(eff) == ["utter_step"]


# --- legs and roles ------------------------------------------------------------------------------

def test_switch_legs_single_leg_goes_to_the_other_side():
    state, eff = run(at_step("single_leg_kneeling", 2), C.SWITCH_LEGS)
    assert (state.pass_index, state.step) == (1, 0)
    assert said(eff) == ["utter_switch_legs", "utter_step"]


def test_switch_legs_to_the_side_already_on():
    state, eff = run(at_step("single_leg_kneeling", 2), M.Event(C.SWITCH_LEGS, side="right"))
    assert state.pass_index == 0 and said(eff) == ["utter_already_on_side"]


@pytest.mark.parametrize("variant", ["standing_double_leg", "wrist_pull"])
def test_switch_legs_in_double_leg_explains_both_legs_work(variant):
    state, eff = run(at_step(variant, 1), C.SWITCH_LEGS)
    assert state.step == 1 and said(eff) == ["utter_both_legs_at_once"]


def test_switch_roles_restarts_the_routine_for_the_other_partner():
    state, eff = run(at_step("seated_single_leg", 2, level=1), C.SWITCH_ROLES)
    assert state.role == 1 and state.step == 0 and state.level == 0
    assert said(eff)[:2] == ["utter_switch_roles", "utter_routine_start"]


# --- intensity -----------------------------------------------------------------------------------

def test_harder_in_seated_adds_back_pressure_with_safety_cue_then_stops_at_top():
    state, eff = run(at_step("seated_single_leg", 2), C.HARDER)
    assert state.level == 1
    args = args_of(eff, "utter_harder")
    assert "back" in args["cue"] and "ease off" in args["safety"].lower()
    state, eff = run(state, C.HARDER)
    assert state.level == 1 and said(eff) == ["utter_harder_top"]


def test_harder_in_standing_double_leg_moves_to_the_wrist_pull_with_shoulder_warning():
    state, eff = run(at_step("standing_double_leg", 2), C.HARDER)
    assert state.variant == "wrist_pull" and state.step == 0
    assert "shoulders" in args_of(eff, "utter_harder_variant")["safety"]


def test_harder_in_wrist_pull_is_refused_kindly():
    state, eff = run(at_step("wrist_pull", 3), C.HARDER)
    assert state.variant == "wrist_pull" and said(eff) == ["utter_harder_top"]


def test_easier_steps_down_and_wrist_pull_goes_back_to_standing():
    state, eff = run(at_step("seated_single_leg", 2, level=1), C.EASIER)
    assert state.level == 0 and said(eff) == ["utter_easier"]
    state, eff = run(state, C.EASIER)
    assert said(eff) == ["utter_easiest"]
    state, eff = run(at_step("wrist_pull", 1), C.EASIER)
    assert state.variant == "standing_double_leg"


def test_too_much_pressure_eases_off_lowers_and_cautions_the_next_harder():
    state, _ = started_hold("seated_single_leg", level=1)
    state, eff = run(state, C.TOO_MUCH_PRESSURE, now=T0 + 5)
    assert said(eff)[0] == "utter_ease_off"
    assert state.level == 0 and state.caution and state.timer is None
    assert any(isinstance(e, M.Cancel) for e in eff)
    state, eff = run(state, C.HARDER)
    assert state.level == 0 and said(eff) == ["utter_harder_caution"]
    state, eff = run(state, C.AFFIRM)
    assert state.level == 1 and not state.caution


def test_harder_caution_can_be_declined():
    state = at_step("seated_single_leg", 2, caution=True)
    state, _ = run(state, C.HARDER)
    state, eff = run(state, C.DENY)
    assert state.level == 0 and said(eff) == ["utter_stay_level"]


# --- discomfort and pausing ------------------------------------------------------------------------

def test_discomfort_pauses_at_once_and_asks_how_bad():
    state, _ = started_hold("standing_double_leg")
    state, eff = run(state, C.DISCOMFORT, now=T0 + 3)
    assert said(eff) == ["utter_discomfort_stop", "utter_ask_pain"]
    assert state.phase == M.PAUSED and state.question == M.ASK_PAIN and state.timer is None
    assert isinstance(eff[0], M.Cancel)


@pytest.mark.parametrize("blocked", [C.NEXT_STEP, C.RESUME, C.HARDER, C.REPEAT, C.PREVIOUS_STEP,
                                     C.SWITCH_LEGS, C.AFFIRM, C.DENY, C.HOLD_LONGER])
def test_while_asking_how_bad_nothing_moves_the_session_on(blocked):
    state, _ = run(at_step("seated_single_leg", 2), C.DISCOMFORT)
    after, eff = run(state, blocked)
    assert after.phase == M.PAUSED and after.question == M.ASK_PAIN and after.step == 2
    assert "utter_pain_ask_again" in said(eff)
    assert "utter_step" not in said(eff)


@pytest.mark.parametrize("level", [4, 7, 10])
def test_high_pain_ends_the_stretch_with_advice(level):
    state, _ = run(at_step("seated_single_leg", 2), C.DISCOMFORT)
    state, eff = run(state, M.Event(C.DISCOMFORT, pain=level))
    assert state.phase == M.ENDED and said(eff) == ["utter_pain_severe"]
    state, eff = run(state, C.NEXT_STEP)
    assert "utter_step" not in said(eff)


def test_sharp_pain_ends_the_stretch_even_with_a_low_number():
    state, eff = run(at_step("seated_single_leg", 2), M.Event(C.DISCOMFORT, pain=2, sharp=True))
    assert state.phase == M.ENDED and said(eff) == ["utter_discomfort_stop", "utter_pain_severe"]


def test_mild_pain_lets_them_resume_gentler():
    state, _ = started_hold("seated_single_leg", level=1)
    state, _ = run(state, C.DISCOMFORT)
    state, eff = run(state, M.Event(C.DISCOMFORT, pain=2))
    assert state.phase == M.PAUSED and state.level == 0 and state.caution
    assert said(eff) == ["utter_pain_mild"]
    state, eff = run(state, C.NEXT_STEP)  # paused: no next instruction
    assert "utter_step" not in said(eff) and state.phase == M.PAUSED
    state, eff = run(state, C.RESUME)
    assert state.phase == M.ACTIVE and said(eff)[:2] == ["utter_resumed", "utter_step"]
    assert state.timer is not None  # the hold starts again


def test_pause_freezes_the_hold_and_resume_continues_with_the_remainder():
    state, _ = started_hold("seated_single_leg")
    state, eff = run(state, C.PAUSE, now=T0 + 10)
    assert state.phase == M.PAUSED and said(eff) == ["utter_paused"]
    assert any(isinstance(e, M.Cancel) for e in eff)
    state, eff = run(state, C.NEXT_STEP, now=T0 + 100)
    assert said(eff) == ["utter_still_paused"] and state.step == hold_step("seated_single_leg")
    state, eff = run(state, C.RESUME, now=T0 + 200)
    assert said(eff) == ["utter_resumed", "utter_step", "utter_hold_resumed"]
    assert args_of(eff, "utter_hold_resumed") == {"seconds": 20}
    schedule = next(e for e in eff if isinstance(e, M.Schedule))
    assert schedule.due == pytest.approx(T0 + 200 + 20 - CAT.hold_warning_seconds)


# --- a rating: a number and nothing else ("3", "it's a 3", "twenty") ------------------------------

def asking_pain(variant: str = "seated_single_leg"):
    """A running hold interrupted by 'ouch': paused, asking how bad it is."""
    state, _ = started_hold(variant, level=1)
    state, eff = run(state, C.DISCOMFORT, now=T0 + 3)
    assert state.question == M.ASK_PAIN and said(eff) == ["utter_discomfort_stop", "utter_ask_pain"]
    return state


@pytest.mark.parametrize("pain", [3, None])  # None: the extractor found no span, the rating counts
def test_a_bare_low_rating_answers_the_pain_question(pain):
    state, eff = run(asking_pain(), M.Event(C.DISCOMFORT, pain=pain, rating=3))
    assert said(eff) == ["utter_pain_mild"]
    assert (state.phase, state.question, state.level, state.caution) == (M.PAUSED, None, 0, True)


@pytest.mark.parametrize("rating", [4, 7, 10])
def test_a_bare_high_rating_answers_the_pain_question_and_ends(rating):
    state, eff = run(asking_pain(), M.Event(C.DISCOMFORT, pain=rating, rating=rating))
    assert said(eff) == ["utter_pain_severe"] and state.phase == M.ENDED


@pytest.mark.parametrize("rating", [11, 20, 100])
def test_a_rating_off_the_scale_is_asked_again(rating):
    state, eff = run(asking_pain(), M.Event(C.DISCOMFORT, rating=rating))
    assert said(eff) == ["utter_pain_off_scale"]
    assert (state.phase, state.question) == (M.PAUSED, M.ASK_PAIN)
    state, eff = run(state, M.Event(C.DISCOMFORT, pain=2, rating=2))  # then a real answer
    assert said(eff) == ["utter_pain_mild"] and state.question is None


@pytest.mark.parametrize("rating", [2, 7, 10, 20])
def test_a_bare_number_with_no_question_open_pauses_and_asks_but_ends_nothing(rating):
    # "7" in the middle of a hold may be a pain rating, or a count, or a misheard word: safety
    # first (stop, release, ask), but a session never ends on a number nobody asked for.
    state, _ = started_hold("wrist_pull")
    pain = rating if rating <= 10 else None
    state, eff = run(state, M.Event(C.DISCOMFORT, pain=pain, rating=rating), now=T0 + 3)
    assert said(eff) == ["utter_discomfort_stop", "utter_ask_pain_confirm"]
    assert (state.phase, state.question, state.timer) == (M.PAUSED, M.ASK_PAIN, None)
    assert any(isinstance(e, M.Cancel) for e in eff)
    # the answer to that question is assessed
    ended, eff = run(state, M.Event(C.DISCOMFORT, pain=7, rating=7))
    assert said(eff) == ["utter_pain_severe"] and ended.phase == M.ENDED
    mild, eff = run(state, M.Event(C.DISCOMFORT, pain=0, rating=0))
    assert said(eff) == ["utter_pain_mild"] and mild.phase == M.PAUSED and mild.question is None


def test_a_number_said_with_pain_words_is_assessed_at_once():
    # "ouch, it's a 7": the rating comes with the pain report (rating is None: not a bare number)
    state, _ = started_hold("wrist_pull")
    state, eff = run(state, M.Event(C.DISCOMFORT, pain=7), now=T0 + 3)
    assert said(eff) == ["utter_discomfort_stop", "utter_pain_severe"] and state.phase == M.ENDED


@pytest.mark.parametrize("safety_event", [C.DISCOMFORT, C.TOO_MUCH_PRESSURE, C.STOP_SESSION, C.PAUSE])
@pytest.mark.parametrize("state", [
    M.State(),
    M.State(phase=M.CHOOSING),
    at_step("wrist_pull", 3),
    at_step("seated_single_leg", 2, question=M.CONFIRM_HARDER, caution=True),
    M.State(phase=M.PAUSED, paused_from=M.ACTIVE, variant="seated_single_leg", question=M.ASK_PAIN),
    M.State(phase=M.ENDED),
], ids=["idle", "choosing", "active", "confirming-harder", "asking-pain", "ended"])
def test_safety_requests_are_answered_in_every_state(state, safety_event):
    after, eff = run(state, safety_event)
    first = said(eff)[0]
    expected_first = {
        C.DISCOMFORT: ("utter_discomfort_stop", "utter_pain_ask_again"),
        C.TOO_MUCH_PRESSURE: ("utter_ease_off",),
        C.STOP_SESSION: ("utter_summary", "utter_summary_empty", "utter_stopped"),
        C.PAUSE: ("utter_paused", "utter_pain_ask_again", "utter_still_paused"),
    }[safety_event]
    assert first in expected_first
    assert after.question != M.CONFIRM_HARDER  # a safety request closes a harder question
    if safety_event in (C.DISCOMFORT, C.STOP_SESSION):
        assert after.timer is None


def test_stop_summarises_routines_and_sides():
    done = [[0, "seated_single_leg", "right"], [0, "seated_single_leg", "left"],
            [0, "standing_double_leg", "both"], [1, "single_leg_kneeling", "right"]]
    state, eff = run(at_step("wrist_pull", 0, done=done), C.STOP_SESSION)
    assert state.phase == M.ENDED
    summary = args_of(eff, "utter_summary")["done"]
    assert summary == (
        "first partner: the seated single leg stretch on both legs and the standing double leg "
        "stretch; second partner: the kneeling single leg stretch on the right leg"
    )


def test_stop_with_nothing_done():
    state, eff = run(M.State(phase=M.CHOOSING), C.STOP_SESSION)
    assert said(eff) == ["utter_summary_empty"]


# --- digressions keep the place ------------------------------------------------------------------

@pytest.mark.parametrize("event", [
    M.Event(C.ASK_HOW_TO, variant="wrist_pull"), M.Event(C.HELP), M.Event(C.OUT_OF_SCOPE),
    M.Event(M.FALLBACK), M.Event(C.THANKS), M.Event(C.HOW_LONG_LEFT), M.Event(C.GREET),
])
def test_digressions_keep_the_place(event):
    state = at_step("seated_single_leg", 1, pass_index=1, level=1)
    after, eff = run(state, event)
    assert (after.phase, after.variant, after.step, after.pass_index, after.level) == (
        M.ACTIVE, "seated_single_leg", 1, 1, 1)
    assert said(eff)


def test_how_to_answers_with_the_named_routine_then_the_place():
    state, eff = run(at_step("seated_single_leg", 1), M.Event(C.ASK_HOW_TO, variant="wrist_pull"))
    assert said(eff) == ["utter_how_to", "utter_place"]
    assert args_of(eff, "utter_how_to")["summary"] == CAT["wrist_pull"].summary


def test_how_to_without_a_session_lists_routines():
    state, eff = run(M.State(), C.ASK_HOW_TO)
    assert state.phase == M.IDLE and said(eff) == ["utter_routines_list"]


def test_how_to_during_a_hold_keeps_the_hold_running():
    state, _ = started_hold("wrist_pull")
    after, eff = run(state, M.Event(C.ASK_HOW_TO, variant="seated_single_leg"), now=T0 + 3)
    assert after.timer == state.timer
    assert any(isinstance(e, M.Schedule) for e in eff)  # re-armed, not cancelled


def test_unknown_event_falls_back():
    state, eff = run(at_step("wrist_pull", 1), M.Event("gibberish"))
    assert said(eff) == ["utter_fallback", "utter_place"] and state.step == 1


def test_unclear_input_during_a_hold_pauses_it_to_be_safe():
    # it may have been a pain report that recognition missed: resolve toward safety
    state, _ = started_hold("seated_single_leg")
    after, eff = run(state, M.Event(M.FALLBACK), now=T0 + 3)
    assert said(eff) == ["utter_fallback_paused"]
    assert after.phase == M.PAUSED and after.timer["paused"]
    assert any(isinstance(e, M.Cancel) for e in eff)  # no more hold cues
    # resume continues the same hold with the time that was left
    resumed, eff = run(after, C.RESUME, now=T0 + 10)
    assert resumed.phase == M.ACTIVE and not resumed.timer["paused"]
    assert any(isinstance(e, M.Schedule) for e in eff)


def test_start_during_a_hold_is_taken_as_a_misheard_stop_and_pauses():
    # "start" means nothing mid-hold and is what "stop" is most often heard as
    state, _ = started_hold("single_leg_kneeling")
    after, eff = run(state, C.START_SESSION, now=T0 + 3)
    assert said(eff) == ["utter_start_mid_hold"]
    assert after.phase == M.PAUSED and after.timer["paused"]
    assert any(isinstance(e, M.Cancel) for e in eff)
    # with no hold running it is only a reminder that the session is going
    between, _ = run(at_step("single_leg_kneeling", 0), C.START_SESSION)
    assert between.phase == M.ACTIVE


def test_unclear_input_during_a_paused_hold_reminds_of_the_pause():
    state, _ = started_hold("seated_single_leg")
    paused, _ = run(state, C.PAUSE, now=T0 + 3)
    _, eff = run(paused, M.Event(M.FALLBACK), now=T0 + 4)
    assert said(eff) == ["utter_fallback", "utter_still_paused"]


def test_state_round_trips_through_a_dict():
    state, _ = started_hold("seated_single_leg", level=1, done=[[0, "wrist_pull", "both"]])
    assert M.State.from_dict(state.to_dict()) == state
    assert M.State.from_dict(None) == M.State()
    assert M.State.from_dict({"phase": "active", "unknown_key": 1}).phase == "active"
