"""The cluster (scripts/cluster.sh, `make cluster`; lab/harness/cluster.py) for real: two Rasa
servers and two action servers on PostgreSQL and Redis behind HAProxy. A conversation over REST
through the balancer is spread over both servers; the server that started a hold is killed; the
conversation goes on through the other with nothing lost, and the hold whose reminder died with its
server ends with the coach's "that hold is over". Skipped only when PostgreSQL or Redis is
unreachable. The page gateways in the cluster: tests/web/test_cluster_pages.py."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time

import pytest

from lab.harness.cluster import PG, Cluster, unreachable
from lab.harness.servers import MODEL, ROOT, free_ports

TIME_SCALE = 0.2   # a 30 s hold lasts 6 s; its "five more seconds" cue is due 5 s in
REASON = unreachable()
pytestmark = [pytest.mark.e2e, pytest.mark.skipif(bool(REASON), reason=REASON)]


@pytest.fixture
def cluster(tmp_path):
    if not MODEL.exists():
        pytest.fail("no trained model: run scripts/setup.sh (make install) first")
    c = Cluster(tmp_path, TIME_SCALE)
    try:
        c.wait_ready()
        yield c
    finally:
        c.stop()


@pytest.fixture
def sender(cluster):
    """A fresh conversation id; its rows are deleted from PostgreSQL afterwards."""
    import secrets

    sid = f"cluster-test-{time.time_ns()}-{secrets.token_hex(4)}"
    yield sid
    cluster.delete_conversation(sid)


def user_texts(tracker: dict) -> list[str]:
    return [e["text"] for e in tracker["events"] if e["event"] == "user"]


def test_killing_the_server_that_started_a_hold_loses_nothing(cluster, sender):
    said, served = ["hi there", "yes let's start", "let's do the seated one", "next"], set()
    for text in said:
        reply, server = cluster.say(sender, text)
        served.add(server)
    assert served == {"rasa-1", "rasa-2"}, served     # REST is spread over both servers
    reply, holder = cluster.say(sender, "next step")
    said.append("next step")
    started = time.time()
    assert "seconds" in reply, reply                   # the hold started, its reminder on `holder`
    before = cluster.tracker(sender)

    os.kill(cluster.pid(holder), signal.SIGKILL)       # the server dies with the hold's reminder
    other = {"rasa-1": "rasa-2", "rasa-2": "rasa-1"}[holder]

    after = cluster.tracker(sender)                    # from PostgreSQL, through the other server
    assert user_texts(after) == said
    assert len(after["events"]) == len(before["events"])
    coach = after["slots"]["coach"]
    assert coach == before["slots"]["coach"]
    assert coach["step"] == 2 and coach["phase"] == "active" and coach["timer"], coach

    # The "five more seconds" cue was due 5 s in; 2 s after that it counts as lost.
    time.sleep(max(0.0, started + 5 + 2.5 - time.time()))
    reply, server = cluster.say(sender, "how long left")
    assert server == other
    assert "that hold is over" in reply.lower(), reply
    reply, server = cluster.say(sender, "next")
    assert server == other
    assert "left" in reply.lower(), reply              # on to the left leg: the routine goes on
    assert user_texts(cluster.tracker(sender)) == said + ["how long left", "next"]


def test_socketio_sticks_to_one_server(cluster):
    """The socket.io handshake gets a cookie naming its server; every request with it goes there."""
    import requests

    http = requests.Session()
    r = http.get(f"{cluster.url}/socket.io/", params={"EIO": "4", "transport": "polling"}, timeout=10)
    r.raise_for_status()
    assert "COACH_SERVER" in http.cookies
    first = r.headers["X-Coach-Server"]
    for _ in range(4):
        r = http.get(f"{cluster.url}/socket.io/",
                     params={"EIO": "4", "transport": "polling", "t": str(time.time_ns())}, timeout=10)
        assert r.headers["X-Coach-Server"] == first


def test_make_cluster_chats_over_socketio_through_the_balancer(tmp_path):
    """`make cluster` as the README says: set up, start everything, the text chat (socket.io) through
    HAProxy; everything is stopped on the way out."""
    import psycopg2

    balancer, r1, r2, a1, a2, web, g1, g2 = free_ports(8)
    session = tmp_path / "chat_session"
    env = {**os.environ, "CLUSTER_PORT": str(balancer), "CLUSTER_RASA_PORTS": f"{r1} {r2}",
           "CLUSTER_ACTIONS_PORTS": f"{a1} {a2}", "CLUSTER_WEB_PORT": str(web),
           "CLUSTER_GATEWAY_PORTS": f"{g1} {g2}", "CLUSTER_DIR": str(tmp_path),
           "STRETCH_SESSION_FILE": str(session)}
    try:
        proc = subprocess.run(["make", "cluster"], cwd=ROOT, input="stop\nstart\n/quit\n", text=True,
                              capture_output=True, timeout=600, env=env)
    finally:
        if session.exists():
            with psycopg2.connect(**PG) as conn, conn.cursor() as cur:
                cur.execute("DELETE FROM events WHERE sender_id = %s", (session.read_text().strip(),))
            conn.close()
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-3000:]
    assert "[cluster] ready" in out and "Coach: Stopped." in out, out[-3000:]
    assert "warm up" in out.lower(), out[-3000:]
    assert f"the page at http://127.0.0.1:{web}/" in out, out[-3000:]
    for port in (balancer, r1, r2, a1, a2, web, g1, g2):   # nothing left running
        with socket.socket() as s:
            assert s.connect_ex(("127.0.0.1", port)) != 0, port
