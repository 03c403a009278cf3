"""The session with a person's history (stretch_coach/machine/memory.py and who.py): names,
the device's pair, the sore side started gently, "is it better today?" before a side that hurt
badly, the progressed hold, the log the history keeps, and "forget me" with its confirmation."""

from __future__ import annotations

import datetime as dt

from stretch_coach import contract as C
from stretch_coach import history
from stretch_coach import machine as M
from tests.machine_helpers import CAT, T0, args_of, hold_step, run, said

SEATED = "seated_single_leg"
TODAY = dt.date(2026, 12, 2)


def memory(name="Alex", person="p-alex", pains=(), plans=None, changes=None) -> dict:
    last = history.SessionRecord(
        started=dt.datetime(2026, 11, 25, 18),
        pains=tuple(history.PainReport(dt.datetime(2026, 11, 25, 18), *p) for p in pains),
        sides=((history.SideDone(SEATED, "left", 2, 60, 0),)))
    return history.remember(person, name, last, plans or {}, changes or {}, CAT, TODAY).to_dict()


def named(mem, helper=None) -> M.Event:
    people = {"stretcher": {"name": mem["name"], "memory": mem}}
    if helper:
        people["helper"] = {"name": helper, "memory": None}
    return M.Event(C.INTRODUCE, people=people)


def choose(state, variant=SEATED):
    return run(state, M.Event(C.CHOOSE_VARIANT, variant=variant))


def test_names_greet_the_person_about_last_time_and_offer_to_start():
    mem = memory(pains=[(3, False, SEATED, "left", 3, "gentler")])
    state, effects = run(M.State(), named(mem, helper="Sam"))
    assert state.people == ["Alex", "Sam"] and state.memory[0]["person"] == "p-alex"
    assert said(effects) == ["utter_welcome_back_pain", "utter_helper_named",
                             "utter_start_when_ready"]
    assert args_of(effects, "utter_welcome_back_pain")["rating"] == 3


def test_no_name_found_asks_again_and_changes_nothing():
    state, effects = run(M.State(), M.Event(C.INTRODUCE, people={}))
    assert said(effects) == ["utter_name_reask"] and state.people == [None, None]


def test_names_stay_when_a_new_session_starts():
    state, _ = run(M.State(), named(memory()), C.START_SESSION, C.STOP_SESSION, C.START_SESSION)
    assert state.people[0] == "Alex" and state.memory[0]["person"] == "p-alex"


def test_a_mildly_sore_side_starts_gently_and_harder_asks_first():
    mem = memory(pains=[(2, False, SEATED, "left", 3, "gentler")])
    state, _ = run(M.State(), named(mem), C.START_SESSION)
    state, effects = choose(state)               # right leg first: not sore
    assert "utter_sore_gentle" not in said(effects)
    state, effects = run(state, C.SWITCH_LEGS)   # the left leg
    assert "utter_sore_gentle" in said(effects)
    assert state.level == 0 and state.caution
    state, effects = run(state, C.HARDER)
    assert said(effects) == ["utter_harder_caution"] and state.level == 0


def test_a_bad_pain_last_time_asks_before_that_side_and_a_no_skips_it():
    mem = memory(pains=[(6, False, SEATED, "right", 3, "ended")])
    state, _ = run(M.State(), named(mem), C.START_SESSION)
    state, effects = choose(state)
    assert said(effects)[-1] == "utter_better_today" and state.question == M.CHECK_BETTER
    assert "utter_step" not in said(effects)
    state, effects = run(state, C.NEXT_STEP)     # nothing moves on before the answer
    assert said(effects) == ["utter_better_ask_again"] and state.step == 0
    state, effects = run(state, C.DENY)
    assert said(effects)[:2] == ["utter_skip_side", "utter_other_leg"]
    assert state.pass_index == 1 and state.question is None
    assert [0, SEATED, "right"] not in state.done


def test_yes_it_is_better_starts_the_side_gently():
    mem = memory(pains=[(2, True, SEATED, "right", 3, "ended")])
    state, _ = run(M.State(), named(mem), C.START_SESSION)
    state, _ = choose(state)
    state, effects = run(state, C.AFFIRM)
    assert said(effects)[:2] == ["utter_better_good", "utter_step"]
    assert state.caution and state.level == 0 and state.question is None


def test_it_still_hurts_to_the_question_skips_the_side_and_is_kept():
    mem = memory(pains=[(None, False, SEATED, "right", 3, "paused")])
    state, _ = run(M.State(), named(mem), C.START_SESSION)
    state, _ = choose(state)
    state, effects = run(state, C.DISCOMFORT)
    assert "utter_skip_side" in said(effects) and state.pass_index == 1
    assert state.log[0]["pains"][0][3] == "right"


