"""components/settings.py: each setting read from its environment variable, its default when the
variable is unset, empty or not a positive number."""

from __future__ import annotations

import logging

import pytest

from components import settings


@pytest.mark.parametrize("raw, expected", [
    (None, settings.ACTION_TIMEOUT), ("", settings.ACTION_TIMEOUT), ("2.5", 2.5), ("30", 30.0),
])
def test_action_timeout(monkeypatch, raw, expected):
    if raw is None:
        monkeypatch.delenv("STRETCH_ACTION_TIMEOUT", raising=False)
    else:
        monkeypatch.setenv("STRETCH_ACTION_TIMEOUT", raw)
    assert settings.action_timeout() == expected


@pytest.mark.parametrize("raw", ["0", "-1", "soon"])
def test_a_wrong_value_is_refused_with_a_warning(monkeypatch, caplog, raw):
    monkeypatch.setenv("STRETCH_ACTION_TIMEOUT", raw)
    with caplog.at_level(logging.WARNING, logger="components.settings"):
        assert settings.action_timeout() == settings.ACTION_TIMEOUT
    assert "STRETCH_ACTION_TIMEOUT must be a positive number" in caplog.text
