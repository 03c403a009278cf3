"""Each action with a tracker fixture: the exact events and the responses it speaks."""

from __future__ import annotations

import datetime as dt
import inspect
import time
from pathlib import Path

import pytest
import yaml
from rasa_sdk.events import ReminderCancelled, SlotSet

from actions import actions as A
from actions import people as P
from stretch_coach import contract as C
from stretch_coach import machine as M

ALL_ACTIONS = list({
    cls for module in (A, P) for _, cls in inspect.getmembers(module, inspect.isclass)
    if issubclass(cls, A.SessionAction) and not inspect.isabstract(cls)
})


def responses(dispatcher) -> list[str]:
    """The responses spoken, in order (the view, a custom payload, is not spoken)."""
    return [m["response"] for m in dispatcher.messages if not m["custom"]]


def views(dispatcher) -> list[dict]:
    """The views sent (docs/protocol.md), as a socket.io client receives them."""
    return [m["custom"]["data"]["view"] for m in dispatcher.messages if m["custom"]]


def run(action, dispatcher, tracker, domain):
    import asyncio

    return asyncio.run(action.run(dispatcher, tracker, domain))


def test_every_action_is_in_the_domain_and_every_domain_action_exists(domain):
    names = {cls().name() for cls in ALL_ACTIONS}
    assert names == set(domain["actions"])
    assert len(names) == len(ALL_ACTIONS)


def test_every_response_the_machine_can_speak_is_in_the_domain(domain):
    import re

    coach = Path(M.__file__).parents[1]
    files = [*sorted(Path(M.__file__).parent.glob("*.py")), coach / "history.py",
             coach / "summaries.py"]
    source = "".join(p.read_text() for p in files)
    spoken = set(re.findall(r'"(utter_[a-z_]+)"', source))
    assert spoken, "found no responses in the machine"
    missing = spoken - set(domain["responses"])
    assert not missing
    # The actions speak one more ("I'm back" after an outage); the fault policy's are in config.yml.
    spoken |= set(re.findall(r'"(utter_[a-z_]+)"', inspect.getsource(A) + inspect.getsource(P)))
    # The page's gateway speaks one itself: the busy line to a page it cannot take.
    gateway = Path(A.__file__).parents[1] / "stretch_web" / "busy.py"
    spoken |= set(re.findall(r'"(utter_[a-z_]+)"', gateway.read_text()))
    config = yaml.safe_load((Path(A.__file__).parents[1] / "config.yml").read_text())
    fault = next(p for p in config["policies"] if p["name"].endswith("ActionServerDownPolicy"))
    spoken |= {*fault["responses"].values(), fault["default"]}
    assert not spoken - set(domain["responses"])
    unused = set(domain["responses"]) - spoken
    assert not unused, "responses nobody speaks"


DOMAIN_RESPONSES = yaml.safe_load((Path(A.__file__).parents[1] / "domain.yml").read_text())["responses"]


@pytest.mark.parametrize("response,variants", list(DOMAIN_RESPONSES.items()))
def test_responses_are_voice_first(response, variants):
    for v in variants:
        text = v["text"]
        assert "buttons" not in v and "image" not in v
        assert not any(ord(ch) > 0x2000 for ch in text), "no emoji or symbols"
        assert "type" not in text.lower().split()
        sentences = [s for s in text.replace("?", ".").replace("!", ".").split(".") if s.strip()]
        # routine content is filled in, so allow one templated sentence beyond two of our own
        assert len(sentences) <= 3, text


def test_start_session_speaks_warm_up_and_sets_the_session(dispatcher, tracker, domain):
    events = run(A.ActionStartSession(), dispatcher, tracker(C.START_SESSION, "let's start"), domain)
    assert responses(dispatcher) == ["utter_warm_up", "utter_choose_routine"]
    assert dispatcher.messages[0]["minutes"] == 3
    assert events[0]["event"] == "slot" and events[0]["name"] == C.SLOT_COACH
    assert events[0]["value"]["phase"] == M.CHOOSING


def test_choose_variant_reads_the_entity(dispatcher, tracker, domain):
    state = M.State(phase=M.CHOOSING).to_dict()
    t = tracker(C.CHOOSE_VARIANT, "the seated one please",
                [{"entity": "variant", "value": "seated_single_leg"}], coach=state)
    events = run(A.ActionChooseVariant(), dispatcher, t, domain)
    assert responses(dispatcher) == ["utter_routine_start", "utter_step"]
    assert dispatcher.messages[1]["instruction"].startswith("Sit on the floor with your right leg")
    assert events == [SlotSet(C.SLOT_COACH, events[0]["value"])]
    assert events[0]["value"]["variant"] == "seated_single_leg"


