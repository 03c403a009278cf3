"""What the page shows for a coach session (stretch_web.view): pure, no servers."""

from __future__ import annotations

import pytest

from stretch_coach.catalogue import default
from stretch_coach.machine import State
from stretch_coach.timing import Clock, HoldTimer
from stretch_web.view import aged, view

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
        assert v["actor"] == step.actor


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


def test_who_acts_in_each_step():
    """Both people act in the steps where the partner pushes or pulls while you reach or hold."""
    cat = default()

    def who(key: str) -> list[str]:
        return [view(State(phase="active", variant=key, step=i).to_dict(), FixedClock(0))["actor"]
                for i in range(len(cat[key].steps))]

    assert who("single_leg_kneeling") == ["partner", "you", "partner", "partner"]
    assert who("seated_single_leg") == ["you", "you", "both"]
    assert who("standing_double_leg") == ["you", "you", "both"]
    assert who("wrist_pull") == ["you", "you", "both", "both"]


def test_a_view_sent_again_later_has_its_running_hold_aged():
    timer = HoldTimer.start(0.0, 30, 2, 10, 5)
    state = State(phase="active", variant="seated_single_leg", step=2,
                  timer=timer.to_dict()).to_dict()
    v = view(state, FixedClock(0.5, scale=0.05))  # coach 10 s into the hold: 20 s left
    assert v["hold"]["remaining"] == 20.0
    assert aged(v, 0.25)["hold"]["remaining"] == 15.0  # 0.25 real s = 5 coach s
    assert aged(v, 10)["hold"]["remaining"] == 0.0
    assert v["hold"]["remaining"] == 20.0  # the original is not changed
    timer.pause(10.0)
    paused = view(State(phase="paused", variant="seated_single_leg", step=2,
                        timer=timer.to_dict()).to_dict(), FixedClock(3.0, scale=0.05))
    assert aged(paused, 5) == paused  # a paused hold does not run down
    assert aged(view(None), 5) == view(None)
