"""``stretch-coach chat|voice|web|cluster [options]``: the whole assistant in one command, as the
``make run``, ``make voice``, ``make web`` and ``make cluster`` targets start it."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Optional, Sequence

ROOT = Path(__file__).resolve().parents[1]
MODES = {"chat": ("run.sh", "chat"), "voice": ("run.sh", "voice"), "web": ("run.sh", "web"),
         "cluster": ("cluster.sh", "chat")}
USAGE = "usage: stretch-coach {chat|voice|web|cluster} [client options]"


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Replace this process with the start-up script for the chosen mode."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help"):
        print(USAGE)
        return 0 if args else 2
    if args[0] not in MODES:
        print(f"unknown mode {args[0]!r}\n{USAGE}", file=sys.stderr)
        return 2
    script, mode = MODES[args[0]]
    path = ROOT / "scripts" / script
    os.execv(str(path), [str(path), mode, *args[1:]])
    return 1  # not reached: execv replaces the process
