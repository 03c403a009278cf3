"""The environment variables the Rasa glue reads, in one place: one function per setting, which
reads its variable when called and falls back to the default beside it.

Read when called, not at import, so a server started with a variable set uses it and a test can set
it. Every variable, flag and file of the product is listed in docs/configuration.md. This module
imports nothing from Rasa, so the action server can use it too.
"""

from __future__ import annotations

import logging
import os

logger = logging.getLogger(__name__)

ACTION_TIMEOUT = 5.0   # seconds: a hung action server is treated as down after this


def positive_number(name: str, default: float) -> float:
    """The environment variable ``name`` as a positive number, or ``default`` (with a warning)
    when it is set to anything else."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        value = 0.0
    if value <= 0:
        logger.warning("%s must be a positive number: %r ignored, using %s", name, raw, default)
        return default
    return value


def action_timeout() -> float:
    """Seconds Rasa waits for the action server to answer a custom action call before it treats
    the action server as down (``STRETCH_ACTION_TIMEOUT``; default ``ACTION_TIMEOUT``)."""
    return positive_number("STRETCH_ACTION_TIMEOUT", ACTION_TIMEOUT)


DEFAULT_DB = "stretch_coach.db"


def history_url() -> str:
    """The database of the history tables (SQLAlchemy URL): ``STRETCH_HISTORY_URL`` if set, else
    the SQLite file of the conversations, ``STRETCH_DB`` (default ``stretch_coach.db``)."""
    url = (os.environ.get("STRETCH_HISTORY_URL") or "").strip()
    if url:
        return url
    path = (os.environ.get("STRETCH_DB") or "").strip() or DEFAULT_DB
    return f"sqlite:///{os.path.abspath(path)}"


def clock_offset() -> float:
    """Seconds added to the calendar of the history (``STRETCH_CLOCK_OFFSET``, tests only: two
    sessions "a week apart"); hold timing never uses it."""
    raw = (os.environ.get("STRETCH_CLOCK_OFFSET") or "").strip()
    try:
        return float(raw) if raw else 0.0
    except ValueError:
        logger.warning("STRETCH_CLOCK_OFFSET must be a number of seconds: %r ignored", raw)
        return 0.0
