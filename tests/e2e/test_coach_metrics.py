"""The coach's Prometheus metrics (components/metrics.py) on a real Rasa server: messages counted
and timed by channel and outcome, refused requests counted, and nothing about anyone in them."""

from __future__ import annotations

import pytest
import requests

from lab.harness.servers import metric

pytestmark = pytest.mark.e2e


def test_messages_are_counted_and_timed_and_name_no_one(servers, user):
    answered = {"channel": "rest", "outcome": "answered"}
    counted = metric(servers.url, "stretch_coach_messages_total", **answered)
    timed = metric(servers.url, "stretch_coach_message_seconds_count", channel="rest")
    user.say("start")
    user.say("ouch my knee hurts")
    assert metric(servers.url, "stretch_coach_messages_total", **answered) - counted >= 2
    assert metric(servers.url, "stretch_coach_message_seconds_count", channel="rest") - timed >= 2
    assert metric(servers.url, "stretch_coach_messages_in_progress") == 0
    r = requests.get(f"{servers.url}/webhooks/rest/metrics", timeout=10)
    assert r.headers["content-type"].startswith("text/plain")
    assert user.sender not in r.text and "knee" not in r.text and "ouch" not in r.text


def test_a_refused_request_is_counted(servers):
    before = metric(servers.url, "stretch_coach_refused_requests_total", status="400")
    r = requests.post(f"{servers.url}/webhooks/rest/webhook", data=b"[]", timeout=10)
    assert r.status_code == 400
    assert metric(servers.url, "stretch_coach_refused_requests_total", status="400") == before + 1
