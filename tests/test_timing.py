"""Hold timing with a fake clock: remaining time, pause/resume, hold longer, cue order, no drift."""

from __future__ import annotations

import pytest

from stretch_coach import contract as C
from stretch_coach import machine as M
from stretch_coach.timing import END, NEXT_REP, REST, WARNING, Clock, HoldTimer

T0 = 500.0


class FakeClock:
    def __init__(self, t: float = 0.0):
        self.t = t

    def __call__(self) -> float:
        return self.t


def timer(seconds=30, reps=2, rest=10, warning=5) -> HoldTimer:
    return HoldTimer.start(T0, seconds, reps, rest, warning)


def test_clock_scales_real_time():
    fake = FakeClock(10.0)
    clock = Clock(scale=0.1, real=fake)
    assert clock.now() == pytest.approx(100.0)
    fake.t = 10.5
    assert clock.now() == pytest.approx(105.0)
    assert clock.to_real(30) == pytest.approx(3.0)
    assert clock.grace == pytest.approx(20.0)


def test_clock_takes_its_scale_and_time_from_the_caller(monkeypatch):
    monkeypatch.setenv("STRETCH_TIME_SCALE", "0.25")  # read by the actions, never by the coach
    assert Clock(0.5, FakeClock(1.0)).now() == pytest.approx(2.0)
    with pytest.raises(TypeError):
        Clock()  # type: ignore[call-arg]
    with pytest.raises(ValueError):
        Clock(0, FakeClock())


def test_remaining_counts_down_and_never_goes_negative():
    t = timer()
    assert t.remaining(T0) == 30
    assert t.remaining(T0 + 12.5) == pytest.approx(17.5)
    assert t.remaining(T0 + 99) == 0


def test_pause_freezes_and_resume_continues_with_the_remainder():
    t = timer()
    t.pause(T0 + 10)
    assert t.remaining(T0 + 10) == 20
    assert t.remaining(T0 + 1000) == 20  # frozen while paused
    t.resume(T0 + 1000)
    assert t.remaining(T0 + 1005) == 15
    assert t.next_cue() == (WARNING, pytest.approx(T0 + 1000 + 20 - 5))
    assert t.next_cue()[0] == WARNING


def test_resume_with_less_than_the_warning_left_skips_the_warning():
    t = timer()
    t.pause(T0 + 27)
    t.resume(T0 + 100)
    assert t.next_cue() == (END, pytest.approx(T0 + 103))


def test_hold_longer_moves_the_end_and_re_arms_the_warning():
    t = timer()
    t.fire(WARNING, T0 + 25)
    t.extend(10, T0 + 26)
    assert t.remaining(T0 + 26) == pytest.approx(14)
    assert t.next_cue() == (WARNING, pytest.approx(T0 + 35))


def test_cues_follow_the_hold_start_not_when_they_were_handled():
    """No drift: each cue counts from when the previous one was *due*, even if it was handled late."""
    state, eff = M.step(M.State(phase=M.ACTIVE, variant="seated_single_leg", step=1),
                        M.Event(C.NEXT_STEP), T0)  # 30 s hold, rest 10, warning 5
    dues = [next(e.due for e in eff if isinstance(e, M.Schedule))]
    for lateness in (0.7, 1.3, 0.4):
        state, eff = M.step(state, M.Event(M.TICK), dues[-1] + lateness)
        dues.append(next(e.due for e in eff if isinstance(e, M.Schedule)))
    assert dues == [T0 + 25, T0 + 30, T0 + 40, T0 + 65]


def test_rest_phase_reports_next_repetition():
    t = timer()
    t.fire(END, T0 + 30)
    assert t.phase == REST and t.next_cue() == (NEXT_REP, T0 + 40)
    assert t.remaining(T0 + 33) == 7


def test_short_holds_get_no_warning():
    t = timer(seconds=8)
    assert t.next_cue() == (END, T0 + 8)


