"""The page's history requests, fetched from the history API the Rasa server serves
(docs/history.md) with the page's device secret, and answered over the page's WebSocket.

The secret is the one the page gave in its hello (kept in its browser's localStorage). A page
without a well-formed secret is refused here without asking; otherwise the API decides (403 for
a wrong one). Neither the secret nor any of the history is logged: only the request's kind and
its status.
"""

from __future__ import annotations

import logging
import re
from typing import Any, Optional

import aiohttp

log = logging.getLogger(__name__)

SECRET = re.compile(r"^[A-Za-z0-9_-]{22,128}$")
"""A device secret as docs/history.md defines it (at least 128 bits when random)."""
PERSON = re.compile(r"^[0-9a-f]{32}$")
FORMATS = {"json": "export.json", "csv": "export.csv"}
HEADER = "X-Stretch-Device"
TIMEOUT_S = 10.0

REFUSED = {"type": "error", "code": "history_refused",
           "message": "This device may not see that history."}
UNAVAILABLE = {"type": "error", "code": "history_unavailable",
               "message": "The history can't be read right now."}


def secret_of(value: Any) -> Optional[str]:
    """The device secret a hello gave, or None when it is missing or malformed."""
    return value if isinstance(value, str) and SECRET.match(value) else None


class HistoryClient:
    """Reads the history API of the coach's Rasa server at ``rasa_url``."""

    def __init__(self, rasa_url: str, timeout: float = TIMEOUT_S) -> None:
        self.base = rasa_url.rstrip("/") + "/webhooks/history/people"
        self.timeout = aiohttp.ClientTimeout(total=timeout)

    async def _get(self, secret: Optional[str], path: str, kind: str) -> tuple[int, Any]:
        """(status, body) of one GET: JSON for .json and lists, text for CSV; status 0 when the
        server did not answer."""
        if secret is None:
            return 403, None
        try:
            async with aiohttp.ClientSession(timeout=self.timeout) as http:
                async with http.get(self.base + path, headers={HEADER: secret}) as r:
                    body = (await r.text() if path.endswith(".csv") else
                            await r.json(content_type=None)) if r.status == 200 else None
                    log.info("history %s: %d", kind, r.status)
                    return r.status, body
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            log.warning("history %s: no answer (%s)", kind, type(exc).__name__)
            return 0, None

    async def answer(self, secret: Optional[str], msg: dict) -> dict:
        """The answer to a page's ``history`` or ``export`` message (docs/protocol.md)."""
        person = msg.get("person")
        if person is not None and not (isinstance(person, str) and PERSON.match(person)):
            return REFUSED
        if msg["type"] == "export":
            fmt = msg.get("format")
            if person is None or fmt not in FORMATS:
                return {"type": "error", "code": "bad_message",
                        "message": "An export names a person and a format: json or csv."}
            status, body = await self._get(secret, f"/{person}/{FORMATS[fmt]}", "export")
            reply = {"type": "export", "person": person, "format": fmt,
                     "name": f"stretch-history.{fmt}", "data": body}
        elif person is None:
            status, body = await self._get(secret, "", "people")
            reply = {"type": "history", "person": None, "people": (body or {}).get("people")}
        else:
            status, body = await self._get(secret, f"/{person}", "person")
            reply = {"type": "history", "person": person, "history": body}
        if status in (401, 403):
            return REFUSED
        return reply if status == 200 else UNAVAILABLE
