"""The gateway's session table and a page's outgoing queue, without servers: a stand-in session
(the gateway's ``session_factory``) makes the races between hellos, the reaper and closing exact."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from stretch_web.gateway import OUT_AUDIO_MAX, Attachment, Gateway

pytestmark = pytest.mark.web


class StandIn:
    """Takes ``start_s`` to connect and ``close_s`` to close, like a real session's socket.io."""

    made: list["StandIn"] = []

    def __init__(self, sid, rasa_url, recognizer, send, voice=None, new=False, start_s=0.2,
                 close_s=0.3):
        self.sid, self.send, self.start_s, self.close_s = sid, send, start_s, close_s
        self.closed = False
        self.detached_at = None
        StandIn.made.append(self)

    def start(self, timeout: float) -> "StandIn":
        time.sleep(self.start_s)
        return self

    def close(self) -> None:
        time.sleep(self.close_s)
        self.closed = True


@pytest.fixture(autouse=True)
def fresh():
    StandIn.made = []


def test_two_hellos_for_one_new_session_id_make_one_session():
    gw = Gateway("http://127.0.0.1:9", recognizer=None, session_factory=StandIn)

    async def scenario():
        a, b = await asyncio.gather(gw._session("same-id-1234"), gw._session("same-id-1234"))
        assert a[0] is b[0] and a[1] is b[1]
        assert sorted([a[2], b[2]]) == [False, True]  # one made it, the other resumed it
        assert len(StandIn.made) == 1 and list(gw.sessions) == ["same-id-1234"]

    asyncio.run(scenario())


def test_a_session_being_closed_is_not_resumed():
    gw = Gateway("http://127.0.0.1:9", recognizer=None, session_factory=StandIn)

    async def scenario():
        old, _att, _ = await gw._session("reaped-id-1234")
        closing = asyncio.get_running_loop().create_task(gw._close("reaped-id-1234"))
        await asyncio.sleep(0.05)  # the close has started (it takes 0.3 s)
        new, _att, resumed = await gw._session("reaped-id-1234")
        await closing
        assert old.closed and not new.closed and new is not old and not resumed
        assert gw.sessions["reaped-id-1234"] is new

    asyncio.run(scenario())


def test_a_page_that_does_not_read_loses_audio_beyond_the_limit_never_messages():
    async def scenario():
        att = Attachment(asyncio.get_running_loop())
        queue = att.attach()
        sender = threading.Thread(target=lambda: [att.send(b"\x00\x00" * 160)
                                                  for _ in range(OUT_AUDIO_MAX + 50)])
        sender.start()
        sender.join()
        att.send({"type": "flush"})
        att.send({"type": "caption", "who": "coach", "text": "Paused."})
        await asyncio.sleep(0.1)  # the sends land on the loop
        assert att.dropped == 50
        assert queue.qsize() == OUT_AUDIO_MAX + 2
        items = [queue.get_nowait() for _ in range(queue.qsize())]
        assert all(isinstance(i, bytes) for i in items[:OUT_AUDIO_MAX])
        assert [i["type"] for i in items[OUT_AUDIO_MAX:]] == ["flush", "caption"]
        att.detach(queue)
        att.send(b"\x00\x00")  # nobody attached: nothing queued, nothing raised
        await asyncio.sleep(0.05)
        assert queue.get_nowait() is None and queue.empty()

    asyncio.run(scenario())
