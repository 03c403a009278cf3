"""The last view the coach sent a page's session, kept so that a reloaded page gets it at once.

The coach sends its view of the session after every turn (stretch_coach.machine.view, fields in
docs/protocol.md); the gateway passes it on as it is and keeps the last one. A page that comes back
gets that view with its running hold aged to now, as the page itself counts it down. Pure apart
from the monotonic clock it is given.
"""

from __future__ import annotations

import time
from typing import Any, Callable, Optional

View = dict[str, Any]


def aged(view: View, seconds: float) -> View:
    """``view`` as it is ``seconds`` (real time) after it was sent: a running hold has that much
    less left (a reloaded page is sent the last view, not a stale countdown)."""
    hold = view.get("hold")
    if not hold or hold["paused"] or seconds <= 0:
        return view
    left = max(0.0, hold["remaining"] - seconds / hold["scale"])
    return {**view, "hold": {**hold, "remaining": round(left, 2)}}


class LastView:
    """The newest view of one session and when it came (thread-safe: one tuple, replaced whole)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._last: Optional[tuple[View, float]] = None

    def update(self, view: View) -> None:
        self._last = (view, self._clock())

    def now(self) -> Optional[View]:
        """The last view aged to now, or None before the coach sent one."""
        last = self._last
        return None if last is None else aged(last[0], self._clock() - last[1])

    @property
    def phase(self) -> Optional[str]:
        """The session's phase as last shown, or None before the coach sent a view."""
        last = self._last
        return None if last is None else last[0].get("phase")
