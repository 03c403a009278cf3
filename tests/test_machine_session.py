"""The state machine, transition by transition: the session and its movement, and digressions that
keep the place (pure: no Rasa, no server, milliseconds). Safety, pain and intensity: test_machine_safety."""

from __future__ import annotations

import pytest

from stretch_coach import contract as C
from stretch_coach import machine as M
from tests.machine_helpers import CAT, T0, args_of, at_step, run, said, started_hold


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


def test_state_round_trips_through_a_dict():
    state, _ = started_hold("seated_single_leg", level=1, done=[[0, "wrist_pull", "both"]])
    assert M.State.from_dict(state.to_dict()) == state
    assert M.State.from_dict(None) == M.State()
    assert M.State.from_dict({"phase": "active", "unknown_key": 1}).phase == "active"
