"""Timed hold cues pushed over socket.io by Rasa reminders, against the real servers.

The servers run with STRETCH_TIME_SCALE=0.05 (conftest.py): a 30 s hold lasts 1.5 s, its "five
more seconds" cue comes at 1.25 s, the 10 s rest lasts 0.5 s. Cues must arrive with no user message,
timed from the hold's start, within TOLERANCE seconds.
"""

from __future__ import annotations

import queue
import time
import uuid

import pytest
import socketio

from conftest import TIME_SCALE

pytestmark = pytest.mark.e2e
SCALE = float(TIME_SCALE)
TOLERANCE = 0.4  # seconds of real time


class SocketUser:
    def __init__(self, url: str, sid: str | None = None):
        self.sid = sid or uuid.uuid4().hex
        self.inbox: queue.Queue = queue.Queue()
        self.sio = socketio.Client()
        self.sio.on("bot_uttered", lambda data: self.inbox.put((time.monotonic(), data.get("text", ""))))
        confirmed = []
        self.sio.on("session_confirm", lambda *_: confirmed.append(True))
        self.sio.connect(url, transports=["websocket"])
        self.sio.emit("session_request", {"session_id": self.sid})
        deadline = time.monotonic() + 10
        while not confirmed and time.monotonic() < deadline:
            time.sleep(0.05)

    def say(self, text: str, settle: float = 0.6) -> list[tuple[float, str]]:
        """Send a line; wait for the first reply (up to 10 s), then `settle` seconds more."""
        self.sio.emit("user_uttered", {"message": text, "session_id": self.sid})
        try:
            first_reply = [self.inbox.get(timeout=10)]
        except queue.Empty:
            return []
        return first_reply + self.collect(settle)

    def collect(self, seconds: float) -> list[tuple[float, str]]:
        out, end = [], time.monotonic() + seconds
        while True:
            left = end - time.monotonic()
            if left <= 0:
                return out
            try:
                out.append(self.inbox.get(timeout=left))
            except queue.Empty:
                return out

    def close(self):
        self.sio.disconnect()


@pytest.fixture
def sock(servers):
    user = SocketUser(servers.url)
    yield user
    user.close()


def start_seated_hold(sock: SocketUser) -> float:
    """Walk to the seated stretch's hold; return when the coach said 'hold'."""
    sock.say("start")
    sock.say("the seated one")
    sock.say("next")
    for t, text in sock.say("next", settle=0.1):
        if "seconds" in text.lower():
            return t
    raise AssertionError("the hold did not start")


HOLD_CUES = ("more seconds", "release", "again", "let go", "almost")
"""Words of the coach's timed hold cues: none may arrive while a hold is paused or cancelled."""


def first(msgs, *words):
    for t, text in msgs:
        if any(w in text.lower() for w in words):
            return t, text
    return None


def test_hold_cues_arrive_by_themselves_on_time(sock):
    start = start_seated_hold(sock)
    msgs = sock.collect(2.6)
    warning = first(msgs, "more seconds", "almost there")
    release = first(msgs, "release", "let go")
    again = first(msgs, "again", "back into it")
    assert warning and release and again, msgs
    assert warning[0] - start == pytest.approx(25 * SCALE, abs=TOLERANCE)
    assert release[0] - start == pytest.approx(30 * SCALE, abs=TOLERANCE)
    assert again[0] - start == pytest.approx(40 * SCALE, abs=TOLERANCE)
    # the second repetition ends, and the coach moves on to the other leg by itself
    later = sock.collect(2.5)
    assert first(later, "left leg"), later


def test_pause_stops_the_cues_and_resume_brings_them_back(sock):
    start = start_seated_hold(sock)
    sock.say("pause", settle=0.1)  # "Paused. Partner, release slowly. ...": not a timed cue
    paused_at = time.monotonic()
    quiet = [m for m in sock.collect(2.0) if "paused" not in m[1].lower()]
    assert not first(quiet, *HOLD_CUES), quiet
    resumed = sock.say("resume", settle=0.1)
    assert first(resumed, "to go"), resumed  # "Hold, N seconds to go."
    resume_t = resumed[0][0]
    elapsed_before = (paused_at - start) / SCALE
    msgs = sock.collect(1.8)
    release = first(msgs, "release", "let go")
    assert release, msgs
    assert release[0] - resume_t == pytest.approx((30 - elapsed_before) * SCALE, abs=TOLERANCE)


def test_unclear_speech_during_a_hold_pauses_it(sock):
    # what the voice client sends for speech it could not recognise: maybe a missed pain report
    start_seated_hold(sock)
    reply = sock.say("/nlu_fallback", settle=0.3)
    assert first(reply, "paused"), reply
    quiet = sock.collect(2.0)
    assert not first(quiet, *HOLD_CUES), quiet
    assert first(sock.say("resume", settle=0.1), "to go"), "the hold continues on resume"


def test_discomfort_cancels_the_running_hold(sock):
    start_seated_hold(sock)
    reply = sock.say("ouch", settle=0.3)
    assert first(reply, "zero to ten"), reply
    later = sock.collect(2.5)
    assert not first(later, *HOLD_CUES), later


def test_how_long_left_and_hold_longer_during_a_hold(sock):
    start_seated_hold(sock)
    reply = sock.say("how long left", settle=0.2)
    assert first(reply, "seconds left", "seconds to go"), reply
    reply = sock.say("hold it longer", settle=0.05)
    extended_at = time.monotonic()
    assert first(reply, "more seconds", "another"), reply
    msgs = sock.collect(2.2)
    release = first(msgs, "release", "let go")
    assert release, msgs
    # 10 s were added: the release comes about 0.5 s later than the original 1.5 s
    assert release[0] - extended_at > 0.6


def test_stop_cancels_everything(sock):
    start_seated_hold(sock)
    reply = sock.say("stop", settle=0.3)
    assert first(reply, "session over", "that's it"), reply
    assert not sock.collect(2.5)


def test_after_a_server_restart_a_lost_hold_ends_cleanly(servers):
    """Reminders live in the Rasa server's memory: after a restart the hold is over, not stuck."""
    user = SocketUser(servers.url)
    try:
        start_seated_hold(user)
    finally:
        user.close()
    servers.restart_rasa()  # takes longer than the whole hold
    again = SocketUser(servers.url, sid=user.sid)  # the same session, a new connection
    try:
        reply = again.say("how long left", settle=0.3)
        assert first(reply, "hold is over"), reply
        reply = again.say("next", settle=0.3)
        assert first(reply, "left leg"), reply  # the session carries on where it was
    finally:
        again.close()
