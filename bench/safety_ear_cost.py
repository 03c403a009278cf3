"""What the safety ear costs: recognition time of short commands with it and without it, side by
side in one run (alternating rounds; these machines are noisy).

    PYTHONPATH=. .venv/bin/python bench/safety_ear_cost.py
"""

from __future__ import annotations

import statistics
from dataclasses import replace

from devtools.audio_gen import synthesize
from stretch_voice.recognizer import Recognizer

PHRASES = ("next step", "switch legs", "harder", "resume", "how long left", "the seated one",
           "ouch", "stop", "ease off", "repeat that")
VOICES = ("en-us+m3", "flite:awb")  # benchmark voices
ROUNDS = 3


def main() -> None:
    clips = [synthesize(p, v, 160).pcm for p in PHRASES for v in VOICES]
    rec = Recognizer()
    configs = {"safety ear on": rec.config,
               "safety ear off": replace(rec.config, safety_ear_words=0, safety_margin=-1.0)}
    ms: dict[str, list[float]] = {k: [] for k in configs}
    for _ in range(ROUNDS):
        for name, cfg in configs.items():
            rec.config = cfg
            ms[name].extend(rec.transcribe(c).ms for c in clips)
    for name, v in ms.items():
        v.sort()
        print(f"{name:15s} median {statistics.median(v):4.0f} ms, p95 {v[int(0.95 * len(v))]:4.0f} ms"
              f" (n={len(v)})")


if __name__ == "__main__":
    main()
