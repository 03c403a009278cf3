"""Hold timing: remaining time, pause and resume, hold longer, and when the next cue is due.

All times are *coach seconds*: real seconds divided by the time scale (see `Clock`), so a 30 s hold
lasts 3 real seconds with scale 0.1 while the coach still says "30 seconds". Cues are timed from
when the hold started, never from when a reply was spoken, so a hold does not drift.
No Rasa imports, and no clock or setting read here: the caller gives the scale and the clock.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Callable, Optional

HOLD = "hold"
REST = "rest"

WARNING = "warning"   # "five more seconds"
END = "end"           # release
NEXT_REP = "next_rep"  # rest over, hold again


class Clock:
    """Coach time = real time / scale: scale 0.1 makes every hold ten times shorter. ``real`` is
    the caller's clock (Unix seconds), so the coach never reads one of its own."""

    def __init__(self, scale: float, real: Callable[[], float]):
        if scale <= 0:
            raise ValueError("time scale must be positive")
        self.scale = scale
        self._real = real

    def now(self) -> float:
        return self._real() / self.scale

    def to_real(self, coach_seconds: float) -> float:
        return coach_seconds * self.scale

    @property
    def grace(self) -> float:
        """How late (coach seconds) a cue may be before we decide its reminder was lost: 2 real s."""
        return 2.0 / self.scale


@dataclass
class HoldTimer:
    """One timed hold with its repetitions. `base` is the coach time the current phase started."""

    seconds: float        # length of the current hold phase (grows with "hold longer")
    reps: int
    rest: int
    warning: int
    rep: int = 1
    phase: str = HOLD
    base: float = 0.0
    elapsed_before: float = 0.0   # time already spent in this phase before a pause
    paused: bool = False
    warned: bool = False

    @classmethod
    def start(cls, now: float, seconds: float, reps: int, rest: int, warning: int) -> "HoldTimer":
        return cls(seconds=seconds, reps=reps, rest=rest, warning=warning, base=now)

    # --- arithmetic ---------------------------------------------------------------------------
    def phase_length(self) -> float:
        return self.seconds if self.phase == HOLD else float(self.rest)

    def elapsed(self, now: float) -> float:
        return self.elapsed_before + (0.0 if self.paused else max(0.0, now - self.base))

    def remaining(self, now: float) -> float:
        return max(0.0, self.phase_length() - self.elapsed(now))

    def phase_end(self) -> float:
        """Coach time the current phase ends (valid while running)."""
        return self.base + self.phase_length() - self.elapsed_before

    def next_cue(self) -> tuple[str, float]:
        """The next cue and when it is due (coach time), while running."""
        end = self.phase_end()
        if self.phase == REST:
            return NEXT_REP, end
        if not self.warned and self.seconds > self.warning * 2:
            return WARNING, end - self.warning
        return END, end

    # --- changes --------------------------------------------------------------------------------
    def pause(self, now: float) -> None:
        if not self.paused:
            self.elapsed_before = self.elapsed(now)
            self.paused = True

    def resume(self, now: float) -> None:
        if self.paused:
            self.base = now
            self.paused = False
            if self.phase == HOLD and self.remaining(now) <= self.warning:
                self.warned = True  # too little left to announce it

    def extend(self, seconds: float, now: float) -> None:
        """Hold longer. A warning already given is given again before the new end."""
        self.seconds += seconds
        if self.remaining(now) > self.warning:
            self.warned = False

    def fire(self, cue: str, due: float) -> None:
        """Apply a cue that came due at `due` (coach time); the next phase counts from `due`."""
        if cue == WARNING:
            self.warned = True
        elif cue == END:
            self.phase, self.base, self.elapsed_before, self.warned = REST, due, 0.0, False
        elif cue == NEXT_REP:
            self.phase, self.base, self.elapsed_before, self.warned = HOLD, due, 0.0, False
            self.rep += 1

    @property
    def last_rep(self) -> bool:
        return self.rep >= self.reps

    # --- persistence ----------------------------------------------------------------------------
    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, raw: Optional[dict]) -> Optional["HoldTimer"]:
        return cls(**raw) if raw else None
