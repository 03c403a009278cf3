"""Redis (the lock store of `make cluster`) or PostgreSQL (its tracker store) down: the real Rasa
server logs a clear error and the person hears "I'm having trouble. Partner, release slowly ..."
instead of nothing (Redis) or an answer from an empty conversation (PostgreSQL), and the coach
answers as before once it is back. The server reaches the real Redis and PostgreSQL through gates
(TCP forwarders) the test shuts (connections refused, open ones cut) and opens."""

from __future__ import annotations

import os
import socket
import threading
import time

import pytest
import requests
import yaml

from components.channels import TROUBLE
from lab.harness.servers import ROOT, Servers, free_port, free_ports
from test_socketio_holds import SocketUser

REDIS = (os.environ.get("REDIS_HOST", "127.0.0.1"), int(os.environ.get("REDIS_PORT", "6379")))
PG = (os.environ.get("PGHOST", "127.0.0.1"), int(os.environ.get("PGPORT", "5432")))
PG_DB, PG_USER = os.environ.get("PGDATABASE", "test"), os.environ.get("PGUSER", "postgres")


def _down() -> str:
    for name, (host, port) in (("Redis", REDIS), ("PostgreSQL", PG)):
        try:
            socket.create_connection((host, port), timeout=3).close()
        except OSError as e:
            return f"{name} at {host}:{port} unreachable: {e}"
    return ""


REASON = _down()
pytestmark = [pytest.mark.e2e, pytest.mark.skipif(bool(REASON), reason=REASON)]


class Gate:
    """127.0.0.1:port forwarded to `target` while open; shut, it refuses and cuts connections."""

    def __init__(self, target: tuple) -> None:
        self.target, self.port, self.server, self.conns = target, free_port(), None, []

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
            upstream = socket.create_connection(self.target)
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
    g = Gate(REDIS)
    g.open()
    yield g
    g.shut()


@pytest.fixture(scope="module")
def pg_gate():
    g = Gate(PG)
    g.open()
    yield g
    g.shut()


@pytest.fixture(scope="module")
def server(tmp_path_factory, gate, pg_gate):
    """A Rasa server as `make cluster` configures one, its Redis and PostgreSQL behind gates."""
    s = Servers(tmp_path_factory.mktemp("store-gates"), *free_ports(2))
    (s.workdir / "endpoints.yml").write_text(
        f'action_endpoint:\n  url: "http://127.0.0.1:{s.actions_port}/webhook"\n'
        "  enable_selective_domain: true\n"
        "tracker_store:\n  type: components.stores.CheckedSQLTrackerStore\n"
        f"  dialect: postgresql\n  url: 127.0.0.1\n  port: {pg_gate.port}\n"
        f"  db: {PG_DB}\n  username: {PG_USER}\n"
        f"lock_store:\n  type: redis\n  url: 127.0.0.1\n  port: {gate.port}\n"
        f"  key_prefix: stretchtest{time.time_ns()}\n")
    try:
        yield s.start()
    finally:
        s.stop()


def delete_conversation(sid: str) -> None:
    import psycopg2

    with psycopg2.connect(host=PG[0], port=PG[1], dbname=PG_DB, user=PG_USER,
                          password=os.environ.get("PGPASSWORD") or None) as conn, conn.cursor() as cur:
        cur.execute("DELETE FROM events WHERE sender_id = %s", (sid,))
    conn.close()


@pytest.fixture
def sender():
    """A fresh conversation id; its rows are deleted from PostgreSQL afterwards."""
    sid = f"store-down-{time.time_ns()}"
    yield sid
    delete_conversation(sid)


def say(server: Servers, sender: str, text: str) -> list:
    r = requests.post(f"{server.url}/webhooks/rest/webhook",
                      json={"sender": sender, "message": text}, timeout=30)
    assert r.status_code == 200
    return [m.get("text") for m in r.json()]


def test_trouble_is_the_domains_wording():
    domain = yaml.safe_load((ROOT / "domain.yml").read_text())
    assert TROUBLE == domain["responses"]["utter_fault_trouble"][0]["text"]


def test_rest_hears_trouble_while_redis_is_down_and_the_coach_when_it_is_back(server, gate, sender):
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
        if sock.sid:
            delete_conversation(sock.sid)


def test_postgres_down_trouble_then_the_coach_picks_up_where_it_was(server, pg_gate, sender):
    say(server, sender, "start")
    assert "seated" in " ".join(say(server, sender, "seated please")).lower()
    pg_gate.shut()
    try:
        for text in ("ouch that hurts", "next"):
            assert say(server, sender, text) == [TROUBLE]
        log = (server.workdir / "rasa.log").read_text()
        assert f"could not read conversation {sender}" in log
        assert f"Conversation {sender} was told to release slowly" in log
    finally:
        pg_gate.open()
    reply = " ".join(say(server, sender, "next"))
    assert TROUBLE not in reply
    state = requests.get(f"{server.url}/conversations/{sender}/tracker", params=server.auth,
                         timeout=30).json()["slots"]["coach"]
    assert state["variant"] == "seated_single_leg" and state["step"] == 1, state  # where it was, +1