def test_reaching_a_hold_schedules_a_reminder_that_survives_user_messages(dispatcher, tracker, domain):
    state = M.State(phase=M.ACTIVE, variant="wrist_pull", step=2).to_dict()
    events = run(A.ActionNextStep(), dispatcher, tracker(C.NEXT_STEP, "next", coach=state), domain)
    assert responses(dispatcher) == ["utter_step", "utter_hold_start"]
    reminders = [e for e in events if e["event"] == "reminder"]
    assert len(reminders) == 1
    r = reminders[0]
    assert r["intent"] == C.EXTERNAL_HOLD_CUE
    assert r["name"] == "hold_cue_test-user"
    assert r["kill_on_user_msg"] is False
    due = dt.datetime.fromisoformat(r["date_time"])
    assert dt.timedelta(seconds=9) < due - dt.datetime.now() < dt.timedelta(seconds=11)  # 15 s - 5 s


def test_discomfort_cancels_the_hold_reminder_and_asks(dispatcher, tracker, domain):
    state = M.State(phase=M.ACTIVE, variant="wrist_pull", step=2).to_dict()
    events = run(A.ActionNextStep(), dispatcher, tracker(coach=state), domain)
    state = events[0]["value"]
    d2 = type(dispatcher)()
    events = run(A.ActionDiscomfort(), d2, tracker(C.DISCOMFORT, "ouch", coach=state), domain)
    assert responses(d2) == ["utter_discomfort_stop", "utter_ask_pain"]
    assert ReminderCancelled(name="hold_cue_test-user") in events
    assert events[0]["value"]["phase"] == M.PAUSED


@pytest.mark.parametrize("entities,text,expected", [
    ([{"entity": "pain_level", "value": "2"}], "about a two", "utter_pain_mild"),
    ([{"entity": "pain_level", "value": "seven out of ten"}], "seven out of ten", "utter_pain_severe"),
    ([{"entity": "pain_level", "value": "2"}], "a two but it's sharp", "utter_pain_severe"),
    ([], "sharp stabbing pain", "utter_pain_severe"),
    # as Whisper writes them: digits, capitals, punctuation
    ([{"entity": "pain_level", "value": "3"}], "3", "utter_pain_mild"),
    ([{"entity": "pain_level", "value": "7"}], "It's a 7.", "utter_pain_severe"),
    ([], "It's a 3.5.", "utter_pain_severe"),  # no span for "3.5": the rating, rounded up
    ([], "11", "utter_pain_off_scale"),
    ([], "Twenty.", "utter_pain_off_scale"),
])
def test_pain_rating_from_entities_and_words(dispatcher, tracker, domain, entities, text, expected):
    state = M.State(phase=M.PAUSED, paused_from=M.ACTIVE, variant="wrist_pull", step=3,
                    question=M.ASK_PAIN).to_dict()
    run(A.ActionDiscomfort(), dispatcher, tracker(C.DISCOMFORT, text, entities, coach=state), domain)
    assert responses(dispatcher)[-1] == expected


def test_a_bare_number_outside_the_pain_question_asks_first(dispatcher, tracker, domain):
    state = M.State(phase=M.ACTIVE, variant="wrist_pull", step=3).to_dict()
    ents = [{"entity": "pain_level", "value": "7"}]
    events = run(A.ActionDiscomfort(), dispatcher, tracker(C.DISCOMFORT, "7", ents, coach=state), domain)
    assert responses(dispatcher) == ["utter_discomfort_stop", "utter_ask_pain_confirm"]
    assert events[0]["value"]["phase"] == M.PAUSED and events[0]["value"]["question"] == M.ASK_PAIN


def test_hold_cue_action_speaks_the_due_cue(dispatcher, tracker, domain, monkeypatch):
    monkeypatch.setenv("STRETCH_TIME_SCALE", "1")
    state = M.State(phase=M.ACTIVE, variant="wrist_pull", step=2).to_dict()
    events = run(A.ActionNextStep(), type(dispatcher)(), tracker(coach=state), domain)
    state = events[0]["value"]
    state["timer"]["base"] -= 11  # the hold started 11 s ago: the warning at 10 s is due
    events = run(A.ActionHoldCue(), dispatcher, tracker(C.EXTERNAL_HOLD_CUE, coach=state), domain)
    assert responses(dispatcher) == ["utter_hold_warning"]
    assert [e["event"] for e in events] == ["slot", "reminder"]


def test_empty_slot_and_odd_entities_do_not_crash(dispatcher, tracker, domain):
    t = tracker(C.SWITCH_LEGS, "", [{"entity": "side", "value": "sideways"},
                                     {"entity": "variant", "value": "yoga"}])
    events = run(A.ActionSwitchLegs(), dispatcher, t, domain)
    assert responses(dispatcher) == ["utter_say_start"]
    assert events[0]["value"]["phase"] == M.IDLE


def test_reminder_is_never_set_in_the_past(dispatcher, tracker, domain):
    ev = A.SessionAction._reminder("u", A.Clock(1.0, time.time), due=0.0)
    assert isinstance(ev, dict) and ev["event"] == "reminder"
    assert dt.datetime.fromisoformat(ev["date_time"]) > dt.datetime.now() - dt.timedelta(seconds=1)


