"""A plain WebSocket client of the gateway's protocol (docs/protocol.md), for the tests that speak
it without a browser: a page that collects what the gateway sends, and a hello to open it."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any, Optional

import aiohttp

from lab.harness.servers import Gateway

HELLO = {"type": "hello", "session": None, "rate": 16000, "channels": 1, "format": "s16le"}


class Page:
    """One WebSocket client: collects what the gateway sends (JSON and audio frames)."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.messages: list[dict] = []
        self.audio: list[bytes] = []
        self.closed: Optional[int] = None
        self._reader = asyncio.get_running_loop().create_task(self._read())

    async def _read(self) -> None:
        async for msg in self.ws:
            if msg.type == aiohttp.WSMsgType.TEXT:
                self.messages.append(json.loads(msg.data))
            elif msg.type == aiohttp.WSMsgType.BINARY:
                self.audio.append(msg.data)
        self.closed = self.ws.close_code

    def of(self, kind: str, **match: Any) -> list[dict]:
        return [m for m in self.messages
                if m["type"] == kind and all(m.get(k) == v for k, v in match.items())]

    def views(self, **match: Any) -> list[dict]:
        """The coach's views received (docs/protocol.md) whose fields match."""
        return [m["view"] for m in self.of("view")
                if all(m["view"].get(k) == v for k, v in match.items())]

    async def wait(self, cond, timeout: float = 30.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if cond():
                return True
            await asyncio.sleep(0.05)
        return cond()

    async def send(self, msg: dict) -> None:
        await self.ws.send_str(json.dumps(msg))


async def page(http: aiohttp.ClientSession, gateway: Gateway, hello: Optional[dict] = HELLO
               ) -> Page:
    p = Page(await http.ws_connect(gateway.url + "ws"))
    if hello is not None:
        await p.send(hello)
        assert await p.wait(lambda: p.of("ready") or p.of("error")), "no answer to hello"
    return p


async def start_session(p: Page, why: str = "the session started") -> None:
    """Type "start" and wait until the coach asks which routine."""
    await p.send({"type": "text", "text": "start"})
    assert await p.wait(lambda: p.views(phase="choosing")), why


def run(coro) -> Any:
    return asyncio.run(coro)
