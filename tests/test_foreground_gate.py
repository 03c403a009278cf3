"""The foreground gate's bookkeeping (stretch_voice/foreground.py): it keeps the count of speech
frames in its window as frames come and go, so a quiet room costs little per frame; its verdicts
must be those of the plain rule, a pass over the window for every frame."""

from __future__ import annotations

import numpy as np

from stretch_voice.foreground import ForegroundGate, frame_db


def plain_rule(gate: ForegroundGate, frames: list[bytes], speech: list[bool]) -> list[bool]:
    """The gate's rule written out: the window's share of speech, then a percentile."""
    recent: list[tuple[float, bool, bool]] = []
    out = []
    for frame, sp in zip(frames, speech, strict=True):
        level, person = frame_db(frame), sp
        if len(recent) >= gate._frames // 2:
            talk = [lv for lv, s, _ in recent if s]
            active = len(talk) >= gate.talk_share * len(recent)
            if active and sp:
                other = [lv for lv, s, p in recent if s and not p]
                ref = float(np.percentile(other if len(other) >= 30 else talk, gate.percentile))
                person = level >= ref + gate.margin_db
        recent = (recent + [(level, sp, person)])[-gate._frames:]
        out.append(person)
    return out


def stream(seed: int, n: int) -> tuple[list[bytes], list[bool]]:
    """Stretches of quiet, of a steady talker and of a louder one, with the VAD's verdicts."""
    rng = np.random.default_rng(seed)
    frames, speech = [], []
    while len(frames) < n:
        kind, length = rng.integers(3), int(rng.integers(5, 400))
        for _ in range(length):
            sd = (20, 800, 3000)[kind] * rng.uniform(0.5, 2.0)
            frames.append(rng.normal(0, sd, 480).clip(-32768, 32767).astype("<i2").tobytes())
            speech.append(bool(kind) and rng.random() < 0.95)
    return frames[:n], speech[:n]


def test_the_gate_judges_as_the_plain_rule_over_windows_that_fill_and_roll():
    for seed in (1, 2):
        frames, speech = stream(seed, 1500)
        gate = ForegroundGate(window_s=3.0)
        got = [gate.judge(f, s) for f, s in zip(frames, speech, strict=True)]
        assert got == plain_rule(ForegroundGate(window_s=3.0), frames, speech)
        assert got != speech  # the gate did turn some speech frames away


def test_reset_forgets_the_count_of_speech_frames():
    frames, speech = stream(3, 400)
    gate = ForegroundGate(window_s=3.0)
    for f, _ in zip(frames, speech, strict=True):
        gate.judge(f, True)
    gate.reset()
    fresh = ForegroundGate(window_s=3.0)
    assert [gate.judge(f, s) for f, s in zip(frames, speech, strict=True)] == \
        [fresh.judge(f, s) for f, s in zip(frames, speech, strict=True)]
