"""The state machine, transition by transition: intensity, discomfort and pain ratings, pausing,
stopping, and unclear input mid-hold (pure: no Rasa, no server, milliseconds). The session and its
movement: test_machine_session."""

from __future__ import annotations

import pytest

from stretch_coach import contract as C
from stretch_coach import machine as M
from tests.machine_helpers import CAT, T0, args_of, at_step, hold_step, run, said, started_hold


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
    assert state.phase == M.PAUSED and said(eff) == ["utter_paused_release"]
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
        C.STOP_SESSION: ("utter_stop_release", "utter_summary", "utter_summary_empty",
                         "utter_stopped"),
        C.PAUSE: ("utter_paused_release", "utter_paused", "utter_pain_ask_again",
                  "utter_still_paused"),
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


def test_stop_or_pause_mid_step_tells_the_partner_to_release_first():
    for event, then in ((C.STOP_SESSION, "utter_summary_empty"), (C.PAUSE, None)):
        state, _ = started_hold("seated_single_leg")
        _, eff = run(state, event)
        first = "utter_stop_release" if event == C.STOP_SESSION else "utter_paused_release"
        assert said(eff)[0] == first
        if then:
            assert said(eff)[1:] == [then]
    state, eff = run(M.State(phase=M.CHOOSING), C.PAUSE)  # nobody is stretching: no release
    assert "utter_paused_release" not in said(eff)


def test_stop_with_nothing_done():
    state, eff = run(M.State(phase=M.CHOOSING), C.STOP_SESSION)
    assert said(eff) == ["utter_summary_empty"]


# --- unclear input mid-hold: resolve toward safety -------------------------------------------------

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
