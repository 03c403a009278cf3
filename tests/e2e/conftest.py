"""Start the real action server and the real Rasa server (with the trained model) for e2e tests.

They run on their own ports with a temporary SQLite tracker store, and hold times scaled down
(STRETCH_TIME_SCALE) so timed cues arrive within seconds.
"""

from __future__ import annotations

import re
import time
from typing import Optional

import pytest
import requests

from lab.harness.servers import MODEL, Servers, free_ports

TIME_SCALE = "0.05"   # a 15 s hold lasts 0.75 s


@pytest.fixture(scope="session")
def servers(tmp_path_factory):
    if not MODEL.exists():
        pytest.fail("no trained model: run scripts/setup.sh (make install) first")
    # free ports: with tests in parallel, each worker starts its own servers
    s = Servers(tmp_path_factory.mktemp("servers"), *free_ports(2), TIME_SCALE)
    try:
        s.start()
        yield s
    finally:
        s.stop()


class RestUser:
    """One person talking to the coach over the REST channel."""

    def __init__(self, url: str, sender: str, auth: dict):
        self.url, self.sender, self.auth = url, sender, auth

    def say(self, text: str, metadata: Optional[dict] = None) -> str:
        body = {"sender": self.sender, "message": text}
        if metadata is not None:
            body["metadata"] = metadata
        r = requests.post(f"{self.url}/webhooks/rest/webhook", json=body, timeout=30)
        r.raise_for_status()
        return " ".join(m.get("text", "") for m in r.json())

    def tracker(self) -> dict:
        r = requests.get(f"{self.url}/conversations/{self.sender}/tracker", params=self.auth,
                         timeout=30)
        r.raise_for_status()
        return r.json()

    def state(self) -> dict:
        r = requests.get(f"{self.url}/conversations/{self.sender}/tracker", params=self.auth,
                         timeout=30)
        r.raise_for_status()
        return r.json()["slots"]["coach"] or {}

    def intent(self) -> str:
        r = requests.get(f"{self.url}/conversations/{self.sender}/tracker", params=self.auth,
                         timeout=30)
        return r.json()["latest_message"]["intent"]["name"]


@pytest.fixture
def user(servers, request):
    name = re.sub(r"[^A-Za-z0-9_-]+", "-", request.node.name)[:60]
    return RestUser(servers.url, f"rest-{name}-{time.time_ns()}", servers.auth)
