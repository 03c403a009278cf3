"""The coach's Prometheus metrics (components/metrics.py) on a real Rasa server: messages counted
and timed by channel and outcome, refused requests counted, and nothing about anyone in them."""

from __future__ import annotations

import re

import pytest
import requests

pytestmark = pytest.mark.e2e


def scrape(url: str) -> str:
    r = requests.get(f"{url}/webhooks/rest/metrics", timeout=10)
    r.raise_for_status()
    assert r.headers["content-type"].startswith("text/plain")
    return r.text


def value(text: str, name: str, **labels: str) -> float:
    """A sample's value, 0 if it is not there yet."""
    want = ",".join(f'{k}="{v}"' for k, v in labels.items())
    pattern = rf"^{re.escape(name)}(\{{{re.escape(want)}\}})? (\S+)$" if want else \
        rf"^{re.escape(name)} (\S+)$"
    m = re.search(pattern, text, re.M)
    return float(m.group(m.lastindex)) if m else 0.0


def test_messages_are_counted_and_timed_and_name_no_one(servers, user):
    before = scrape(servers.url)
    user.say("start")
    user.say("ouch my knee hurts")
    after = scrape(servers.url)
    answered = ("stretch_coach_messages_total", {"channel": "rest", "outcome": "answered"})
    assert value(after, answered[0], **answered[1]) - value(before, answered[0], **answered[1]) >= 2
    timed = value(after, "stretch_coach_message_seconds_count", channel="rest")
    assert timed - value(before, "stretch_coach_message_seconds_count", channel="rest") >= 2
    assert value(after, "stretch_coach_messages_in_progress") == 0
    assert user.sender not in after and "knee" not in after and "ouch" not in after


def test_a_refused_request_is_counted(servers):
    before = value(scrape(servers.url), "stretch_coach_refused_requests_total", status="400")
    r = requests.post(f"{servers.url}/webhooks/rest/webhook", data=b"[]", timeout=10)
    assert r.status_code == 400
    after = value(scrape(servers.url), "stretch_coach_refused_requests_total", status="400")
    assert after == before + 1
