"""A detector of our own safety phrases on Whisper's encoder output: the safety ear's third look.

Whisper writes down what it thinks was said; in an echoing room or under a TV it writes the
wrong words and the pain report is lost. This detector does not transcribe: it reads the encoder
output that the recogniser already computed for the utterance, pools it over the utterance
(mean, max and spread of each channel) and asks a small classifier (one hidden layer) which of
our safety requests, if any, was said. It only adds safety: the recogniser keeps a transcript that already
holds a safety word, and takes the detector's phrase only when the transcript holds none.

The weights (``safety_detector.npz`` beside this file, about 300 KB) are built by
``python -m lab.safety.train`` from synthetic voices the benchmark and the tests never use; the
file records the threshold chosen on held-out voices.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Union

import numpy as np

WEIGHTS = Path(__file__).with_name("safety_detector.npz")
POSITIONS_PER_S = 50
"""Whisper's encoder gives one position per 20 ms of audio."""

PHRASES = {"stop": "Stop.", "discomfort": "Ouch.", "too_much": "Too much.", "pause": "Pause."}
"""What the detector says it heard, per class: words the coach's NLU and safety net already take
for that safety intent."""


def pool(encoded: np.ndarray, seconds: float) -> np.ndarray:
    """One vector for the utterance: per channel, the mean, max and standard deviation of the
    encoder output over the positions that hold the utterance's audio."""
    enc = np.asarray(encoded, dtype=np.float32).reshape(-1, encoded.shape[-1])
    n = int(np.clip(np.ceil(seconds * POSITIONS_PER_S), 1, enc.shape[0]))
    part = enc[:n]
    return np.concatenate([part.mean(axis=0), part.max(axis=0), part.std(axis=0)])


@dataclass(frozen=True)
class Verdict:
    """The detector's reading of one utterance."""

    label: str  # "none" or a key of PHRASES
    probability: float  # of the label
    safety_probability: float  # of any safety class

    @property
    def phrase(self) -> Optional[str]:
        return PHRASES.get(self.label)


class SafetyDetector:
    """Standardise, then a multinomial linear classifier (with one hidden ReLU layer before it,
    if the weights have one); ``threshold`` applies to the summed probability of the safety
    classes."""

    def __init__(self, path: Union[str, Path] = WEIGHTS,
                 threshold: Optional[float] = None) -> None:
        with np.load(str(path), allow_pickle=False) as w:
            self.mean, self.scale = w["mean"], w["scale"]
            self.coef, self.intercept = w["coef"], w["intercept"]
            self.hidden = ((w["hidden_coef"], w["hidden_intercept"]) if "hidden_coef" in w.files
                           else None)
            self.labels = [str(x) for x in w["labels"]]
            self.threshold = float(w["threshold"]) if threshold is None else threshold

    def read(self, encoded: np.ndarray, seconds: float) -> Verdict:
        """The verdict on an utterance of ``seconds`` from its encoder output (1, T, C)."""
        return self.judge(pool(encoded, seconds))

    def classify(self, pooled: np.ndarray) -> str:
        """The label of a pooled utterance ("none" below the threshold)."""
        return self.judge(pooled).label

    def judge(self, pooled: np.ndarray) -> Verdict:
        """The verdict on a pooled utterance (see :func:`pool`)."""
        x = (pooled - self.mean) / self.scale
        if self.hidden is not None:
            x = np.maximum(self.hidden[0] @ x + self.hidden[1], 0.0)
        logits = self.coef @ x + self.intercept
        p = np.exp(logits - logits.max())
        p /= p.sum()
        none = self.labels.index("none")
        safety = 1.0 - float(p[none])
        if safety < self.threshold:
            return Verdict("none", float(p[none]), safety)
        best = max((i for i in range(len(p)) if i != none), key=lambda i: p[i])
        return Verdict(self.labels[best], float(p[best]), safety)