def test_round_trip_through_dict():
    t = timer()
    t.pause(T0 + 3)
    assert HoldTimer.from_dict(t.to_dict()) == t
    assert HoldTimer.from_dict(None) is None


# --- the machine's timer behaviour -----------------------------------------------------------------

def _hold_state(variant="standing_double_leg"):
    state = M.State(phase=M.ACTIVE, variant=variant, step=1)
    return M.step(state, M.Event(C.NEXT_STEP), T0)


def test_a_whole_hold_runs_by_itself_and_moves_on():
    state, eff = _hold_state()  # 15 s x 4, rest 10
    assert [e.response for e in eff if isinstance(e, M.Say)] == ["utter_step", "utter_hold_start"]
    spoken = []
    for _ in range(40):
        sched = [e for e in eff if isinstance(e, M.Schedule)]
        if not sched:
            break
        state, eff = M.step(state, M.Event(M.TICK), sched[-1].due)
        spoken += [e.response for e in eff if isinstance(e, M.Say)]
    assert spoken.count("utter_hold_warning") == 4
    assert spoken.count("utter_release_rest") == 3
    assert spoken.count("utter_next_rep") == 3
    assert spoken[-2:] == ["utter_release_last", "utter_routine_done"]
    assert state.done == [[0, "standing_double_leg", "both"]]


def test_an_early_or_stale_tick_says_nothing_and_re_arms():
    state, _ = _hold_state()
    after, eff = M.step(state, M.Event(M.TICK), T0 + 2)
    assert not [e for e in eff if isinstance(e, M.Say)]
    assert [e.due for e in eff if isinstance(e, M.Schedule)] == [T0 + 10]
    assert after.timer == state.timer


def test_a_tick_after_pause_or_stop_is_ignored():
    state, _ = _hold_state()
    paused, _ = M.step(state, M.Event(C.PAUSE), T0 + 3)
    _, eff = M.step(paused, M.Event(M.TICK), T0 + 10)
    assert eff == []
    stopped, _ = M.step(state, M.Event(C.STOP_SESSION), T0 + 3)
    _, eff = M.step(stopped, M.Event(M.TICK), T0 + 10)
    assert eff == []


def test_how_long_left_and_hold_longer():
    state, _ = _hold_state()
    _, eff = M.step(state, M.Event(C.HOW_LONG_LEFT), T0 + 6)
    assert eff[0] == M.Say("utter_hold_left", {"seconds": 9})
    state, eff = M.step(state, M.Event(C.HOLD_LONGER), T0 + 6)
    assert eff[0] == M.Say("utter_hold_longer", {"seconds": 10})
    _, eff = M.step(state, M.Event(C.HOW_LONG_LEFT), T0 + 6)
    assert eff[0] == M.Say("utter_hold_left", {"seconds": 19})


def test_how_long_left_without_a_hold():
    _, eff = M.step(M.State(phase=M.ACTIVE, variant="wrist_pull"), M.Event(C.HOW_LONG_LEFT), T0)
    assert eff == [M.Say("utter_no_hold", {})]


def test_after_a_restart_an_overdue_hold_is_treated_as_ended_not_stuck():
    """Reminders live in the server's memory; if the cue is long overdue, say so and carry on."""
    state, _ = _hold_state()
    after, eff = M.step(state, M.Event(C.HOW_LONG_LEFT), T0 + 300, grace=2.0)
    assert [e.response for e in eff if isinstance(e, M.Say)] == ["utter_hold_over", "utter_no_hold"]
    assert after.timer is None and after.phase == M.ACTIVE
    after, eff = M.step(after, M.Event(C.NEXT_STEP), T0 + 301)
    assert after.phase == M.CHOOSING  # moved on normally


def test_a_running_hold_is_re_armed_on_every_turn():
    """So a restarted server that lost its reminder gets it back at the next message."""
    state, _ = _hold_state()
    _, eff = M.step(state, M.Event(C.HELP), T0 + 3)
    assert [e.due for e in eff if isinstance(e, M.Schedule)] == [T0 + 10]
