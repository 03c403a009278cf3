"""The action server hangs mid-session: it accepts the connection and never answers. Rasa would wait
300 s for it (DEFAULT_REQUEST_TIMEOUT); components/action_calls.py bounds the wait to a few seconds,
after which the turn is answered as with the action server down (test_action_server_down.py): the
safe line, never silence. When a real action server answers again the session picks up."""

from __future__ import annotations

import socket
import threading
import time

import pytest
import requests

from lab.harness.servers import Servers, free_ports
from tests.e2e.conftest import TIME_SCALE
from tests.e2e.test_action_server_down import coach, into_a_hold, say, texts

pytestmark = pytest.mark.e2e


class HungServer:
    """Listens on the action server's port, accepts every connection, reads what comes and never
    answers (a wedged action server: the TCP connection is fine, the reply never comes)."""

    def __init__(self, port: int) -> None:
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", port))
        self.sock.listen(64)
        self.requests = 0
        self.conns: list[socket.socket] = []
        self.stopped = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self.stopped:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(conn)
            threading.Thread(target=self._swallow, args=(conn,), daemon=True).start()

    def _swallow(self, conn: socket.socket) -> None:
        try:
            if conn.recv(65536).startswith(b"POST /webhook"):
                self.requests += 1
            while conn.recv(65536):
                pass
        except OSError:
            pass

    def close(self) -> None:
        self.stopped = True
        self.sock.close()
        for c in self.conns:
            c.close()


@pytest.fixture(scope="module")
def own_servers(tmp_path_factory):
    s = Servers(tmp_path_factory.mktemp("hung-servers"), *free_ports(2), TIME_SCALE)
    try:
        yield s.start()
    finally:
        s.stop()


def test_a_hung_action_server_is_answered_like_a_down_one(own_servers):
    hurt, ender = f"hung-hurt-{time.time_ns()}", f"hung-ender-{time.time_ns()}"
    for sender in (hurt, ender):
        into_a_hold(own_servers, sender)

    own_servers.kill_actions()
    hung = HungServer(own_servers.actions_port)
    try:
        # the requests' own timeout (60 s) is far below Rasa's 300 s: a reply at all means the
        # wait was cut short
        replies = say(own_servers, hurt, "ouch that hurts")
        assert replies[0] in texts("utter_discomfort_stop") and len(replies) == 1
        assert hung.requests >= 1   # Rasa did reach the hung server: it was hung, not down
        assert say(own_servers, ender, "stop") in ([t] for t in texts("utter_fault_end"))
        assert say(own_servers, hurt, "next") in ([t] for t in texts("utter_fault_trouble"))
        assert hung.requests >= 3
        assert coach(own_servers, hurt)["phase"] == "active"   # the coach has not heard yet
        # other requests to the Rasa server were never blocked behind the hung calls
        r = requests.get(f"{own_servers.url}/status", params=own_servers.auth, timeout=10)
        assert r.status_code == 200
    finally:
        hung.close()

    own_servers.start_actions()
    # back: the "ouch" said while it hung is applied first (actions/recovery.py), so the coach is
    # paused and asks how bad it is; the "stop" ended that session, so "start" begins a new one.
    # (A hold cue due at that moment may be the first to reach the action server and apply them:
    # the state is what is checked, not which turn said "I'm back".)
    say(own_servers, hurt, "resume")
    state = coach(own_servers, hurt)
    assert state["phase"] == "paused" and state["question"] == "pain"
    say(own_servers, ender, "start")
    assert coach(own_servers, ender)["phase"] == "choosing"   # not "we're already going"
