"""Typed view of the routine catalogue (`catalogue.yml`). No Rasa imports."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Optional

import yaml

CATALOGUE_PATH = Path(__file__).with_name("catalogue.yml")
ACTORS = ("you", "partner", "both")


@dataclass(frozen=True)
class Hold:
    seconds: int
    reps: int
    rest: int
    top_reps: int = 0   # the most repetitions progression may reach (0: ``reps``)

    @property
    def reps_cap(self) -> int:
        return max(self.reps, self.top_reps)


@dataclass(frozen=True)
class Step:
    text: str
    hold: Optional[Hold] = None
    who: str = ""  # who acts: "you", "partner" or "both" (see catalogue.yml); "" = from the text

    @property
    def actor(self) -> str:
        """Who acts in the step: ``who`` if the catalogue says, else the step's subject (the
        steps speak to the person stretching, so "Your partner ..." is the helper's)."""
        if self.who:
            return self.who
        return "partner" if self.text.lower().startswith("your partner") else "you"

    def spoken(self, side: str) -> str:
        return self.text.format(side=side)


@dataclass(frozen=True)
class Level:
    cue: str
    safety: str


@dataclass(frozen=True)
class Variant:
    key: str
    name: str
    legs: str  # "single" or "double"
    summary: str
    steps: tuple[Step, ...]
    levels: tuple[Level, ...]
    harder_variant: Optional[str] = None
    easier_variant: Optional[str] = None

    @property
    def single_leg(self) -> bool:
        return self.legs == "single"

    @property
    def hold(self) -> Optional[Hold]:
        """The routine's timed hold (the first step that has one)."""
        return next((s.hold for s in self.steps if s.hold), None)

    @property
    def top_level(self) -> int:
        return len(self.levels) - 1

    @property
    def sides(self) -> tuple[str, ...]:
        """The passes a routine makes: each leg in turn, or both legs at once."""
        return ("right", "left") if self.single_leg else ("both",)


@dataclass(frozen=True)
class Catalogue:
    variants: dict[str, Variant]
    warm_up_minutes: int
    hold_warning_seconds: int
    hold_longer_seconds: int
    hold_cap_seconds: int = 30
    hold_step_seconds: int = 5

    def __getitem__(self, key: str) -> Variant:
        return self.variants[key]


def _variant(key: str, raw: dict) -> Variant:
    steps = tuple(
        Step(text=s["text"], hold=Hold(**s["hold"]) if "hold" in s else None, who=s.get("who", ""))
        for s in raw["steps"]
    )
    for s in steps:
        if s.who not in ("", *ACTORS):
            raise ValueError(f"{key}: who must be one of {', '.join(ACTORS)}, not {s.who!r}")
    levels = tuple(Level(cue=lv["cue"], safety=lv["safety"]) for lv in raw["levels"])
    if raw["legs"] not in ("single", "double"):
        raise ValueError(f"{key}: legs must be single or double")
    if not levels or not steps:
        raise ValueError(f"{key}: needs steps and levels")
    return Variant(
        key=key,
        name=raw["name"],
        legs=raw["legs"],
        summary=" ".join(raw["summary"].split()),
        steps=steps,
        levels=levels,
        harder_variant=raw.get("harder_variant"),
        easier_variant=raw.get("easier_variant"),
    )


def load(path: Path = CATALOGUE_PATH) -> Catalogue:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    variants = {k: _variant(k, v) for k, v in raw["variants"].items()}
    for v in variants.values():
        for other in (v.harder_variant, v.easier_variant):
            if other is not None and other not in variants:
                raise ValueError(f"{v.key}: unknown variant {other}")
    return Catalogue(
        variants=variants,
        warm_up_minutes=int(raw["warm_up_minutes"]),
        hold_warning_seconds=int(raw["hold_warning_seconds"]),
        hold_longer_seconds=int(raw["hold_longer_seconds"]),
        hold_cap_seconds=int(raw.get("hold_cap_seconds", 30)),
        hold_step_seconds=int(raw.get("hold_step_seconds", 5)),
    )


@lru_cache(maxsize=1)
def default() -> Catalogue:
    return load()
