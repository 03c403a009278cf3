"""The action server dies mid-session: every safety request still gets its safe line (a domain
response, spoken without the action server: components/fault_policy.py), and when the action server
is back the session picks up where safety left it (actions/recovery.py). With the action server up,
none of those lines is ever added: nothing is said twice."""

from __future__ import annotations

import time

import pytest
import requests
import yaml

from lab.harness.servers import ROOT, Servers, free_ports, metric

pytestmark = pytest.mark.e2e
RESPONSES = yaml.safe_load((ROOT / "domain.yml").read_text())["responses"]
FAULT_LINES = {v["text"] for name in ("utter_fault_pause", "utter_fault_end", "utter_fault_trouble",
                                      "utter_fault_back") for v in RESPONSES[name]}


def texts(name: str) -> set:
    return {v["text"] for v in RESPONSES[name]}


SLOW_HOLDS = "100"
"""Holds 100 times longer than real (a 30 s hold lasts 50 minutes): no timed cue fires during the
test. A cue due while the action server is down would reach it first when it is back, and apply
the recovery in a reminder's turn, whose words the REST channel drops; which turn says "I'm back"
would then depend on timing. Recovery from a cue is the same code (actions/recovery.py)."""


@pytest.fixture(scope="module")
def own_servers(tmp_path_factory):
    """Servers of this module's own: the test kills their action server."""
    s = Servers(tmp_path_factory.mktemp("fault-servers"), *free_ports(2), SLOW_HOLDS)
    try:
        yield s.start()
    finally:
        s.stop()


def say(servers: Servers, sender: str, text: str) -> list:
    r = requests.post(f"{servers.url}/webhooks/rest/webhook",
                      json={"sender": sender, "message": text}, timeout=30)
    assert r.status_code == 200, r.text
    return [m.get("text", "") for m in r.json()]


def coach(servers: Servers, sender: str) -> dict:
    r = requests.get(f"{servers.url}/conversations/{sender}/tracker", timeout=30,
                     params=servers.auth)
    r.raise_for_status()
    return r.json()["slots"]["coach"] or {}


def into_a_hold(servers: Servers, sender: str) -> None:
    say(servers, sender, "start")
    say(servers, sender, "let's do the seated one")
    say(servers, sender, "next")
    assert any("seconds" in t for t in say(servers, sender, "next step"))  # the hold starts
    assert coach(servers, sender)["timer"] is not None


def test_safety_is_spoken_with_the_action_server_down_and_the_session_picks_up(own_servers):
    up, hurt, ender = (f"{name}-{time.time_ns()}" for name in ("up", "hurt", "ender"))
    for sender in (up, hurt, ender):
        into_a_hold(own_servers, sender)

    # action server up: the coach's own answer, no fault line added
    replies = say(own_servers, up, "ouch that hurts")
    assert replies[0] in texts("utter_discomfort_stop") and len(replies) == 2
    assert not FAULT_LINES & set(replies)

    failures = metric(own_servers.url, "stretch_coach_action_failures_total")
    own_servers.kill_actions()
    # each safety request: exactly its safe line
    assert say(own_servers, hurt, "ouch that hurts")[0] in texts("utter_discomfort_stop")
    assert len(say(own_servers, hurt, "ouch that hurts")) == 1
    assert say(own_servers, hurt, "too much pressure") in ([t] for t in texts("utter_discomfort_stop"))
    assert say(own_servers, hurt, "pause") in ([t] for t in texts("utter_fault_pause"))
    assert say(own_servers, ender, "stop") in ([t] for t in texts("utter_fault_end"))
    # anything else: release slowly, never silence
    assert say(own_servers, hurt, "next") in ([t] for t in texts("utter_fault_trouble"))
    assert coach(own_servers, hurt)["phase"] == "active"  # the coach has not heard yet
    # each one counted for the operator (components/metrics.py)
    assert metric(own_servers.url, "stretch_coach_action_failures_total") == failures + 6

    own_servers.start_actions()
    # back: the coach applies the "ouch" first, so it is paused and asks how bad before anything
    replies = say(own_servers, hurt, "resume")
    assert replies[0] in texts("utter_fault_back")
    assert replies[1:] == [t for t in replies[1:] if t in texts("utter_pain_ask_again")] and replies[1:]
    state = coach(own_servers, hurt)
    assert state["phase"] == "paused" and state["question"] == "pain" and state["timer"] is None
    assert any("gentler" in t.lower() for t in say(own_servers, hurt, "it's about a two"))
    assert any("seconds" in t for t in say(own_servers, hurt, "resume"))  # back into the hold
    assert not FAULT_LINES & set(say(own_servers, hurt, "how long is left"))  # said once only

    # the "stop" said during the outage ended that session: "start" begins a new one
    replies = say(own_servers, ender, "start")
    assert replies[0] in texts("utter_fault_back")
    assert any("warm up" in t.lower() for t in replies)
