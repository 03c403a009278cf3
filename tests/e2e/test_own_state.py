"""Tests never touch the person's own state: the servers keep their conversations in the test's
temp dir, and the checkout's `stretch_coach.db` and `.chat_session` are as they were before."""

from __future__ import annotations

import pytest

from tests.conftest import ROOT, fingerprint

pytestmark = pytest.mark.e2e


def test_a_conversation_with_the_servers_leaves_the_checkout_state_alone(servers, user, own_state):
    assert "warm up" in user.say("start").lower()
    tracker_db = servers.workdir / "tracker.db"
    assert tracker_db.stat().st_size > 0          # the conversation was stored, in the temp dir
    assert ROOT not in tracker_db.resolve().parents
    assert fingerprint() == own_state.before