def test_the_worst_of_several_pain_ratings_counts(dispatcher, tracker, domain):
    state = M.State(phase=M.PAUSED, paused_from=M.ACTIVE, variant="wrist_pull", step=3,
                    question=M.ASK_PAIN).to_dict()
    ents = [{"entity": "pain_level", "value": "2"}, {"entity": "pain_level", "value": "6"}]
    run(A.ActionDiscomfort(), dispatcher, tracker(C.DISCOMFORT, "two no six", ents, coach=state), domain)
    assert responses(dispatcher)[-1] == "utter_pain_severe"


def test_every_turn_ends_with_the_view_of_the_session_it_left(dispatcher, tracker, domain):
    """The heading of the page follows the coach: after "start" the view says it is choosing."""
    run(A.ActionStartSession(), dispatcher, tracker(C.START_SESSION, "let's start"), domain)
    assert not dispatcher.messages[-1]["response"] and dispatcher.messages[-1]["custom"]
    assert views(dispatcher) == [{
        "phase": M.CHOOSING, "question": None, "paused": False, "role": 0, "routine": None,
        "variant": None, "step": None, "steps": None, "instruction": None, "actor": None,
        "side": None, "hold": None}]


def test_the_view_of_a_hold_is_the_step_as_spoken_and_the_running_timer(dispatcher, tracker, domain):
    state = M.State(phase=M.ACTIVE, variant="wrist_pull", step=2).to_dict()
    before = time.time()
    run(A.ActionNextStep(), dispatcher, tracker(C.NEXT_STEP, "next", coach=state), domain)
    step = next(m for m in dispatcher.messages if m["response"] == "utter_step")
    [view] = views(dispatcher)
    assert (view["phase"], view["variant"], view["step"], view["steps"]) == (
        M.ACTIVE, "wrist_pull", step["number"], step["total"])
    assert view["instruction"] == step["instruction"] and view["actor"] == "both"
    assert view["routine"] == "wrist pull stretch" and view["side"] == "both"
    hold = view["hold"]
    assert {k: hold[k] for k in ("phase", "rep", "reps", "length", "remaining", "paused", "scale")} \
        == {"phase": "hold", "rep": 1, "reps": 3, "length": 15, "remaining": 15, "paused": False,
            "scale": 1.0}
    assert before + 15 - 0.001 <= hold["due"] <= time.time() + 15 + 0.001


def test_the_time_scale_is_read_by_the_actions_and_given_to_the_coach(dispatcher, tracker, domain,
                                                                      monkeypatch):
    monkeypatch.setenv("STRETCH_TIME_SCALE", "0.1")
    state = M.State(phase=M.ACTIVE, variant="wrist_pull", step=2).to_dict()
    events = run(A.ActionNextStep(), dispatcher, tracker(C.NEXT_STEP, "next", coach=state), domain)
    hold = views(dispatcher)[0]["hold"]
    assert hold["scale"] == 0.1 and hold["remaining"] == 15    # coach seconds, as spoken
    assert hold["due"] == pytest.approx(time.time() + 1.5, abs=0.5)  # real ones: 1.5 s
    due = dt.datetime.fromisoformat(next(e for e in events if e["event"] == "reminder")["date_time"])
    assert dt.timedelta(seconds=0.5) < due - dt.datetime.now() < dt.timedelta(seconds=1.5)  # warning


@pytest.mark.parametrize("env,scale,events", [
    ({}, 1.0, 100), ({"STRETCH_TIME_SCALE": "0.05", "STRETCH_SESSION_EVENTS": "0"}, 0.05, 0),
    ({"STRETCH_TIME_SCALE": "0", "STRETCH_SESSION_EVENTS": "-3"}, 1.0, 100),   # not valid: defaults
    ({"STRETCH_TIME_SCALE": "fast", "STRETCH_SESSION_EVENTS": "1.5"}, 1.0, 100),
    ({"STRETCH_TIME_SCALE": " ", "STRETCH_SESSION_EVENTS": ""}, 1.0, 100),
])
def test_the_settings_come_from_the_environment_with_their_defaults(env, scale, events):
    from actions.settings import settings

    got = settings(env)
    assert (got.time_scale, got.session_events) == (scale, events)
    assert got.clock().scale == scale


@pytest.mark.parametrize("channel,sent", [("socketio", True), ("rest", False), ("cmdline", False),
                                          (None, True)])
def test_the_view_goes_to_clients_that_show_it_not_to_rest_answers(dispatcher, domain, channel, sent):
    """A REST answer stays the list of what was said; a hold cue (no channel of its own after a
    new Rasa session) gets the view, which only socket.io delivers."""
    from rasa_sdk import Tracker

    events = [{"event": "user", "text": "hi", "input_channel": channel}]
    t = Tracker("test-user", {}, {"text": "hi", "intent": {"name": C.GREET}, "entities": []},
                events, False, None, {}, "action_listen")
    run(A.ActionGreet(), dispatcher, t, domain)
    assert responses(dispatcher) == ["utter_greet"]
    assert len(views(dispatcher)) == (1 if sent else 0)
