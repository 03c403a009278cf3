"""components/action_calls.py on Rasa's own RemoteAction: the cached validator accepts and refuses
exactly what Rasa's ``jsonschema.validate`` does, and the wait on the action server is bounded."""

from __future__ import annotations

import importlib

import pytest
from jsonschema import ValidationError
from rasa.core.actions import action as rasa_action
from rasa.core.actions.action import RemoteAction

from components import action_calls

GOOD = [
    {"events": [], "responses": []},
    {"events": [{"event": "slot", "name": "coach", "value": {"phase": "idle"}},
                {"event": "action_execution_rejected", "name": "x"}],
     "responses": [{"response": "utter_greet"}]},
    {},
]
BAD = [
    {"events": {"event": "slot"}},
    {"events": [{"name": "no event type"}]},
    {"events": [{"event": "slot", "name": "coach", "timestamp": "soon"}]},
    {"responses": ["not an object"]},
    [],
]


@pytest.fixture
def remote():
    return RemoteAction("action_next_step", None)


def test_the_patch_is_on_rasa_remote_action():
    assert RemoteAction._validate_action_result is action_calls.validate_action_result
    assert rasa_action.DEFAULT_REQUEST_TIMEOUT == action_calls.ACTION_TIMEOUT
    assert action_calls.RASA_VALIDATE.__module__ == "rasa.core.actions.action"


@pytest.mark.parametrize("result", GOOD)
def test_valid_responses_pass_both(remote, result):
    assert action_calls.RASA_VALIDATE(remote, result) is True
    assert action_calls.validate_action_result(remote, result) is True


@pytest.mark.parametrize("result", BAD)
def test_invalid_responses_are_refused_with_rasa_message(remote, result):
    with pytest.raises(ValidationError) as rasa_error:
        action_calls.RASA_VALIDATE(remote, result)
    with pytest.raises(ValidationError) as ours:
        action_calls.validate_action_result(remote, result)
    assert ours.value.message == rasa_error.value.message
    assert "Failed to validate Action server response" in ours.value.message


def test_timeout_and_switch_from_the_environment(monkeypatch):
    try:
        monkeypatch.setenv("STRETCH_ACTION_TIMEOUT", "2.5")
        monkeypatch.setenv("STRETCH_CACHED_VALIDATOR", "0")
        importlib.reload(action_calls)
        assert rasa_action.DEFAULT_REQUEST_TIMEOUT == 2.5
        assert RemoteAction._validate_action_result is action_calls.RASA_VALIDATE
        assert action_calls.RASA_VALIDATE.__module__ == "rasa.core.actions.action"
        monkeypatch.setenv("STRETCH_ACTION_TIMEOUT", "-1")
        assert action_calls.action_timeout() == action_calls.ACTION_TIMEOUT
    finally:
        monkeypatch.delenv("STRETCH_ACTION_TIMEOUT")
        monkeypatch.delenv("STRETCH_CACHED_VALIDATOR")
        action_calls.apply()
    assert rasa_action.DEFAULT_REQUEST_TIMEOUT == action_calls.ACTION_TIMEOUT
