"""Redis (the lock store of `make cluster`) down: the real Rasa server logs a clear error and the
person hears "I'm having trouble. Partner, release slowly ..." instead of nothing, over REST and
socket.io. A Rasa server whose lock store is a port where nothing listens: connection refused."""

from __future__ import annotations

import socket

import pytest
import yaml

from components.channels import TROUBLE
from devtools.servers import ROOT, Servers
from test_socketio_holds import SocketUser

pytestmark = pytest.mark.e2e


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def no_redis(tmp_path_factory):
    s = Servers(tmp_path_factory.mktemp("no-redis"), free_port(), free_port())
    endpoints = s.workdir / "endpoints.yml"
    endpoints.write_text(endpoints.read_text()
                         + f"lock_store:\n  type: redis\n  url: 127.0.0.1\n  port: {free_port()}\n")
    try:
        yield s.start()
    finally:
        s.stop()


def test_trouble_is_the_domains_wording():
    domain = yaml.safe_load((ROOT / "domain.yml").read_text())
    assert TROUBLE == domain["responses"]["utter_fault_trouble"][0]["text"]


def test_rest_hears_trouble_and_the_log_says_why(no_redis):
    import requests

    for text in ("ouch that hurts", "next"):
        r = requests.post(f"{no_redis.url}/webhooks/rest/webhook",
                          json={"sender": "no-redis-rest", "message": text}, timeout=30)
        assert r.status_code == 200
        assert [m.get("text") for m in r.json()] == [TROUBLE]
    log = (no_redis.workdir / "rasa.log").read_text()
    assert "The lock store is unreachable: conversation no-redis-rest" in log


def test_socketio_hears_trouble(no_redis):
    sock = SocketUser(no_redis.url)
    try:
        assert [text for _, text in sock.say("stop", settle=1.0)] == [TROUBLE]
    finally:
        sock.close()
