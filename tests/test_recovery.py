"""Picking up after the action server was down (actions/recovery.py): the safety turns whose action
failed are replayed on the coach's state, silently, before the turn at hand."""

from __future__ import annotations

import asyncio

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import actions as A
from actions import recovery
from stretch_coach import contract as C
from stretch_coach import machine as M

BEFORE_HOLD = M.State(phase=M.ACTIVE, variant="wrist_pull", step=2).to_dict()


def user(text, intent, entities=()):
    return {"event": "user", "text": text,
            "parse_data": {"text": text, "intent": {"name": intent}, "entities": list(entities)}}


def action(name):
    return {"event": "action", "name": name}


def slot(value):
    return {"event": "slot", "name": C.SLOT_COACH, "value": value}


def bot(text):
    return {"event": "bot", "text": text}


def tracker(events, intent, text, coach=None):
    return Tracker("t", {C.SLOT_COACH: coach or HOLDING},
                   {"text": text, "intent": {"name": intent}, "entities": []},
                   events, False, None, {}, "action_listen")


def run(act, trk):
    d = CollectingDispatcher()
    events = asyncio.run(act.run(d, trk, {}))
    return [m["response"] for m in d.messages if not m["custom"]], events


# A hold running, its reminder set (as the coach leaves it after "next" on the wrist pull's step 3).
HOLDING = run(A.ActionNextStep(), tracker([], C.NEXT_STEP, "next", coach=BEFORE_HOLD))[1][0]["value"]
assert HOLDING["timer"] is not None


HEALTHY = [action("action_next_step"), bot("Hold for 15 seconds."), slot(HOLDING),
           action("action_listen")]
# "ouch" while the action server was down: its action left no events, the fault policy spoke.
OUTAGE = [user("ouch that hurts", C.DISCOMFORT), action("action_discomfort"),
          action("utter_discomfort_stop"), bot("Stop there. Partner, release slowly."),
          action("action_listen")]


def test_a_healthy_conversation_has_nothing_to_replay():
    assert recovery.missed_safety_turns(HEALTHY, A.action_events()) == []
    spoken, _ = run(A.ActionHowLongLeft(), tracker(HEALTHY + [user("how long", C.HOW_LONG_LEFT)],
                                                   C.HOW_LONG_LEFT, "how long"))
    assert "utter_fault_back" not in spoken


def test_a_failed_safety_turn_is_found_with_its_message():
    missed = recovery.missed_safety_turns(HEALTHY + OUTAGE, A.action_events())
    assert missed == [(C.DISCOMFORT, OUTAGE[0]["parse_data"])]


def test_failed_turns_that_are_not_safety_are_not_replayed():
    events = HEALTHY + [user("next", C.NEXT_STEP), action("action_next_step"),
                        action("utter_fault_trouble"), bot("I'm having trouble."), action("action_listen")]
    assert recovery.missed_safety_turns(events, A.action_events()) == []


def test_after_the_outage_the_coach_is_paused_and_asks_how_bad_it_was():
    events = HEALTHY + OUTAGE + [user("resume", C.RESUME)]
    spoken, out = run(A.ActionResume(), tracker(events, C.RESUME, "resume"))
    state = out[0]["value"]
    assert spoken[0] == "utter_fault_back"
    # the safe line was already spoken; resume is held back by the open pain question
    assert "utter_discomfort_stop" not in spoken
    assert spoken[1:] == ["utter_pain_ask_again"]
    assert state["phase"] == M.PAUSED and state["question"] == M.ASK_PAIN
    assert any(e["event"] == "cancel_reminder" for e in out)  # the hold's reminder is cancelled


def test_a_stop_said_during_the_outage_ends_the_session():
    outage = [user("stop", C.STOP_SESSION), action("action_stop_session"),
              action("utter_fault_end"), bot("Session over."), action("action_listen")]
    events = HEALTHY + outage + [user("how long left", C.HOW_LONG_LEFT)]
    spoken, out = run(A.ActionHowLongLeft(), tracker(events, C.HOW_LONG_LEFT, "how long left"))
    assert spoken[0] == "utter_fault_back"
    assert out[0]["value"]["phase"] == M.ENDED


def test_the_replay_stops_at_the_last_coach_update():
    # an outage long ago, then a successful turn: nothing left to replay
    events = HEALTHY + OUTAGE + [user("2", C.DISCOMFORT), action("action_discomfort"),
                                 bot("Okay, we'll go gentler."), slot(HOLDING), action("action_listen")]
    assert recovery.missed_safety_turns(events, A.action_events()) == []


def test_a_long_session_rolls_over_into_a_new_one_carrying_the_coach(monkeypatch):
    """Past STRETCH_SESSION_EVENTS events the action starts a new Rasa session (so the tracker
    store loads a bounded number of events), with the coach's slot as its first event."""
    monkeypatch.setenv("STRETCH_SESSION_EVENTS", "40")
    short = HEALTHY * 9 + [user("how long", C.HOW_LONG_LEFT)]           # 37 events
    _, out = run(A.ActionHowLongLeft(), tracker(short, C.HOW_LONG_LEFT, "how long"))
    assert out[0]["event"] == "slot" and "session_started" not in [e["event"] for e in out]
    long = HEALTHY * 10 + [user("how long", C.HOW_LONG_LEFT)]           # 41 events
    _, out = run(A.ActionHowLongLeft(), tracker(long, C.HOW_LONG_LEFT, "how long"))
    assert out[0]["event"] == "session_started"
    assert out[1]["event"] == "slot" and out[1]["name"] == C.SLOT_COACH
    assert out[1]["value"]["variant"] == "wrist_pull" and out[1]["value"]["phase"] == M.ACTIVE
    assert out[-1] == {**out[-1], "event": "action", "name": "action_listen"}
    monkeypatch.setenv("STRETCH_SESSION_EVENTS", "0")                  # 0: never
    _, out = run(A.ActionHowLongLeft(), tracker(long, C.HOW_LONG_LEFT, "how long"))
    assert out[0]["event"] == "slot" and "session_started" not in [e["event"] for e in out]
