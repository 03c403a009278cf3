"""Record the coach's sentences with the default voice (``scripts/setup.sh`` runs this).

    .venv/bin/python -m stretch_voice.sentences [--folder build/speech] [--list]

Every response of ``domain.yml`` is split into sentences as the speaker splits them, and each
placeholder is filled with the values the coach can give it, read from the routine catalogue
(routine names, steps on each side, cues, safety lines, hold times, repetitions). Placeholders
whose values are made up on the spot (the session summary, the seconds left when asked) keep
only the catalogue's values or are skipped: those sentences are synthesised when said.
``--list`` prints the sentences instead of recording them. See ``stretch_voice/speech_cache.py``.
"""

from __future__ import annotations

import argparse
import itertools
import re
import time
from pathlib import Path

import yaml

from stretch_coach.catalogue import default as catalogue

from .speech_cache import DEFAULT_DIR, record
from .tts import DEFAULT_SPEED, DEFAULT_VOICE, split_sentences

ROOT = Path(__file__).resolve().parents[1]

PLACEHOLDER = re.compile(r"\{(\w+)\}")
MAX_PER_SENTENCE = 400  # more combinations than this: a made-up value, left to run time


def values() -> dict[str, list[str]]:
    """What the coach can put in each placeholder (the ``say`` calls of stretch_coach/machine/)."""
    cat = catalogue()
    vs = list(cat.variants.values())
    holds = [s.hold for v in vs for s in v.steps if s.hold]
    seconds = {h.seconds for h in holds} | {h.rest for h in holds}
    seconds |= {cat.hold_warning_seconds, cat.hold_longer_seconds}
    most_steps = max(len(v.steps) for v in vs)
    most_reps = max([h.reps for h in holds] or [1])
    return {
        "name": [v.name for v in vs], "next_name": [v.name for v in vs],
        "legs": ["right leg first", "both legs at once"], "side": ["right", "left", "both"],
        "number": [str(n) for n in range(1, most_steps + 1)],
        "total": sorted({str(len(v.steps)) for v in vs}),
        "instruction": sorted({s.spoken(side) for v in vs for s in v.steps for side in v.sides}),
        "cue": sorted({lv.cue for v in vs for lv in v.levels}),
        "safety": sorted({lv.safety for v in vs for lv in v.levels}),
        "summary": [v.summary for v in vs],
        "seconds": [str(s) for s in sorted(seconds)],
        "rep": [str(n) for n in range(1, most_reps + 1)],
        "reps": [str(n) for n in range(1, most_reps + 1)],
        "minutes": [str(cat.warm_up_minutes)],
    }


def sentences(domain_path: Path = ROOT / "domain.yml") -> list[str]:
    domain = yaml.safe_load(domain_path.read_text(encoding="utf-8"))
    fill = values()
    out: dict[str, None] = {}
    for variations in domain["responses"].values():
        for variation in variations:
            for template in split_sentences(variation.get("text", "")):
                names = sorted(set(PLACEHOLDER.findall(template)))
                if any(n not in fill for n in names):
                    continue
                combos = list(itertools.islice(
                    itertools.product(*(fill[n] for n in names)), MAX_PER_SENTENCE + 1))
                if len(combos) > MAX_PER_SENTENCE:
                    continue
                for combo in combos:
                    text = template.format(**dict(zip(names, combo, strict=True)))
                    for sentence in split_sentences(text):
                        out[sentence] = None
    return list(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--folder", default=str(DEFAULT_DIR))
    ap.add_argument("--voice", default=DEFAULT_VOICE)
    ap.add_argument("--speed", type=int, default=DEFAULT_SPEED)
    ap.add_argument("--list", action="store_true", help="print the sentences, record nothing")
    args = ap.parse_args()
    todo = sentences()
    if args.list:
        print("\n".join(todo))
        return
    t0 = time.monotonic()
    made, kept = record(args.voice, args.speed, todo, args.folder)
    print(f"{len(todo)} sentences: {made} recorded, {kept} already there "
          f"({time.monotonic() - t0:.0f} s)")


if __name__ == "__main__":
    main()
