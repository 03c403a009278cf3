"""What is said while the coach's server cannot be reached is kept and reaches it when it is back.

The text chat, `make voice` and the web page all talk to Rasa through :class:`stretch_chat.Chat`
(socket.io). Here the real Rasa server is stopped in the middle of a session, two things are said
("the seated one", then "ouch that hurts"), and the server is started again: socket.io reconnects
on its own, and the coach answers both, in the order they were said.
"""

from __future__ import annotations

import threading
import time
import uuid

import pytest

from lab.harness.servers import stop_process
from stretch_chat import Chat

pytestmark = pytest.mark.e2e


class Heard:
    def __init__(self) -> None:
        self.lines: list[str] = []
        self.lock = threading.Lock()

    def __call__(self, text: str) -> None:
        with self.lock:
            self.lines.append(text)

    def wait_for(self, words: str, start: int = 0, timeout: float = 15.0) -> int:
        """Index of the first line from ``start`` on containing ``words`` (waits for it)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                for i, line in enumerate(self.lines[start:], start):
                    if words in line.lower():
                        return i
            time.sleep(0.05)
        raise AssertionError(f"no {words!r} in {self.lines[start:]}")


def wait_until(check, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(what)
        time.sleep(0.05)


def test_what_is_said_while_the_coach_is_down_reaches_it_in_order(servers):
    heard, held = Heard(), []
    chat = Chat(servers.url, f"link-down-{uuid.uuid4().hex}", on_text=heard, on_held=held.append)
    chat.connect(timeout=30)
    try:
        assert chat.send("start") is True
        heard.wait_for("routine")
        before = len(heard.lines)

        stop_process(servers.rasa)  # the coach's server goes away mid-session
        wait_until(lambda: not chat.confirmed.is_set(), 10, "the chat never noticed the outage")
        assert chat.send("the seated one") is False
        assert chat.send("ouch that hurts") is False
        assert held == ["the seated one", "ouch that hurts"]
        assert [text for text, _ in chat.outbox] == held

        servers.start_rasa()  # socket.io reconnects by itself; the kept messages go, in order
        routine = heard.wait_for("seated single leg", before, timeout=30)
        pain = heard.wait_for("zero to ten", routine + 1)
        assert routine < pain
        assert not chat.outbox
        assert chat.send("3") is True  # and the link is back for what comes next
        heard.wait_for("gentler", pain + 1)  # a 3 is mild: gentler from now on
    finally:
        chat.close()
        if servers.rasa is None or servers.rasa.poll() is not None:
            servers.start_rasa()  # leave the session's servers running for the other tests
