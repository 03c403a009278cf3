"""A long conversation stays one coaching session while Rasa's sessions roll over: past
STRETCH_SESSION_EVENTS events an action starts a new Rasa session carrying the coach's slot, so the
tracker store loads a bounded number of events per turn (the timing is in lab/bench/turn_cost.py)."""

from __future__ import annotations

import sqlite3

import pytest
import yaml

from lab.harness.servers import ROOT

pytestmark = pytest.mark.e2e
RESPONSES = yaml.safe_load((ROOT / "domain.yml").read_text())["responses"]
UNWANTED = {v["text"] for name in ("utter_fault_trouble", "utter_fault_back", "utter_fallback")
            for v in RESPONSES[name]}
LOOP = ["next", "how long left", "hold it longer", "repeat", "easier", "harder", "next"]


def test_a_long_conversation_loads_a_bounded_tracker_and_keeps_the_coach(servers, user):
    user.say("start")
    user.say("let's do the seated one")
    for i in range(90):
        text = LOOP[i % len(LOOP)]
        reply = user.say(text)
        assert reply.strip(), f"turn {i} ({text}): silence"
        assert not any(u in reply for u in UNWANTED), f"turn {i} ({text}): {reply}"
    state = user.state()
    assert state["phase"] in ("active", "choosing") and state["done"]   # routines were finished
    # Rasa's SQL tracker store loads the events since the latest session start (its _event_query)
    events = user.tracker()["events"]
    starts = [i for i, e in enumerate(events) if e["event"] == "session_started"]
    assert len(starts) >= 3 and len(events) > 300     # several sessions over the conversation
    assert len(events) - starts[-1] <= 100 + 30       # the one loaded per turn stays small
    assert all(b - a <= 100 + 30 for a, b in zip(starts, starts[1:], strict=False))
    with sqlite3.connect(servers.workdir / "tracker.db") as db:
        (stored,) = db.execute("SELECT COUNT(*) FROM events WHERE sender_id = ?"
                               " AND type_name = 'session_started'", (user.sender,)).fetchone()
        (mode,) = db.execute("PRAGMA journal_mode").fetchone()
    assert stored == len(starts)                       # as stored
    assert mode == "wal"                # our store (components/stores.py), as endpoints.yml has it
