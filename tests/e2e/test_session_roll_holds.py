"""Rasa sessions rolling over (actions/actions.py) never drop a hold cue: Rasa only fires a reminder
whose ReminderScheduled is in the current session, and the coach re-issues a running hold's reminder
on every turn, after the new session's start. Here a new session starts almost every turn."""

from __future__ import annotations

import pytest
import requests

from conftest import TIME_SCALE
from lab.harness.servers import Servers, free_ports
from test_socketio_holds import SocketUser, first, start_seated_hold

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def rolling_servers(tmp_path_factory):
    s = Servers(tmp_path_factory.mktemp("rolling-servers"), *free_ports(2), TIME_SCALE)
    s.env["STRETCH_SESSION_EVENTS"] = "10"
    try:
        yield s.start()
    finally:
        s.stop()


def test_hold_cues_keep_coming_while_sessions_roll_over(rolling_servers):
    sock = SocketUser(rolling_servers.url)
    try:
        start_seated_hold(sock)
        assert first(sock.say("how long left", settle=0.1), "seconds left", "to go")
        msgs = sock.collect(2.6)
        assert first(msgs, "more seconds", "almost there"), msgs
        assert first(msgs, "release", "let go"), msgs
        assert first(msgs, "again", "back into it"), msgs
        later = sock.collect(2.5)
        assert first(later, "left leg"), later          # the cues carried the routine on
    finally:
        sock.close()
    r = rolling_servers
    events = requests.get(f"{r.url}/conversations/{sock.sid}/tracker", params=r.auth,
                          timeout=30).json()["events"]
    assert sum(e["event"] == "session_started" for e in events) >= 4   # it did roll, often
