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
