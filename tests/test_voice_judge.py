"""The voice benchmark's judge (lab/bench/voice_judge.py): a safety phrase heard as a moving
command is the dangerous miss, unless the coach would hold that command back as heard in doubt;
a saved run judged again gives the same tallies as the rows say."""

from __future__ import annotations

from lab.bench.voice_judge import judge, summarise
from stretch_coach import contract, doubt


def row(kind: str, expected, nlu, hearing=None, cond: str = "tv10", answered: bool = True) -> dict:
    return {"said": "ouch", "voice": "v", "cond": cond, "kind": kind, "expected": expected,
            "heard": "Next step.", "nlu": nlu, "hearing": hearing, "answered": answered}


def heard(p: float, room_talk: bool) -> dict:
    return {doubt.METADATA_KEY: {"safety_p": p, "logprob": -0.2, "room_talk": room_talk}}


def test_a_safety_phrase_heard_as_a_moving_command_is_the_dangerous_miss():
    intent, checks = judge(row("safety", "discomfort", "next_step", heard(0.0, False)))
    assert intent == "next_step"
    assert checks == {"safety_recall": False, "safety_handled": False,
                      "safety_not_moved_on": False, "safety_pauses_hold": False,
                      "answered": True}


def test_a_moving_command_heard_in_doubt_is_judged_as_the_coach_takes_it():
    intent, checks = judge(row("safety", "discomfort", "next_step",
                               heard(doubt.SAFETY_P_ROOM_TALK, True)))
    assert intent == contract.NLU_FALLBACK and checks["safety_not_moved_on"]
    assert not checks["safety_handled"]  # held back is a lesser miss, not a safety intent
    assert checks["safety_pauses_hold"]  # ... but unclear mid-hold pauses the hold
    intent, checks = judge(row("command", "next_step", "next_step", heard(doubt.SAFETY_P, False)))
    assert intent == contract.NLU_FALLBACK and not checks["command_accuracy"]


def test_other_speech_counts_needless_pauses_and_moving_commands():
    _, checks = judge(row("partner", None, "pause"))
    assert checks == {"not_needless_pause": False, "not_unclear": True,
                      "partner_not_command": False, "partner_not_moved_on": True}
    _, checks = judge(row("oog", None, "start_session"))
    assert checks == {"not_needless_pause": True, "not_unclear": True, "oog_not_command": False,
                      "oog_not_moved_on": False}


def test_a_rating_that_means_to_pause_is_not_a_needless_pause():
    _, checks = judge(row("command", "discomfort", "discomfort"))
    assert checks == {"not_unclear": True, "command_accuracy": True, "answered": True}
    _, checks = judge(row("command", "harder", "discomfort"))
    assert not checks["not_needless_pause"] and not checks["command_accuracy"]


def test_out_of_scope_with_another_voice_talking_on_is_unclear_and_would_pause_a_hold():
    intent, checks = judge(row("safety", "discomfort", "out_of_scope", heard(0.0, True)))
    assert intent == contract.NLU_FALLBACK and checks["safety_pauses_hold"]
    _, checks = judge(row("safety", "discomfort", "out_of_scope", heard(0.0, False)))
    assert not checks["safety_pauses_hold"]  # a quiet room: the coach answers it, no pause
    _, checks = judge(row("safety", "discomfort", None, answered=False))
    assert not checks["safety_pauses_hold"]  # no turn reached the coach
    _, checks = judge(row("partner", None, "out_of_scope", heard(0.0, True)))
    assert not checks["not_unclear"] and checks["partner_not_command"]


def test_summarise_tallies_per_condition_and_voice_and_lists_the_misses():
    rows = [row("safety", "discomfort", "discomfort", cond="clean"),
            row("safety", "discomfort", "switch_legs", cond="tv5"),
            row("command", "next_step", "next_step", cond="tv5", answered=False)]
    out = summarise(rows)
    assert out["rates"]["safety_recall/clean"] == {"ok": 1, "n": 1, "rate": 1.0}
    assert out["rates"]["safety_not_moved_on/tv5"] == {"ok": 0, "n": 1, "rate": 0.0}
    assert out["rates"]["answered/tv5"] == {"ok": 1, "n": 2, "rate": 0.5}
    assert out["by_voice"]["v"]["command_accuracy/tv5"] == "1/1"
    assert [(m["cond"], m["intent"]) for m in out["misses"]] == [("tv5", "switch_legs"),
                                                                  ("tv5", "next_step")]