def test_a_double_leg_routine_asks_about_a_side_that_hurt_badly():
    mem = memory(pains=[(7, False, SEATED, "left", 3, "ended")])
    state, _ = run(M.State(), named(mem), C.START_SESSION)
    state, effects = choose(state, "standing_double_leg")
    assert said(effects)[-1] == "utter_better_today"
    assert args_of(effects, "utter_better_today")["where"] == "left side"


def test_the_progressed_hold_is_used_and_said_once():
    mem = memory(plans={SEATED: history.Plan(30, 3)}, changes={SEATED: "reps"})
    state, _ = run(M.State(), named(mem), C.START_SESSION)
    state, effects = choose(state)
    assert "utter_plan_reps" in said(effects)
    for _ in range(hold_step(SEATED)):
        state, effects = run(state, C.NEXT_STEP)
    assert args_of(effects, "utter_hold_start")["reps"] == 3
    state, effects = run(state, C.SWITCH_ROLES, C.SWITCH_ROLES)
    assert "utter_plan_reps" not in said(effects)


def test_holds_and_pain_reports_go_into_the_stretchers_log():
    state, _ = run(M.State(), named(memory()), C.START_SESSION)
    state, _ = choose(state)
    for _ in range(hold_step(SEATED)):
        state, _ = run(state, C.NEXT_STEP)
    hold = CAT[SEATED].hold
    state, _ = M.step(state, M.Event(M.TICK), T0 + hold.seconds - 5)    # five more seconds
    state, _ = M.step(state, M.Event(M.TICK), T0 + hold.seconds)        # rep 1 done
    assert state.log[0]["sides"] == [[SEATED, "right", 1, 30, 0]]
    state, _ = run(state, C.DISCOMFORT, M.Event(C.DISCOMFORT, pain=5))
    assert state.log[0]["pains"] == [[5, False, SEATED, "right", hold_step(SEATED) + 1, "ended", T0]]
    assert state.phase == M.ENDED and state.log[1] is None


def test_forget_me_asks_and_only_a_yes_forgets():
    state, _ = run(M.State(), named(memory(), helper="Sam"))
    state, effects = run(state, C.FORGET_ME)
    assert said(effects) == ["utter_forget_confirm"] and state.question == M.CONFIRM_FORGET
    kept, effects = run(state, C.DENY)
    assert said(effects) == ["utter_forget_kept"] and kept.people[0] == "Alex"
    state, effects = run(state, C.AFFIRM)
    assert [e for e in effects if isinstance(e, M.Forget)] == [M.Forget("p-alex")]
    assert state.people == [None, "Sam"] and state.memory[0] is None


def test_a_yes_after_another_turn_forgets_nothing():
    state, _ = run(M.State(), named(memory()), C.FORGET_ME, C.HOW_LONG_LEFT)
    state, effects = run(state, C.AFFIRM)
    assert not [e for e in effects if isinstance(e, M.Forget)] and state.people[0] == "Alex"


def test_forget_me_without_a_history_says_so():
    state, effects = run(M.State(), M.Event(C.FORGET_ME))
    assert said(effects) == ["utter_forget_nobody"] and state.question is None


def test_names_fill_the_sentences_that_need_them():
    state, _ = run(M.State(), named(memory(), helper="Sam"), C.START_SESSION)
    state, _ = choose(state)
    state, effects = run(state, C.TOO_MUCH_PRESSURE)
    assert args_of(effects, "utter_ease_off_named") == {"name": "Sam"}
    state, effects = run(state, C.SWITCH_ROLES)
    assert args_of(effects, "utter_switch_roles_named") == {"name": "Sam"}


def test_its_sams_turn_switches_to_sam():
    state, _ = run(M.State(), named(memory(), helper="Sam"), C.START_SESSION)
    state, _ = choose(state)
    turn = M.Event(C.INTRODUCE, people={"turn": {"name": "Sam", "memory": None}})
    state, effects = run(state, turn)
    assert state.role == 1 and "utter_switch_roles_named" in said(effects)


def test_the_device_pair_is_greeted_once():
    seen = M.Event(M.RECOGNISE, people={"0": {"name": "Alex", "memory": memory()},
                                        "1": {"name": "Sam", "memory": None}})
    state, effects = run(M.State(), seen)
    assert state.known and state.people == ["Alex", "Sam"]
    assert said(effects) == ["utter_welcome_back_holds", "utter_helper_named"]


def test_a_pain_question_still_comes_first():
    state, _ = run(M.State(), C.START_SESSION, C.DISCOMFORT)
    for event in (named(memory()), M.Event(C.FORGET_ME), M.Event(C.ASK_HISTORY)):
        _, effects = run(state, event)
        assert said(effects) == ["utter_pain_ask_again"]
