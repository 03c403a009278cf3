"""The house's layers, read from the imports (ast): the pure coach <- the Rasa glue <- the clients
(the text chat's link <- the voice loop, which uses it <- the page's gateway, which reuses the
voice loop) <- the launcher, none importing a layer above it; the lab above everything, and no
product package importing it; no import cycle between packages."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LAYER = {"stretch_coach": 0, "actions": 1, "components": 1, "stretch_chat": 2,
         "stretch_voice": 3, "stretch_web": 4, "stretch_run": 5, "lab": 6}
"""Each package's layer: a package may import its own layer's or lower ones, never higher."""


def imports() -> dict[str, set[str]]:
    """Our packages each package imports (relative imports resolved to the package itself)."""
    out: dict[str, set[str]] = {p: set() for p in LAYER}
    for pkg in LAYER:
        for path in (ROOT / pkg).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom):
                    names = [pkg if node.level else (node.module or "")]
                else:
                    continue
                out[pkg] |= {n.split(".")[0] for n in names if n.split(".")[0] in LAYER}
    return out


def test_no_package_imports_a_layer_above_it():
    found = imports()
    assert sum(len(v) for v in found.values()) > 10  # the walk saw the imports
    upward = [(p, q) for p, qs in found.items() for q in qs if LAYER[q] > LAYER[p]]
    assert upward == []


def test_the_clients_use_the_coach_but_not_its_rasa_glue():
    found = imports()
    glue = [(p, q) for p in ("stretch_chat", "stretch_voice", "stretch_web")
            for q in found[p] & {"actions", "components"}]
    assert glue == []


def test_no_import_cycle_between_packages():
    found = imports()

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        return any(q == goal or (q not in seen and reaches(q, goal, seen | {q}))
                   for q in found[start] - {start})

    assert [p for p in LAYER if reaches(p, p, {p})] == []
