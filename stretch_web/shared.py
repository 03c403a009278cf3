"""A page's session as another gateway needs it to take the page over (``make cluster`` runs two
gateways): its last captions, the coach's last view, and how far its microphone stream has been
dealt with. When a gateway dies its pages reconnect through the balancer to another one, which
reads this record, answers ``ready`` as for a reload (``resumed``, with the captions and the
view), and asks the page for its audio from where the dead gateway had finished: an utterance cut
by the death is heard whole, and none already answered is sent twice.

Records live in Redis (the cluster's own), sealed with AES-GCM under a key made from the session
id, which only the page holds: the captions are what the person said, so they are never readable
without that secret. The Redis key is another hash of the id. A record expires ``ttl`` seconds
after its last change. Redis trouble is logged and costs only the take-over; the page's session on
its own gateway goes on.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from typing import Any, Optional

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

log = logging.getLogger(__name__)

TTL_S = 900
PREFIX = "stretch:page:"


def _derive(purpose: bytes, sid: str) -> bytes:
    return hashlib.sha256(b"stretch-web " + purpose + b" " + sid.encode()).digest()


def seal(sid: str, record: dict[str, Any]) -> bytes:
    """``record`` as JSON, encrypted and authenticated under the session id's key."""
    nonce = os.urandom(12)
    return nonce + AESGCM(_derive(b"seal", sid)).encrypt(nonce, json.dumps(record).encode(), None)


def unseal(sid: str, blob: bytes) -> Optional[dict[str, Any]]:
    """The record sealed by :func:`seal`, or None if it is not this session's (or damaged)."""
    try:
        plain = AESGCM(_derive(b"seal", sid)).decrypt(blob[:12], blob[12:], None)
    except (InvalidTag, ValueError):
        return None
    return json.loads(plain)


class SharedSessions:
    """The cluster's page sessions in Redis (``url``: ``redis://[:password@]host:port/db``)."""

    def __init__(self, url: str, ttl: int = TTL_S) -> None:
        import redis

        self.redis = redis.Redis.from_url(url, socket_timeout=1.0, socket_connect_timeout=1.0)
        self.ttl = ttl
        self._failing = False
        self._retry_at = 0.0  # while Redis fails, it is tried again only this often (5 s)

    @staticmethod
    def name(sid: str) -> str:
        return PREFIX + _derive(b"name", sid).hex()

    def save(self, sid: str, record: dict[str, Any]) -> None:
        if self._failing and time.monotonic() < self._retry_at:
            return
        try:
            self.redis.set(self.name(sid), seal(sid, record), ex=self.ttl)
            self._failing = False
        except Exception as exc:  # noqa: BLE001 - the session goes on without a take-over
            if not self._failing:
                log.warning("cannot keep page sessions in Redis (%s): another gateway could "
                            "not take these pages over", exc)
            self._failing, self._retry_at = True, time.monotonic() + 5.0

    def load(self, sid: str) -> Optional[dict[str, Any]]:
        try:
            blob = self.redis.get(self.name(sid))
        except Exception as exc:  # noqa: BLE001 - taken as a session not known here
            log.warning("cannot read a page session from Redis: %s", exc)
            return None
        return None if blob is None else unseal(sid, blob)


def wall_age(saved_at: float) -> float:
    """Seconds since ``saved_at`` (a ``time.time()`` of another process on this cluster)."""
    return max(0.0, time.time() - saved_at)
