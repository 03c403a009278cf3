"""Speech-out benchmark: Piper (Joe) against espeak-ng on the coach's own messages.

    .venv/bin/python -m lab.experiments.tts_bench              # every response, ~1-2 min
    .venv/bin/python -m lab.experiments.tts_bench --limit 20   # the first 20 responses

Every response variation of domain.yml (placeholders filled with values from the routine
catalogue, as the coach fills them) is spoken by each engine at the default speed: Piper, Piper
answered from the sentences recorded at set-up (``build/speech/``, ``python -m stretch_voice.sentences``;
the summary that ends a session is not recorded), and espeak-ng. Reported side by side:

* loading: time to import and load the voice (with its warm-up sentence) and the resident memory
  it adds (VmRSS before and after; espeak-ng runs as a process per call and adds none);
* first audio: from ``Speaker.say(message)`` to the first audio going to the player (the null
  player, which takes the audio at once), sentence by sentence as the Speaker does it, and what it
  would be if the whole message were synthesised first; median and p95 over the messages;
* synthesis per sentence: median and p95 ms, and the real-time factor (synthesis time / audio
  time; median per sentence, and total over all sentences);
* barge-in: blocks delivered after ``Player.stop()`` returned (must be 0) and how long it took.

Figures depend on the load of the machine (printed first); they are never asserted in tests.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import threading
import time
from pathlib import Path
from typing import Dict, List, Union

import numpy  # noqa: F401 - the voice client loads it anyway: not counted as Piper's memory
import yaml

from stretch_voice import sentences as speech_cache_script  # the sentences set-up records
from lab.stats import percentile
from stretch_voice.speaker import Speaker
from stretch_voice.speech_cache import cached_voice
from stretch_voice.tts import (BLOCK_MS, DEFAULT_SPEED, Player, Synthesizer, get_synth,
                               split_sentences)

ROOT = Path(__file__).resolve().parents[2]

SLOTS = {name: vals[0] for name, vals in speech_cache_script.values().items()}
SLOTS["done"] = "the seated single leg, both sides"  # made up by the coach at the end: not recorded
ENGINES = {"piper": "piper", "piper, recorded": cached_voice("piper"),
           "espeak-ng": "espeak:en-us"}
STOP_TRIALS = 20


def messages(limit: int) -> List[str]:
    domain = yaml.safe_load((ROOT / "domain.yml").read_text())
    texts = [v["text"] for vs in domain["responses"].values() for v in vs if "text" in v]
    return [re.sub(r"\{(\w+)\}", lambda m: SLOTS[m.group(1)], t) for t in texts][:limit]


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        kb = next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))
    return kb / 1024


def first_audio_ms(synth: Synthesizer, texts: List[str]) -> List[float]:
    """ms from say() to the first audio of each message, through the real Speaker."""
    started = threading.Event()
    speaker = Speaker(Player("null", simulate=False), voice=synth,
                      on_start=lambda *_: started.set())
    out = []
    for text in texts:
        started.clear()
        t0 = time.monotonic()
        speaker.say(text)
        started.wait(30)
        out.append((time.monotonic() - t0) * 1000)
        speaker.wait_idle(30)
    speaker.close()
    return out


def stop_trials(synth: Synthesizer) -> Dict[str, float]:
    """Stop the null player mid-sentence; count blocks that arrive after stop() returned."""
    wav = synth.synthesize("Hold the stretch for twenty seconds.").wav
    late, ms = 0, []
    for _ in range(STOP_TRIALS):
        player = Player("null")
        player.play(wav)
        time.sleep(0.1)
        t0 = time.perf_counter()
        player.stop()
        ms.append((time.perf_counter() - t0) * 1000)
        n = player.blocks
        time.sleep(2 * BLOCK_MS / 1000)
        late += player.blocks - n
    return {"late": late, "median": statistics.median(ms), "max": max(ms)}


def run(name: str, voice: Union[str, Synthesizer], texts: List[str]) -> Dict[str, float]:
    rss0, t0 = rss_mb(), time.perf_counter()
    synth = get_synth(voice)
    load_ms, rss = (time.perf_counter() - t0) * 1000, rss_mb() - rss0
    assert synth.fallback_reason is None, synth.fallback_reason
    sentences = [s for t in texts for s in split_sentences(t)]
    ms, rtf, audio_s = [], [], 0.0
    for s in sentences:
        speech = synth.synthesize(s, DEFAULT_SPEED)
        ms.append(speech.synth_ms)
        rtf.append(speech.synth_ms / 1000 / speech.duration_s)
        audio_s += speech.duration_s
    whole = [synth.synthesize(t, DEFAULT_SPEED).synth_ms for t in texts]
    first = first_audio_ms(synth, texts)
    stops = stop_trials(synth)
    return {"load ms": load_ms, "RSS added MB": rss,
            "first audio ms, median": statistics.median(first), "first audio ms, p95": percentile(first, .95),
            "whole-message first audio ms, median": statistics.median(whole),
            "whole-message first audio ms, p95": percentile(whole, .95),
            "synthesis ms / sentence, median": statistics.median(ms),
            "synthesis ms / sentence, p95": percentile(ms, .95),
            "real-time factor, median": statistics.median(rtf),
            "real-time factor, total": sum(ms) / 1000 / audio_s,
            "audio s / sentence, mean": audio_s / len(sentences),
            "blocks after stop() (of %d stops)" % STOP_TRIALS: stops["late"],
            "stop() ms, median": stops["median"], "stop() ms, max": stops["max"]}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--limit", type=int, default=10_000, help="use the first N responses")
    args = ap.parse_args()
    texts = messages(args.limit)
    n_sent = sum(len(split_sentences(t)) for t in texts)
    print(f"{len(texts)} messages, {n_sent} sentences, speed {DEFAULT_SPEED} wpm, block {BLOCK_MS} ms, "
          f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores", flush=True)
    results = {name: run(name, voice, texts) for name, voice in ENGINES.items()}  # Piper first: RSS
    print(f"{'':42}" + "".join(f"{n:>16}" for n in results))
    for key in results["piper"]:
        print(f"{key:42}" + "".join(f"{r[key]:16.2f}" if isinstance(r[key], float) else f"{r[key]:16}"
                                    for r in results.values()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
