"""The safety detector: its training script rebuilds it from nothing on a small set and the result
loads and reads real encoder output; the shipped weights exist, load, and only add safety."""

from __future__ import annotations

import json

import numpy as np
import pytest

from lab.safety import train
from stretch_voice.safety_detector import PHRASES, WEIGHTS, SafetyDetector, pool

pytestmark = pytest.mark.voice


@pytest.mark.parametrize("hidden", [0, 16])
def test_the_training_script_runs_on_a_small_set_and_its_output_loads(tmp_path, hidden):
    out = tmp_path / "detector.npz"
    assert train.main(["--per-voice", "6", "--voices", "3", "--rounds", "1",
                       "--hidden", str(hidden), "--out", str(out)]) == 0
    det = SafetyDetector(out)
    assert set(det.labels) == {"none", *PHRASES}
    if hidden:
        assert det.hidden[0].shape == (hidden, det.mean.size)
        assert det.coef.shape == (len(det.labels), hidden)
    else:
        assert det.hidden is None and det.coef.shape == (len(det.labels), det.mean.size)
    with np.load(out) as w:
        report = json.loads(str(w["report"]))
    assert report["train_clips"] == 18 and 0.0 < report["threshold"] < 1.0
    by_condition = report["evaluation_by_condition"]
    assert report["hidden"] == hidden and by_condition["all"] == report["evaluation"]
    assert sum(r["positives"] + r["negatives"] for how, r in by_condition.items()
               if how != "all") == report["evaluation"]["positives"] + report["evaluation"]["negatives"]
    verdict = det.read(np.zeros((1, 500, det.mean.size // 3), dtype=np.float32), 1.0)
    assert verdict.label in det.labels and 0.0 <= verdict.safety_probability <= 1.0


def test_the_shipped_weights_are_small_and_were_checked_on_held_out_voices():
    assert WEIGHTS.stat().st_size < 400_000
    det = SafetyDetector()
    with np.load(WEIGHTS) as w:
        report = json.loads(str(w["report"]))
    assert det.threshold == pytest.approx(report["threshold"])
    # the evaluation voices were never used to train or to choose the threshold
    assert not set(report["evaluation_voices"]) & set(report["calibration_voices"])
    assert report["evaluation"]["positives"] > 100 and report["evaluation"]["negatives"] > 100


def test_pool_reads_only_the_utterance():
    enc = np.zeros((1, 500, 4), dtype=np.float32)
    enc[0, 100:] = 9.0  # what the encoder makes of the window's padding
    v = pool(enc, 1.0)  # 1 s: positions 0-49
    assert v.shape == (12,) and not v.any()
