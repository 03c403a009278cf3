"""The coach's view on its way to the page, without servers: a page's session passes it on as the
coach sent it and keeps the last one, aged to now for a page that comes back; the voice loop never
says it; STOP pauses the coach when its phase is a session's, or not known yet."""

from __future__ import annotations

import pytest

from stretch_coach.machine import State
from stretch_coach.machine.view import view
from stretch_coach.timing import Clock, HoldTimer
from stretch_voice.audio import pcm_to_wav_bytes
from stretch_voice.tts import Speech, Synthesizer
from stretch_web.page import PageSession
from stretch_web.view import LastView, aged

pytestmark = pytest.mark.web


class Ticks:
    """A monotonic clock the test moves."""

    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


def hold_view(real_now: float, scale: float = 0.05) -> dict:
    """The view of the seated stretch's 30 s hold, started at coach time 0."""
    timer = HoldTimer.start(0.0, 30, 2, 10, 5)
    state = State(phase="active", variant="seated_single_leg", step=2, timer=timer.to_dict())
    return view(state, Clock(scale, lambda: real_now))


def test_a_view_sent_again_later_has_its_running_hold_aged():
    v = hold_view(0.5)  # coach 10 s into the hold: 20 s left
    assert v["hold"]["remaining"] == 20.0
    assert aged(v, 0.25)["hold"]["remaining"] == 15.0  # 0.25 real s = 5 coach s
    assert aged(v, 10)["hold"]["remaining"] == 0.0
    assert v["hold"]["remaining"] == 20.0  # the original is not changed
    timer = HoldTimer.start(0.0, 30, 2, 10, 5)
    timer.pause(10.0)
    paused = view(State(phase="paused", variant="seated_single_leg", step=2,
                        timer=timer.to_dict()), Clock(0.05, lambda: 3.0))
    assert aged(paused, 5) == paused  # a paused hold does not run down
    idle = view(State(), Clock(1.0, lambda: 0.0))
    assert aged(idle, 5) == idle


def test_the_last_view_is_kept_and_aged_from_when_it_came():
    ticks = Ticks()
    last = LastView(clock=ticks)
    assert last.now() is None and last.phase is None, "nothing before the coach's first turn"
    last.update(hold_view(0.5))
    ticks.t += 0.5  # 10 coach seconds later
    assert last.now()["hold"]["remaining"] == 10.0 and last.phase == "active"


class Mute(Synthesizer):
    """A voice that says everything as 10 ms of silence."""

    def synthesize(self, text: str, speed: int = 0) -> Speech:
        return Speech(text, pcm_to_wav_bytes(b"\0\0" * 220, self.sample_rate), 0.0, "mute")


@pytest.fixture
def page():
    """A page's session, not connected (no servers), and what it sent to the page."""
    sent: list = []
    session = PageSession("test-page-1234", "http://127.0.0.1:9", None, sent.append, voice=Mute())
    yield session, sent
    session.speaker.close()


def test_the_coachs_view_goes_to_the_page_as_sent_and_is_never_spoken(page):
    session, sent = page
    v = hold_view(0.5)
    session.client.chat._on_bot({"view": v})   # as socket.io delivers it (docs/protocol.md)
    assert sent == [{"type": "view", "view": v}]
    assert session.client.heard == [] and not session.captions, "not said, not captioned"
    sent.clear()
    session.replay()
    assert [m["type"] for m in sent] == ["view"] and sent[0]["view"]["routine"] == v["routine"]
    assert sent[0]["view"]["hold"]["remaining"] <= 20.0


def test_a_new_session_has_no_view_to_replay_and_the_coachs_words_are_captions(page):
    session, sent = page
    session.replay()
    assert sent == []
    session.client.chat._on_bot({"text": "Which routine first?"})
    assert [(m["type"], m.get("text")) for m in sent][:1] == [("caption", "Which routine first?")]


@pytest.mark.parametrize("new,phase,pauses", [
    (True, None, False),          # a conversation the gateway just made: idle, STOP only silences
    (False, None, True),          # a page back after its session closed: maybe mid-hold, pause
    (False, "idle", False), (False, "ended", False),
    (False, "choosing", True), (False, "active", True), (False, "paused", True),
])
def test_stop_pauses_the_coach_in_a_session_or_when_its_phase_is_not_known(page, new, phase,
                                                                          pauses):
    session, _sent = page
    session.new = new
    if phase is not None:
        session.view.update({"phase": phase, "hold": None})
    assert session.stop_pauses() is pauses
