"""End of speech: webrtcvad and Silero VAD side by side, on the same clips in one run.

    .venv/bin/python -m lab.experiments.vad_bench

Every command and safety phrase of lab/bench/voice_set.yml, in the benchmark's voices (not the test
voices), clean and in sox pink noise at 15 and 8 dB SNR, with 0.8 s of the same room noise before
and after the speech, goes through :class:`stretch_voice.vad.UtteranceDetector` in 30 ms chunks,
once per engine: one stream per voice and condition, the clips one after the other, as a room
hears them (what the detector learns of the room carries over from clip to clip). The speech's
true start and end are known (each clip is trimmed speech plus padding). Reported per engine and
condition:

* found: exactly one utterance covers the speech; split: more than one; missed: none;
* late start: the VAD's first speech frame is more than 100 ms after the speech starts (the
  utterance's audio still holds 300 ms of pre-roll, so this costs nothing unless it is longer);
  early end: its last speech frame is more than 100 ms before the speech ends (the voice loop
  may then guess at the turn before the last word is heard);
* tail: how long after the true end the VAD still calls it speech (median, p95). The voice loop
  ends a turn 90-150 ms after the last speech frame, so the tail adds straight to the latency;
* false utterances in 30 s of room noise alone (pink and brown, at the 8 dB level of a typical
  command), and CPU time per second of audio.
"""

from __future__ import annotations

import statistics
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
import yaml

from lab.speech import coloured_noise, synthesize
from stretch_voice import SAMPLE_RATE
from stretch_voice.vad import FRAME_BYTES, UtteranceDetector

ROOT = Path(__file__).resolve().parents[2]
VOICES = (("en-us+m3", 160), ("flite:awb", 160), ("piper", 160))
CONDITIONS = {"clean": None, "noisy": 15.0, "loud": 8.0}
PAD_S = 0.8
ENGINES = {"webrtc": {"engine": "webrtc"}, "silero": {"engine": "silero"},
           "both-fixed": {"engine": "both", "carry_check": 0}, "both": {"engine": "both"}}
"""``both-fixed``: webrtcvad always carries speech on past Silero's (no carry check);
``both``: as shipped, only while it is heard to stop calling speech at the end of speech."""


def run(engine: str, pcm: bytes) -> tuple[list, float]:
    det = UtteranceDetector(**ENGINES[engine])
    t0 = time.perf_counter()
    utts = []
    for i in range(0, len(pcm), FRAME_BYTES):
        utts += det.feed(pcm[i:i + FRAME_BYTES])
    utts += det.flush()
    return utts, time.perf_counter() - t0


def main() -> None:
    spoken = yaml.safe_load((ROOT / "lab" / "bench" / "voice_set.yml").read_text())
    phrases = [p for p, _ in spoken["commands"]] + [p for p, _ in spoken["safety"]]
    counts: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    tails: dict[tuple[str, str], list[float]] = defaultdict(list)
    cpu = {e: 0.0 for e in ENGINES}
    audio_s = 0.0
    speech_rms = []
    for voice, speed in VOICES:
        for cond, snr in CONDITIONS.items():
            spans, pcm = [], b""  # one stream per voice and condition, as a room hears them
            for phrase in phrases:
                clip = synthesize(phrase, voice, speed, snr_db=snr, noise="sox-pink", pad_s=PAD_S)
                offset = len(pcm) / (2 * SAMPLE_RATE)
                total = len(clip.pcm) / (2 * SAMPLE_RATE)
                spans.append((offset + PAD_S, offset + total - PAD_S))
                pcm += clip.pcm
                if snr is None:
                    x = np.frombuffer(clip.pcm, dtype="<i2").astype(np.float64)
                    speech_rms.append(float(np.sqrt(np.mean(
                        x[int(PAD_S * SAMPLE_RATE):int((total - PAD_S) * SAMPLE_RATE)] ** 2))))
            audio_s += len(pcm) / (2 * SAMPLE_RATE)
            for engine in ENGINES:
                utts, dt = run(engine, pcm)
                cpu[engine] += dt
                c = counts[(engine, cond)]
                c["false"] += sum(1 for u in utts
                                  if not any(u.start_s < end and u.end_s > start for start, end in spans))
                for start, end in spans:
                    c["clips"] += 1
                    over = [u for u in utts if u.start_s < end and u.end_s > start]
                    if not over:
                        c["missed"] += 1
                        continue
                    c["found" if len(over) == 1 else "split"] += 1
                    first, last = over[0], over[-1]
                    c["late start"] += first.speech_start_s > start + 0.1
                    c["early end"] += last.speech_end_s < end - 0.1
                    tails[(engine, cond)].append((last.speech_end_s - end) * 1000)
    print(f"{len(phrases)} phrases x {len(VOICES)} voices x {len(CONDITIONS)} conditions")
    print("engine     cond   | found split missed late-start early-end false | tail ms median  p95")
    for engine in ENGINES:
        for cond in CONDITIONS:
            c, t = counts[(engine, cond)], sorted(tails[(engine, cond)])
            p95 = t[int(0.95 * (len(t) - 1))] if t else float("nan")
            print(f"{engine:10s} {cond:6s} | {c['found']:5d} {c['split']:5d} {c['missed']:6d} "
                  f"{c['late start']:10d} {c['early end']:9d} {c['false']:5d} | "
                  f"{statistics.median(t) if t else 0:9.0f} {p95:5.0f}")
    # room noise alone, at the level that is 8 dB below a typical command
    level = statistics.median(speech_rms) / 10 ** (8 / 20)
    rng = np.random.default_rng(7)
    print("\nroom noise alone, 30 s each, at the 8 dB level: false utterances")
    for kind in ("sox-pink", "sox-brown"):
        noise = coloured_noise(30 * SAMPLE_RATE, rng, kind) * level
        pcm = np.clip(np.round(noise), -32768, 32767).astype("<i2").tobytes()
        audio_s += 30 * len(ENGINES)
        for engine in ENGINES:
            utts, dt = run(engine, pcm)
            cpu[engine] += dt
            print(f"  {kind:9s} {engine:10s} {len(utts)}")
    print("\nCPU per second of audio:", ", ".join(
        f"{e} {cpu[e] / audio_s * 1000:.2f} ms" for e in ENGINES))


if __name__ == "__main__":
    main()
