"""The action server's settings: the one place the actions read the environment.

The coach itself (`stretch_coach`) reads no environment variable and no clock; the actions read
them here on every turn and hand them in (a test may change a variable between turns). Every
variable is listed in docs/configuration.md.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import time
from dataclasses import dataclass
from typing import Callable, Mapping, Optional, TypeVar

from stretch_coach.timing import Clock

logger = logging.getLogger(__name__)
T = TypeVar("T", int, float)

SESSION_EVENTS = 100
"""Start a new Rasa session once the current one holds this many events (about 15 turns; see
lab/bench/turn_cost.py). The coach's whole state is its slot, so old events carry nothing it needs."""


@dataclass(frozen=True)
class Settings:
    time_scale: float = 1.0
    """``STRETCH_TIME_SCALE``: real seconds per coach second (0.1 makes every hold ten times shorter)."""
    session_events: int = SESSION_EVENTS
    """``STRETCH_SESSION_EVENTS``: events per Rasa session before a new one starts (0: never)."""
    clock_offset: float = 0.0
    """``STRETCH_CLOCK_OFFSET``: seconds added to the history's calendar (tests only)."""

    def clock(self) -> Clock:
        """The coach's clock: the system's Unix time at this scale."""
        return Clock(self.time_scale, time.time)

    def calendar(self) -> dt.datetime:
        """Now for the history (UTC, naive), moved by ``clock_offset``; never for hold timing."""
        return dt.datetime.utcfromtimestamp(time.time() + self.clock_offset).replace(microsecond=0)


def _read(env: Mapping[str, str], name: str, default: T, kind: Callable[[str], T],
          valid: Callable[[T], bool]) -> T:
    """``env[name]`` as ``kind`` when it is set and valid; else ``default`` (a bad value is
    logged, and the turn goes on with the default)."""
    raw = env.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = kind(raw)
    except ValueError:
        value = None
    if value is None or not valid(value):
        logger.warning("%s=%r is not valid: using %s", name, raw, default)
        return default
    return value


def settings(environ: Optional[Mapping[str, str]] = None) -> Settings:
    """The settings from the environment (``os.environ`` unless given), defaults where unset."""
    env = os.environ if environ is None else environ
    return Settings(
        time_scale=_read(env, "STRETCH_TIME_SCALE", 1.0, float, lambda v: v > 0),
        session_events=_read(env, "STRETCH_SESSION_EVENTS", SESSION_EVENTS, int, lambda v: v >= 0),
        clock_offset=_read(env, "STRETCH_CLOCK_OFFSET", 0.0, float, lambda v: True),
    )
