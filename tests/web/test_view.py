"""What the page shows for a coach session (stretch_web.view): pure, no servers."""

from __future__ import annotations

import pytest

from stretch_coach.catalogue import default
from stretch_coach.machine import State
from stretch_coach.timing import Clock, HoldTimer
from stretch_web.view import actor, view

pytestmark = pytest.mark.web


class FixedClock(Clock):
    def __init__(self, real_now: float, scale: float = 1.0) -> None:
        super().__init__(scale, real=lambda: real_now)


def test_no_session_is_idle_with_nothing_to_show():
    v = view(None, FixedClock(0))
    assert v["phase"] == "idle" and v["routine"] is None and v["hold"] is None
    assert not v["paused"]


@pytest.mark.parametrize("key", list(default().variants))
def test_each_routine_shows_name_step_figure_and_who_acts(key):
    variant = default()[key]
    for i, step in enumerate(variant.steps):
        state = State(phase="active", variant=key, step=i).to_dict()
        v = view(state, FixedClock(0))
        assert v["routine"] == variant.name and v["figure"] == key
        assert (v["step"], v["steps"]) == (i + 1, len(variant.steps))
        assert v["instruction"] == step.spoken(variant.sides[0])
        assert v["actor"] == ("partner" if step.text.startswith("Your partner") else "you")


def test_second_pass_of_a_single_leg_routine_names_the_left_leg():
    v = view(State(phase="active", variant="seated_single_leg", pass_index=1).to_dict(),
             FixedClock(0))
    assert v["side"] == "left" and "left leg" in v["instruction"]


def test_running_hold_counts_down_in_coach_seconds():
    timer = HoldTimer.start(100.0, 30, 2, 10, 5)
    state = State(phase="active", variant="seated_single_leg", step=2,
                  timer=timer.to_dict()).to_dict()
    v = view(state, FixedClock(112.0))
    assert v["hold"] == {"phase": "hold", "rep": 1, "reps": 2, "length": 30, "remaining": 18.0,
                         "paused": False, "scale": 1.0}
    scaled = view(state, FixedClock(5.6, scale=0.05))  # real 5.6 s = coach 112 s
    assert scaled["hold"]["remaining"] == 18.0 and scaled["hold"]["scale"] == 0.05


def test_paused_session_keeps_its_place_and_freezes_the_hold():
    timer = HoldTimer.start(0.0, 15, 4, 10, 5)
    timer.pause(6.0)
    state = State(phase="paused", variant="standing_double_leg", step=2, question="pain",
                  timer=timer.to_dict()).to_dict()
    v = view(state, FixedClock(500.0))
    assert v["paused"] and v["question"] == "pain" and v["routine"]
    assert v["hold"]["paused"] and v["hold"]["remaining"] == 9.0


def test_actor_reads_the_step_wording():
    assert actor("Your partner kneels on the floor in front of you.") == "partner"
    assert actor("Put your right ankle up on your partner's shoulder.") == "you"
