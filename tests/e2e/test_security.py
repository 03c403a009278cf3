"""Rasa's HTTP API answers only with the token, and neither server listens beyond this machine
(the test servers are started as scripts/run.sh starts them: lab/harness/servers.py)."""

from __future__ import annotations

import socket

import pytest
import requests

pytestmark = pytest.mark.e2e


def api(servers, method: str, path: str, **kw) -> int:
    return requests.request(method, f"{servers.url}{path}", timeout=30, **kw).status_code


@pytest.mark.parametrize("method,path,body", [
    ("GET", "/status", None),
    ("GET", "/conversations/{sender}/tracker", None),          # pain reports are health data
    ("POST", "/conversations/{sender}/tracker/events", {"event": "slot", "name": "coach", "value": None}),
    ("POST", "/model/parse", {"text": "ouch"}),
    ("PUT", "/model", {"model_file": "/tmp/other.tar.gz"}),
])
def test_the_http_api_refuses_requests_without_the_right_token(servers, user, method, path, body):
    user.say("ouch that hurts")
    path = path.format(sender=user.sender)
    assert api(servers, method, path, json=body) == 401
    assert api(servers, method, path, json=body, params={"token": "not-the-token"}) == 401
    assert user.state()["phase"] == "paused"      # nothing was changed through the refused calls


def test_with_the_token_the_api_answers(servers, user):
    user.say("start")
    assert api(servers, "GET", f"/conversations/{user.sender}/tracker", params=servers.auth) == 200
    assert api(servers, "POST", "/model/parse", json={"text": "next"}, params=servers.auth) == 200


def _outside_address() -> str:
    """An IPv4 address of this machine that is not loopback."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.connect(("192.0.2.1", 9))   # TEST-NET-1: no packet is sent for a UDP connect
        return s.getsockname()[0]


def _reachable(host: str, port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(2)
        return s.connect_ex((host, port)) == 0


def test_the_servers_listen_on_loopback_only(servers):
    outside = _outside_address()
    assert not outside.startswith("127."), "no non-loopback address to test from"
    for port in (servers.rasa_port, servers.actions_port):
        assert _reachable("127.0.0.1", port)
        assert not _reachable(outside, port), f"port {port} answers on {outside}"
