"""The coach (`stretch_coach/`) is pure: it reads no environment variable and no clock of its own.
The caller gives the time scale and the clock (actions/settings.py), so every transition is
tested with a clock the test controls. Reads the source (ast): starts nothing."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

COACH = Path(__file__).resolve().parents[1] / "stretch_coach"

FORBIDDEN = {
    ("os", "environ"), ("os", "getenv"), ("os", "putenv"), ("os", "unsetenv"),
    ("time", "time"), ("time", "time_ns"), ("time", "monotonic"), ("time", "monotonic_ns"),
    ("time", "perf_counter"), ("time", "localtime"), ("time", "gmtime"),
    ("datetime", "now"), ("datetime", "utcnow"), ("datetime", "today"), ("date", "today"),
}
"""(module or class, name): the ways Python reads the environment or the time of day."""


def dotted(node: ast.AST) -> list[str]:
    """``a.b.c`` as ["a", "b", "c"] (an attribute chain on a name), else []."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    return [node.id, *reversed(parts)] if isinstance(node, ast.Name) else []


def reads(source: str) -> list[str]:
    """Every use of a FORBIDDEN name in ``source``: ``os.environ``, ``dt.datetime.now``, and
    ``from os import environ`` / ``from time import monotonic``."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute):
            chain = dotted(node)
            if len(chain) >= 2 and tuple(chain[-2:]) in FORBIDDEN:
                found.append(".".join(chain))
        elif isinstance(node, ast.ImportFrom) and node.module:
            last = node.module.split(".")[-1]
            found += [f"from {node.module} import {a.name}" for a in node.names
                      if (last, a.name) in FORBIDDEN]
    return found


def test_the_check_sees_each_way_of_reading_the_environment_or_the_clock():
    source = ("import os, time\nimport datetime as dt\nfrom os import getenv\n"
              "a = os.environ.get('X')\nb = os.getenv('X')\nc = time.time()\n"
              "d = time.monotonic()\ne = dt.datetime.now()\nf = datetime.now()\n"
              "def g(real=time.time):\n    return real()\n")
    assert sorted(reads(source)) == sorted([
        "os.environ", "os.getenv", "time.time", "time.monotonic", "dt.datetime.now",
        "datetime.now", "from os import getenv", "time.time"])
    assert reads("from time import monotonic as clock\n") == ["from time import monotonic"]
    assert reads("def f(clock):\n    return clock.now()\n") == []


@pytest.mark.parametrize("path", sorted(COACH.rglob("*.py")), ids=lambda p: str(p.relative_to(COACH)))
def test_the_coach_reads_no_environment_and_no_clock(path):
    assert not reads(path.read_text(encoding="utf-8")), \
        f"{path.name}: the caller gives settings and the clock (actions/settings.py)"
