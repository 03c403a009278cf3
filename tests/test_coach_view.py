"""The coach's view of a session (stretch_coach.machine.view): what the page shows, from the
machine's own state, at a clock the test gives. Pure: no servers."""

from __future__ import annotations

import pytest

from stretch_coach import contract as C
from stretch_coach import machine as M
from stretch_coach.catalogue import default
from stretch_coach.machine.view import view
from stretch_coach.timing import Clock, HoldTimer


def clock(real_now: float, scale: float = 1.0) -> Clock:
    return Clock(scale, lambda: real_now)


def test_no_session_is_idle_with_nothing_to_show():
    v = view(M.State(), clock(0))
    assert (v["phase"], v["question"], v["paused"]) == (M.IDLE, None, False)
    assert v["routine"] is None and v["step"] is None and v["hold"] is None


@pytest.mark.parametrize("phase,question", [(M.IDLE, M.OFFER_START), (M.CHOOSING, None),
                                            (M.CHOOSING, M.ROUTINE_DONE), (M.ENDED, None)])
def test_outside_a_routine_the_phase_and_question_drive_the_heading(phase, question):
    v = view(M.State(phase=phase, question=question, variant="wrist_pull", step=3), clock(0))
    assert (v["phase"], v["question"]) == (phase, question)
    assert v["routine"] is None and v["instruction"] is None, "a finished routine is not shown"


@pytest.mark.parametrize("key", list(default().variants))
def test_each_routine_shows_name_step_and_who_acts(key):
    variant = default()[key]
    for i, step in enumerate(variant.steps):
        v = view(M.State(phase=M.ACTIVE, variant=key, step=i), clock(0))
        assert v["routine"] == variant.name and v["variant"] == key
        assert (v["step"], v["steps"]) == (i + 1, len(variant.steps))
        assert v["instruction"] == step.spoken(variant.sides[0])
        assert v["actor"] == step.actor


def test_second_pass_of_a_single_leg_routine_names_the_left_leg():
    v = view(M.State(phase=M.ACTIVE, variant="seated_single_leg", pass_index=1), clock(0))
    assert v["side"] == "left" and "left leg" in v["instruction"]


def test_the_view_after_a_turn_is_what_the_machine_said():
    """The step as spoken in the turn, word for word, and the side of its pass."""
    state = M.State(phase=M.ACTIVE, variant="seated_single_leg", step=2)
    state, effects = M.step(state, M.Event(C.SWITCH_LEGS), 0.0)
    said = next(e for e in effects if isinstance(e, M.Say) and e.response == "utter_step")
    v = view(state, clock(0))
    assert v["instruction"] == said.args["instruction"] and v["step"] == said.args["number"]
    assert v["side"] == "left"


def test_running_hold_counts_down_in_coach_seconds_and_is_due_in_real_time():
    timer = HoldTimer.start(100.0, 30, 2, 10, 5)
    state = M.State(phase=M.ACTIVE, variant="seated_single_leg", step=2, timer=timer.to_dict())
    v = view(state, clock(112.0))
    assert v["hold"] == {"phase": "hold", "rep": 1, "reps": 2, "length": 30, "remaining": 18.0,
                         "paused": False, "scale": 1.0, "due": 130.0}
    scaled = view(state, clock(5.6, scale=0.05))  # real 5.6 s = coach 112 s
    assert scaled["hold"]["remaining"] == 18.0 and scaled["hold"]["scale"] == 0.05
    assert scaled["hold"]["due"] == pytest.approx(6.5)  # coach 130 s = real 6.5 s


def test_paused_session_keeps_its_place_and_freezes_the_hold():
    timer = HoldTimer.start(0.0, 15, 4, 10, 5)
    timer.pause(6.0)
    state = M.State(phase=M.PAUSED, variant="standing_double_leg", step=2, question=M.ASK_PAIN,
                    timer=timer.to_dict())
    v = view(state, clock(500.0))
    assert v["paused"] and v["question"] == M.ASK_PAIN and v["routine"]
    assert v["hold"]["paused"] and v["hold"]["remaining"] == 9.0 and v["hold"]["due"] is None


def test_who_acts_in_each_step():
    """Both people act in the steps where the partner pushes or pulls while you reach or hold."""
    cat = default()

    def who(key: str) -> list[str]:
        return [view(M.State(phase=M.ACTIVE, variant=key, step=i), clock(0))["actor"]
                for i in range(len(cat[key].steps))]

    assert who("single_leg_kneeling") == ["partner", "you", "partner", "partner"]
    assert who("seated_single_leg") == ["you", "you", "both"]
    assert who("standing_double_leg") == ["you", "you", "both"]
    assert who("wrist_pull") == ["you", "you", "both", "both"]


def test_the_view_leaves_the_state_as_it_was():
    state = M.State(phase=M.ACTIVE, variant="wrist_pull", step=3, done=[[0, "wrist_pull", "both"]])
    before = state.to_dict()
    view(state, clock(0))
    assert state.to_dict() == before
