"""Malformed and hostile requests to the REST webhook, over real HTTP (components/channels.py):
never a 5xx, each a clear 4xx or a short spoken answer, and other conversations carry on."""

from __future__ import annotations

import json
import random
import time

import pytest
import requests

pytestmark = pytest.mark.e2e


def post(servers, body: bytes, content_type: str = "application/json") -> requests.Response:
    return requests.post(f"{servers.url}/webhooks/rest/webhook", data=body, timeout=60,
                         headers={"Content-Type": content_type})


def tracker(servers, sender: str) -> dict:
    r = requests.get(f"{servers.url}/conversations/{sender}/tracker", params=servers.auth, timeout=30)
    r.raise_for_status()
    return r.json()


MALFORMED = [
    b"", b"[]", b"null", b"{}", b"42", b'"hi"', b"true", b"{", b"\xff\xfe\x00",
    b'{"message": "hi"}',                                   # no sender
    b'{"sender": null, "message": "hi"}',
    b'{"sender": "", "message": "hi"}',
    b'{"sender": 7, "message": "hi"}',
    b'{"sender": ["a"], "message": "hi"}',
    b'{"sender": {"id": 1}, "message": "hi"}',
    b'{"sender": "../../etc", "message": "hi"}',
    json.dumps({"sender": "x" * 500, "message": "hi"}).encode(),
    b'{"sender": "fz", "message": null}',
    b'{"sender": "fz", "message": 3}',
    b'{"sender": "fz", "message": ["next"]}',
    b'{"sender": "fz", "message": {"text": "next"}}',
    b'{"sender": "fz"}',
    b'{"sender": "fz", "message": "hi", "metadata": "x"}',
    b'{"sender": "fz", "message": "hi", "metadata": [1]}',
    json.dumps({"sender": "fz", "message": "a" * 1_000_000}).encode(),   # 1 MB
    b"x" * 1_000_000,
]


def random_bodies(n: int, seed: int = 10) -> list:
    rng = random.Random(seed)
    bodies = [bytes(rng.randrange(256) for _ in range(rng.randrange(1, 3000))) for _ in range(n)]
    values = [None, 0, -1, 1.5, True, "", "next", [], {}, ["x"], {"a": 1}, "a" * 2000, "/stop"]
    for _ in range(n):
        body = {k: rng.choice(values) for k in rng.sample(["sender", "message", "metadata"], rng.randrange(4))}
        bodies.append(json.dumps(body).encode())
    return bodies


def test_malformed_requests_get_a_clear_4xx_and_no_5xx(servers, user):
    user.say("start")
    before = user.state()
    statuses = []
    for body in MALFORMED + random_bodies(60):
        r = post(servers, body)
        statuses.append(r.status_code)
        assert r.status_code < 500, (body[:80], r.status_code, r.text[:200])
        if r.status_code >= 400:
            assert r.json()["error"], body[:80]         # a reason, not an empty error
        else:
            assert isinstance(r.json(), list)
    assert statuses[:len(MALFORMED)].count(400) + statuses[:len(MALFORMED)].count(413) == len(MALFORMED)
    assert 413 in statuses                               # the 1 MB bodies were refused as too large
    # a message without a sender joined no shared conversation
    assert not [e for e in tracker(servers, "default")["events"] if e["event"] == "user"]
    # the person talking meanwhile is where they were, and carries on
    assert user.state() == before
    assert "seated single leg" in user.say("let's do the seated one").lower()


@pytest.mark.parametrize("text", [
    "/EXTERNAL_hold_cue", "//EXTERNAL_hold_cue", " /EXTERNAL_hold_cue{}", "/restart",
    '/discomfort{"pain_level": "9"}', "/session_start",
])
def test_an_intent_typed_by_a_user_goes_through_the_nlu(servers, user, text):
    user.say("start")
    user.say("let's do the seated one")
    before = user.state()
    r = post(servers, json.dumps({"sender": user.sender, "message": text}).encode())
    assert r.status_code == 200
    spoken = [m.get("text", "") for m in r.json()]
    assert spoken, "a short spoken answer, not silence"
    latest = tracker(servers, user.sender)["latest_message"]
    assert latest["text"] == text.lstrip().lstrip("/")   # the words, not an intent given directly
    assert latest["intent"]["name"] not in ("EXTERNAL_hold_cue", "restart", "session_start")
    assert not latest["entities"] or all(e.get("extractor") for e in latest["entities"])
    after = user.state()
    assert after["variant"] == before["variant"] == "seated_single_leg"   # not wiped by /restart


def test_a_missing_sender_is_refused_and_does_not_speak_for_anyone(servers):
    r = post(servers, json.dumps({"message": f"ouch {time.time_ns()}"}).encode())
    assert r.status_code == 400 and "sender" in r.json()["error"]


def test_an_intent_typed_over_socketio_goes_through_the_nlu(servers):
    from test_socketio_holds import SocketUser

    sock = SocketUser(servers.url)
    try:
        reply = sock.say("/EXTERNAL_hold_cue", settle=0.3)
        assert reply, "a short spoken answer, not silence"
    finally:
        sock.close()
    latest = tracker(servers, sock.sid)["latest_message"]
    assert latest["text"] == "EXTERNAL_hold_cue"
    assert latest["intent"]["name"] != "EXTERNAL_hold_cue"
