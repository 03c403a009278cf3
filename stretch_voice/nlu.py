"""The NLU call, kept pluggable: anything with the signature ``parse(text) -> dict`` will do.

The default, :func:`rasa_parse`, POSTs ``{"text": ...}`` to a running Rasa server's
``/model/parse`` endpoint (``rasa run --enable-api``) with the standard library only, and returns
``{"intent": name, "confidence": float, "entities": [...], "nlu_ms": round-trip ms, "raw": ...}``.
Rasa's HTTP API wants a token (``scripts/run.sh`` starts it with one and exports it as
``STRETCH_API_TOKEN``); it is sent as the ``token`` query parameter when set.
"""

from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, Callable, Dict

DEFAULT_PARSE_URL = "http://localhost:5005/model/parse"

ParseFn = Callable[[str], Dict[str, Any]]


class NLUUnavailable(RuntimeError):
    """The NLU server could not be reached (not started, wrong port, still loading...)."""


def rasa_parse(text: str, url: str = DEFAULT_PARSE_URL, timeout: float = 10.0) -> Dict[str, Any]:
    """Parse ``text`` with the Rasa server at ``url``; raises :class:`NLUUnavailable` if it is
    not up, with a message that says how to start it."""
    body = json.dumps({"text": text}).encode()
    token = os.environ.get("STRETCH_API_TOKEN")
    if token:
        url = f"{url}{'&' if '?' in url else '?'}{urllib.parse.urlencode({'token': token})}"
    req = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"},
                                 method="POST")
    t0 = time.perf_counter()
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            raw = json.loads(resp.read().decode())
    except (urllib.error.URLError, ConnectionError, TimeoutError) as exc:
        raise NLUUnavailable(
            f"cannot reach the Rasa NLU server at {url} ({exc}). Start it with "
            f"'rasa run --enable-api' (or pass --no-nlu / another --nlu-url); a 401 means "
            f"STRETCH_API_TOKEN is not the server's token.") from exc
    ms = (time.perf_counter() - t0) * 1000
    intent = raw.get("intent") or {}
    return {"intent": intent.get("name"), "confidence": intent.get("confidence"),
            "entities": [{k: e.get(k) for k in ("entity", "value")}
                         for e in raw.get("entities", [])],
            "nlu_ms": round(ms, 1), "raw": raw}


def make_rasa_parse(url: str = DEFAULT_PARSE_URL, timeout: float = 10.0) -> ParseFn:
    """A :data:`ParseFn` bound to ``url``."""
    return lambda text: rasa_parse(text, url, timeout)
