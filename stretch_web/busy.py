"""What a full gateway says to a new page it cannot take: ``utter_busy`` of domain.yml (every
sentence the coach says lives there), read when the gateway starts."""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
BUSY_RESPONSE = "utter_busy"


def busy_sentence(domain_path: Path = ROOT / "domain.yml") -> str:
    """The busy sentence, as domain.yml words it (its first variation)."""
    domain = yaml.safe_load(domain_path.read_text(encoding="utf-8"))
    return str(domain["responses"][BUSY_RESPONSE][0]["text"])
