"""The gateway's session table, a page's outgoing queue and its connection handler, without the
coach's servers: a stand-in session (the gateway's ``session_factory``) makes the races between
hellos, the reaper and closing exact, and shows what each message kind of a page is answered with."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from types import SimpleNamespace

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from stretch_web.connection import OUT_AUDIO_MAX, Attachment
from stretch_web.gateway import Gateway
from stretch_web.stream import Stream

pytestmark = pytest.mark.web


class StandIn:
    """Takes ``start_s`` to connect and ``close_s`` to close, like a real session's socket.io."""

    made: list["StandIn"] = []

    def __init__(self, sid, rasa_url, recognizer, send, voice=None, new=False, start_s=0.2,
                 close_s=0.3, load=None, shared=None, device=None):
        self.sid, self.send, self.start_s, self.close_s = sid, send, start_s, close_s
        self.new, self.device = new, device
        self.closed = False
        self.detached_at = None
        self.stream = Stream()
        self.received_samples = self.peak = 0
        self.client = SimpleNamespace(session=SimpleNamespace(turns=[]))
        self.did: list = []  # what the page asked of it
        StandIn.made.append(self)

    def replay(self) -> None:
        self.send({"type": "view", "view": {"phase": "idle"}})

    def text(self, text: str) -> None:
        self.did.append(("text", text))

    def stop(self) -> None:
        self.did.append(("stop",))

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
        a, b = await asyncio.gather(gw.open_session("same-id-1234"), gw.open_session("same-id-1234"))
        assert a[0] is b[0] and a[1] is b[1]
        assert sorted([a[2], b[2]]) == [False, True]  # one made it, the other resumed it
        assert len(StandIn.made) == 1 and list(gw.sessions) == ["same-id-1234"]

    asyncio.run(scenario())


def test_a_session_being_closed_is_not_resumed():
    gw = Gateway("http://127.0.0.1:9", recognizer=None, session_factory=StandIn)

    async def scenario():
        old, _att, _ = await gw.open_session("reaped-id-1234")
        closing = asyncio.get_running_loop().create_task(gw._close("reaped-id-1234"))
        await asyncio.sleep(0.05)  # the close has started (it takes 0.3 s)
        new, _att, resumed = await gw.open_session("reaped-id-1234")
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


HELLO = {"type": "hello", "session": None, "rate": 16000, "channels": 1, "format": "s16le"}


def test_each_message_kind_has_its_answer():
    """One handler per connection: hello first, then text, stop, resend and ping; anything else
    is answered with an error and the connection goes on (docs/protocol.md)."""
    gw = Gateway("http://127.0.0.1:9", recognizer=None, session_factory=StandIn)

    async def scenario() -> list:
        server = TestServer(gw.app())
        await server.start_server()
        try:
            async with aiohttp.ClientSession() as http:
                async with http.ws_connect(server.make_url("/ws")) as ws:
                    got: list = []

                    async def say(msg) -> None:
                        await (ws.send_str(msg) if isinstance(msg, str) else ws.send_json(msg))

                    async def answer(n: int = 1) -> None:
                        for _ in range(n):
                            got.append(json.loads((await ws.receive(timeout=5)).data))

                    for msg in ({"type": "ping", "t": 1}, HELLO):
                        await say(msg)
                        await answer(2 if msg is HELLO else 1)
                    for msg in ({"type": "text", "text": "  start  "}, {"type": "stop"},
                                {"type": "resend", "from": 0, "samples": 0},
                                {"type": "ping", "t": 2}, {"type": "text", "text": " "},
                                {"type": "dance"}, "not json", HELLO):
                        await say(msg)
                    await answer(5)
                    return got
        finally:
            await server.close()
            for sid in list(gw.sessions):
                await gw._close(sid)

    got = asyncio.run(scenario())
    assert [(m["type"], m.get("code")) for m in got] == [
        ("error", "hello_first"), ("ready", None), ("view", None), ("pong", None),
        ("error", "bad_message"), ("error", "bad_message"), ("error", "bad_message"),
        ("error", "bad_message")]
    assert got[1]["resumed"] is False and got[3]["t"] == 2
    [made] = StandIn.made
    assert made.new, "an id the gateway made: a new conversation"
    assert made.did == [("text", "start"), ("stop",)]
