"""Build the safety detector (stretch_voice/safety_detector.npz) from nothing but this project's
files and the installed packages, reproducibly (fixed seed).

    .venv/bin/python -m lab.safety.train [--per-voice N] [--out FILE] [--seed 7] [--features DIR]

Every phrase of lab/safety/data.py in every training voice, each in one random condition, goes
through Whisper's encoder (as the recogniser runs it); the pooled output trains a classifier
with one hidden layer (``--hidden 0``: a multinomial logistic regression). Half of the held-out
voices set the threshold (needless safety readings at most ``--max-false-alarm``); the other
half, never used to choose anything, give the figures printed and stored with the weights, over
all clips and per condition. ``lab/experiments/detector_ab.py`` compares variants on the same
clips.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Iterable

import numpy as np

from lab.safety import data
from stretch_voice import SAMPLE_RATE
from stretch_voice.safety_detector import WEIGHTS, SafetyDetector, pool


def features(recognizer, exs: Iterable[data.Example], cache: Path | None = None
             ) -> tuple[np.ndarray, list[str], list[str]]:
    """Pooled encoder output, label and condition of every example (kept in ``cache`` if given:
    the examples are deterministic, so a cached set is the same set)."""
    if cache is not None and cache.exists():
        with np.load(cache) as f:
            return f["x"], [str(v) for v in f["y"]], [str(v) for v in f["how"]]
    xs, ys, hows = [], [], []
    for ex in exs:
        pcm, label, how = data.render_case(ex)
        enc = recognizer.encoder_output(pcm)
        xs.append(pool(enc, len(pcm) / (2 * SAMPLE_RATE)))
        ys.append(label)
        hows.append(how)
    if cache is not None:
        np.savez(cache, x=np.stack(xs), y=np.array(ys), how=np.array(hows))
    return np.stack(xs), ys, hows


def rates(det: SafetyDetector, x: np.ndarray, y: list[str], threshold: float) -> dict:
    """Recall (a safety phrase read as any safety class), exact class, and needless readings."""
    det.threshold = threshold
    got = [det.classify(v) for v in x]
    safe = [g != "none" for g in got]
    pos = [i for i, t in enumerate(y) if t != "none"]
    neg = [i for i, t in enumerate(y) if t == "none"]
    return {"recall": sum(safe[i] for i in pos) / max(1, len(pos)),
            "exact": sum(got[i] == y[i] for i in pos) / max(1, len(pos)),
            "false_alarm": sum(safe[i] for i in neg) / max(1, len(neg)),
            "positives": len(pos), "negatives": len(neg)}


def rates_by_condition(det: SafetyDetector, x: np.ndarray, y: list[str], hows: list[str],
                       threshold: float) -> dict:
    """:func:`rates` over all clips and per condition (clean, noise, room, tv, phone, tv-only)."""
    out = {"all": rates(det, x, y, threshold)}
    for how in sorted(set(hows)):
        idx = [i for i, h in enumerate(hows) if h == how]
        out[how] = rates(det, x[idx], [y[i] for i in idx], threshold)
    return out


def fit(x: np.ndarray, y: list[str], seed: int, c: float, hidden: int = 0) -> dict:
    """Standardisation and classifier weights, as the detector stores them: a multinomial
    logistic regression, or (``hidden`` > 0) one hidden layer of that many ReLU units."""
    mean, scale = x.mean(axis=0), x.std(axis=0) + 1e-6
    z = (x - mean) / scale
    norm = {"mean": mean.astype(np.float32), "scale": scale.astype(np.float32)}
    if hidden:
        from sklearn.neural_network import MLPClassifier

        clf = MLPClassifier((hidden,), alpha=1.0 / c, max_iter=400, early_stopping=True,
                            random_state=seed)
        clf.fit(z, y)
        return {**norm, "hidden_coef": clf.coefs_[0].T.astype(np.float32),
                "hidden_intercept": clf.intercepts_[0].astype(np.float32),
                "coef": clf.coefs_[1].T.astype(np.float32),
                "intercept": clf.intercepts_[1].astype(np.float32),
                "labels": np.array([str(c) for c in clf.classes_])}
    from sklearn.linear_model import LogisticRegression

    clf = LogisticRegression(C=c, max_iter=3000, class_weight="balanced", random_state=seed)
    clf.fit(z, y)
    return {**norm, "coef": clf.coef_.astype(np.float32),
            "intercept": clf.intercept_.astype(np.float32),
            "labels": np.array([str(c) for c in clf.classes_])}


def choose_threshold(det: SafetyDetector, x: np.ndarray, y: list[str], max_fa: float) -> float:
    """The lowest threshold at which at most ``max_fa`` of the non-safety clips read as safety."""
    negatives = np.sort([det.judge(v).safety_probability for v, t in zip(x, y, strict=True)
                         if t == "none"])
    if negatives.size == 0:
        return 0.5
    allowed = int(np.floor(max_fa * negatives.size))  # how many may lie at or above it
    return float(min(0.999, negatives[negatives.size - allowed - 1] + 1e-4))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--per-voice", type=int, default=None, help="phrases per voice (default all)")
    ap.add_argument("--voices", type=int, default=None, help="training voices (default all)")
    ap.add_argument("--rounds", type=int, default=2, help="conditions per phrase and voice")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--c", type=float, default=1.0,
                    help="inverse regularisation (the hidden layer: alpha = 1 / c)")
    ap.add_argument("--hidden", type=int, default=64,
                    help="hidden ReLU units (0: a linear classifier)")
    ap.add_argument("--max-false-alarm", type=float, default=0.03)
    ap.add_argument("--out", default=str(WEIGHTS))
    ap.add_argument("--features", default=None, help="a folder to keep the pooled features in")
    args = ap.parse_args(argv)
    from stretch_voice.recognizer import Recognizer, RecognizerConfig

    t0 = time.monotonic()
    rec = Recognizer(RecognizerConfig(safety_detector=False))  # builds without a detector
    train_voices = data.voices(held_out=False)[:args.voices]
    held = data.voices(held_out=True)
    calib, evaluation = held[0::2], held[1::2]
    exs = [e for r in range(args.rounds)
           for e in data.examples(train_voices, args.seed + r, args.per_voice)]
    keep = Path(args.features) if args.features else None
    if keep is not None:
        keep.mkdir(parents=True, exist_ok=True)
    x, y, _ = features(rec, exs, keep and keep / "train.npz")
    xc, yc, _ = features(rec, data.examples(calib, args.seed + 100, args.per_voice),
                         keep and keep / "calibration.npz")
    xe, ye, he = features(rec, data.examples(evaluation, args.seed + 200, args.per_voice),
                          keep and keep / "evaluation.npz")
    weights = fit(x, y, args.seed, args.c, args.hidden)
    out = Path(args.out)
    np.savez(out, threshold=np.float32(0.5), **weights)
    det = SafetyDetector(out)
    threshold = choose_threshold(det, xc, yc, args.max_false_alarm)
    report = {"train_clips": len(y), "train_voices": len(train_voices), "c": args.c,
              "hidden": args.hidden,
              "calibration_voices": calib, "evaluation_voices": evaluation,
              "threshold": threshold, "calibration": rates(det, xc, yc, threshold),
              "evaluation": rates(det, xe, ye, threshold),
              "evaluation_by_condition": rates_by_condition(det, xe, ye, he, threshold),
              "seconds": round(time.monotonic() - t0)}
    np.savez(out, threshold=np.float32(threshold), report=np.array(json.dumps(report)),
             **weights)
    print(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
