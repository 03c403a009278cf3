"""Safety detector variants side by side on the same clips: linear against one hidden layer, and
any earlier weights file, each with its threshold set on the calibration voices and judged on the
evaluation voices, per condition.

    .venv/bin/python -m lab.experiments.detector_ab --features DIR [--old FILE ...]
        [--hidden 0 64 128] [--c 0.05 0.5]

``DIR`` holds the pooled features of a ``python -m lab.safety.train --features DIR`` run (the
same clips, so nothing is rendered or encoded again). ``--old`` weights keep their own threshold
and are also shown at the threshold the calibration voices give them.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np

from lab.safety import train
from stretch_voice.safety_detector import SafetyDetector

CONDITIONS = ("clean", "noise", "room", "tv", "phone", "tv-only")


def row(name: str, det: SafetyDetector, threshold: float, cal: tuple, ev: tuple) -> None:
    """One line: recall on the calibration voices at the threshold (what a choice between
    variants may look at), then recall and false alarms over all evaluation clips and per
    condition (what is reported)."""
    rates = train.rates_by_condition(det, *ev, threshold)
    parts = [f"{train.rates(det, *cal, threshold)['recall']:.3f}",
             f"{rates['all']['recall']:.3f}/{rates['all']['false_alarm']:.3f}"]
    for how in CONDITIONS:
        r = rates.get(how)
        parts.append("-" if r is None else
                     f"{r['recall']:.2f}/{r['false_alarm']:.2f}" if r["positives"] else
                     f"-/{r['false_alarm']:.2f}")
    print(f"{name:28} thr {threshold:.3f}  " + "  ".join(f"{p:>11}" for p in parts), flush=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--features", required=True)
    ap.add_argument("--old", nargs="*", default=[])
    ap.add_argument("--hidden", nargs="+", type=int, default=[0, 64, 128])
    ap.add_argument("--c", nargs="+", type=float, default=[0.05])
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--max-false-alarm", type=float, default=0.03)
    args = ap.parse_args(argv)
    keep = Path(args.features)
    x, y, _ = train.features(None, [], keep / "train.npz")
    xc, yc, _ = train.features(None, [], keep / "calibration.npz")
    ev = train.features(None, [], keep / "evaluation.npz")
    print(f"{len(y)} training clips; calibration recall; evaluation ({len(ev[1])} clips) recall/"
          "false alarms: all, " + ", ".join(CONDITIONS))
    for path in args.old:
        det = SafetyDetector(path)
        row(f"{Path(path).name} (own)", det, det.threshold, (xc, yc), ev)
        row(f"{Path(path).name} (calibrated)", det,
            train.choose_threshold(det, xc, yc, args.max_false_alarm), (xc, yc), ev)
    with tempfile.TemporaryDirectory() as tmp:
        for hidden in args.hidden:
            for c in args.c:
                out = Path(tmp) / f"h{hidden}-c{c}.npz"
                weights = train.fit(x, y, args.seed, c, hidden)
                np.savez(out, threshold=np.float32(0.5), **weights)
                det = SafetyDetector(out)
                size = sum(v.nbytes for v in weights.values() if v.dtype.kind == "f")
                row(f"hidden {hidden} C {c} ({size // 1024} KB)", det,
                    train.choose_threshold(det, xc, yc, args.max_false_alarm), (xc, yc), ev)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
