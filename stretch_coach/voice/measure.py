"""Quick accuracy / rejection / latency measurement of the recogniser on synthetic speech.

    python -m stretch_coach.voice.measure --phrases 30 --voices en-us en-us+f2 en-us+klatt3 en-us+adam
    python -m stretch_coach.voice.measure --voice-set bench/voice_set.yml --voices en-us en-us+f2

Samples NLU phrases (seeded), speaks them in every voice, clean and noisy, and reports:

* command accuracy: accepted and the recognised phrase has the same intent as the spoken one
  (exact text match is reported too; homophones and NLU typo variants make it lower),
* safety recall: each safety word is recognised, not rejected, and flagged as safety,
* rejection rate on out-of-grammar sentences,
* false safety: commands turned into a safety request,
* milliseconds per utterance (median and 90th percentile).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
from collections import defaultdict
from typing import Any, Dict, List, Optional, Sequence

from .audio_gen import synthesize
from .phrases import LEXICON_INTENT, SAFETY_PHRASES
from .recognizer import SAFETY_INTENTS, Recognizer

OUT_OF_GRAMMAR: tuple[str, ...] = (
    "what time does the shop close", "send a text to john", "is it going to rain",
    "book a table for two", "find my phone", "how do you spell necessary",
    "what's the capital of france", "remind me to buy milk", "start the dishwasher",
    "translate this into spanish", "play some music", "what is the weather like tomorrow",
)
"""Sentences that are no command (`bench/voice_tune.py` tunes on other ones)."""


def _intents(rec: Recognizer, text: str) -> set[str]:
    return (rec.phrase_set.intents.get(text, set()) - {LEXICON_INTENT}) or {text}


def run(rec: Recognizer, n_phrases: int = 30, voices: Sequence[str] = ("en-us", "en-us+f2"),
        noisy_snr_db: float = 15.0, noise: str = "pink", seed: int = 1,
        out_of_grammar: Sequence[str] = OUT_OF_GRAMMAR) -> Dict[str, Any]:
    """Measure and return a summary dict."""
    rng = random.Random(seed)
    pool = sorted(p for p in rec.phrases
                  if _intents(rec, p) - {p} and p not in SAFETY_PHRASES)
    phrases = rng.sample(pool, min(n_phrases, len(pool)))
    counts: Dict[str, List[int]] = defaultdict(lambda: [0, 0])
    ms: List[float] = []
    misses: List[Dict[str, Any]] = []

    def tally(key: str, ok: bool) -> None:
        counts[key][0] += int(ok)
        counts[key][1] += 1

    for voice in voices:
        for cond, snr in (("clean", None), ("noisy", noisy_snr_db)):
            def hear(text: str, voice: str = voice, snr: Optional[float] = snr) -> Any:
                res = rec.recognize(synthesize(text, voice, snr_db=snr, noise=noise).pcm)
                ms.append(res.ms)
                return res

            for text in phrases:
                res = hear(text)
                ok = not res.rejected and bool(_intents(rec, text) & _intents(rec, res.text))
                tally(f"command_accuracy/{cond}", ok)
                tally(f"command_exact/{cond}", not res.rejected and res.text == text)
                if not (_intents(rec, text) & SAFETY_INTENTS):
                    tally(f"false_safety/{cond}", not res.rejected and res.safety)
                if not ok:
                    misses.append({"said": text, "voice": voice, "cond": cond,
                                   "heard": res.text, "rejected": res.rejected})
            for text in SAFETY_PHRASES:
                res = hear(text)
                ok = not res.rejected and res.safety
                tally(f"safety_recall/{cond}", ok)
                tally(f"safety_exact/{cond}",
                      ok and f" {text} " in f" {res.text} ")
                if not ok:
                    misses.append({"said": text, "voice": voice, "cond": cond,
                                   "heard": res.text, "rejected": res.rejected})
            for text in out_of_grammar:
                res = hear(text)
                tally(f"oog_rejection/{cond}", res.rejected)
                if not res.rejected:
                    misses.append({"said": text, "voice": voice, "cond": cond,
                                   "heard": res.text, "rejected": False})
    ms.sort()
    return {
        "voices": list(voices), "phrases": len(phrases), "noise": f"{noise} {noisy_snr_db} dB SNR",
        "rates": {k: {"ok": v[0], "n": v[1], "rate": round(v[0] / v[1], 3)}
                  for k, v in sorted(counts.items())},
        "ms_median": round(statistics.median(ms), 1),
        "ms_p90": round(ms[int(0.9 * (len(ms) - 1))], 1),
        "misses": misses,
    }


def run_voice_set(rec: Recognizer, path: str, voices: Sequence[str],
                  speeds: Sequence[int] = (150, 170, 190), noisy_snr_db: float = 15.0,
                  noise: str = "pink") -> Dict[str, Any]:
    """Measure on a spoken test set (``bench/voice_set.yml``: commands with intents, safety
    phrases with their safety intents, out-of-grammar sentences), clean and noisy, including
    :meth:`Recognizer.spot_safety`. Do not tune on the voices the benchmark reports."""
    import yaml

    with open(path, encoding="utf-8") as f:
        doc = yaml.load(f, Loader=yaml.BaseLoader)  # BaseLoader: "yes"/"no" stay strings
    counts: Dict[str, List[int]] = defaultdict(lambda: [0, 0])
    ms: List[float] = []
    spot_ms: List[float] = []
    misses: List[Dict[str, Any]] = []

    def tally(key: str, ok: bool, info: Dict[str, Any]) -> None:
        counts[key][0] += int(ok)
        counts[key][1] += 1
        if not ok:
            misses.append(dict(info, check=key))

    items = ([("command", t, i) for t, i in doc.get("commands", [])]
             + [("safety", t, i) for t, i in doc.get("safety", [])]
             + [("oog", t, None) for t in doc.get("out_of_grammar", [])])
    for voice in voices:
        for speed in speeds:
            for cond, snr in (("clean", None), ("noisy", noisy_snr_db)):
                for kind, text, intent in items:
                    pcm = synthesize(text, voice, speed, snr_db=snr, noise=noise).pcm
                    res, spot = rec.recognize(pcm), rec.spot_safety(pcm)
                    ms.append(res.ms)
                    spot_ms.append(spot.ms)
                    info = {"said": text, "voice": voice, "speed": speed, "cond": cond,
                            "heard": res.text, "rejected": res.rejected, "spot": spot.text}
                    if kind == "command":
                        tally(f"command_accuracy/{cond}",
                              not res.rejected and res.intent == intent, info)
                        if intent not in SAFETY_INTENTS:
                            tally(f"false_safety/{cond}", res.rejected or not res.safety, info)
                            tally(f"spot_no_false_trigger/{cond}", spot.rejected, info)
                    elif kind == "safety":
                        tally(f"safety_recall/{cond}", not res.rejected and res.safety
                              and res.intent == intent, info)
                        tally(f"spot_recall/{cond}", not spot.rejected and spot.safety, info)
                    else:
                        tally(f"oog_rejection/{cond}", res.rejected, info)
    ms.sort()
    spot_ms.sort()
    return {
        "voices": list(voices), "speeds": list(speeds),
        "rates": {k: {"ok": v[0], "n": v[1], "rate": round(v[0] / v[1], 3)}
                  for k, v in sorted(counts.items())},
        "ms_median": round(statistics.median(ms), 1),
        "ms_p90": round(ms[int(0.9 * (len(ms) - 1))], 1),
        "spot_ms_median": round(statistics.median(spot_ms), 1),
        "spot_ms_p90": round(spot_ms[int(0.9 * (len(spot_ms) - 1))], 1),
        "misses": misses,
    }


def main(argv: Optional[Sequence[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--phrases", type=int, default=30)
    ap.add_argument("--voices", nargs="+", default=["en-us", "en-us+f2", "en-us+klatt3",
                                                    "en-us+adam"])
    ap.add_argument("--snr", type=float, default=15.0)
    ap.add_argument("--noise", default="pink", choices=["white", "pink", "brown"])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--misses", action="store_true", help="also list every miss")
    ap.add_argument("--voice-set", metavar="YAML",
                    help="measure on a spoken test set (e.g. bench/voice_set.yml) instead")
    ap.add_argument("--speeds", nargs="+", type=int, default=[150, 170, 190])
    args = ap.parse_args(argv)
    if args.voice_set:
        summary = run_voice_set(Recognizer(), args.voice_set, args.voices, args.speeds,
                                args.snr, args.noise)
    else:
        summary = run(Recognizer(), args.phrases, args.voices, args.snr, args.noise, args.seed)
    if not args.misses:
        summary.pop("misses")
    print(json.dumps(summary, indent=1))
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
