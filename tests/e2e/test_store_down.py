"""Redis (the lock store of `make cluster`) down: the real Rasa server logs a clear error and the
person hears "I'm having trouble. Partner, release slowly ..." instead of nothing, over REST and
socket.io, and the coach answers as before once Redis is back. The server reaches the real Redis
through a gate (a TCP forwarder) the test shuts (connections refused, open ones cut) and opens."""

from __future__ import annotations

import os
import socket
import threading
import time

import pytest
import requests
import yaml

from components.channels import TROUBLE
from devtools.servers import ROOT, Servers
from test_socketio_holds import SocketUser

REDIS = (os.environ.get("REDIS_HOST", "127.0.0.1"), int(os.environ.get("REDIS_PORT", "6379")))


def _redis_down() -> str:
    try:
        socket.create_connection(REDIS, timeout=3).close()
        return ""
    except OSError as e:
        return f"Redis at {REDIS[0]}:{REDIS[1]} unreachable: {e}"


REASON = _redis_down()
pytestmark = [pytest.mark.e2e, pytest.mark.skipif(bool(REASON), reason=REASON)]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Gate:
    """127.0.0.1:port forwarded to Redis while open; shut, it refuses and cuts connections."""

    def __init__(self) -> None:
        self.port, self.server, self.conns = free_port(), None, []

    def open(self) -> None:
        srv = socket.socket()
        srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        srv.bind(("127.0.0.1", self.port))
        srv.listen(16)
        self.server = srv
        threading.Thread(target=self._accept, args=(srv,), daemon=True).start()

    def _accept(self, srv: socket.socket) -> None:
        while True:
            try:
                client, _ = srv.accept()
            except OSError:
                return
            upstream = socket.create_connection(REDIS)
            self.conns += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(a: socket.socket, b: socket.socket) -> None:
        try:
            while data := a.recv(65536):
                b.sendall(data)
        except OSError:
            pass
        for s in (a, b):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def shut(self) -> None:
        if self.server is not None:
            self.server.shutdown(socket.SHUT_RDWR)
            self.server.close()
            self.server = None
        for s in self.conns:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()
        self.conns.clear()


@pytest.fixture(scope="module")
def gate():
    g = Gate()
    g.open()
    yield g
    g.shut()


@pytest.fixture(scope="module")
def server(tmp_path_factory, gate):
    s = Servers(tmp_path_factory.mktemp("redis-gate"), free_port(), free_port())
    endpoints = s.workdir / "endpoints.yml"
    endpoints.write_text(endpoints.read_text() + "lock_store:\n  type: redis\n  url: 127.0.0.1\n"
                         f"  port: {gate.port}\n  key_prefix: stretchtest{time.time_ns()}\n")
    try:
        yield s.start()
    finally:
        s.stop()


def say(server: Servers, sender: str, text: str) -> list:
    r = requests.post(f"{server.url}/webhooks/rest/webhook",
                      json={"sender": sender, "message": text}, timeout=30)
    assert r.status_code == 200
    return [m.get("text") for m in r.json()]


def test_trouble_is_the_domains_wording():
    domain = yaml.safe_load((ROOT / "domain.yml").read_text())
    assert TROUBLE == domain["responses"]["utter_fault_trouble"][0]["text"]


def test_rest_hears_trouble_while_redis_is_down_and_the_coach_when_it_is_back(server, gate):
    sender = f"redis-down-{time.time_ns()}"
    assert TROUBLE not in say(server, sender, "start")
    gate.shut()
    try:
        for text in ("ouch that hurts", "next"):
            assert say(server, sender, text) == [TROUBLE]
        log = (server.workdir / "rasa.log").read_text()
        assert f"The lock store is unreachable: conversation {sender}" in log
    finally:
        gate.open()
    reply = say(server, sender, "seated please")
    assert reply and TROUBLE not in reply
    assert "seated" in " ".join(reply).lower() or "sit" in " ".join(reply).lower(), reply


def test_socketio_hears_trouble_while_redis_is_down(server, gate):
    sock = SocketUser(server.url)
    try:
        gate.shut()
        try:
            assert [text for _, text in sock.say("stop", settle=1.0)] == [TROUBLE]
        finally:
            gate.open()
        replies = [text for _, text in sock.say("start", settle=1.0)]
        assert replies and TROUBLE not in replies, replies
    finally:
        sock.close()
