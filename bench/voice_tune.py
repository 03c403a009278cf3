"""Tune the recogniser's decision thresholds on voices the benchmark never uses.

    .venv/bin/python bench/voice_tune.py            # report the current defaults, then search
    .venv/bin/python bench/voice_tune.py --report   # only report the current defaults

The tuning set: 13 voices (9 espeak-ng variants and flite's 4 voices built from recordings of
real speakers; none of them is a benchmark voice), the documented phrases of
:data:`stretch_coach.voice.phrases.CORE_PHRASES`, natural variants of them that are *not* in the
core grammar, and 26 sentences that are no command (other assistants' requests and the chatter
of two partners; none is in ``bench/voice_set.yml``), and the bare pain ratings ("six"), which are reported on their own. Every clip is said at a random speed,
clean and with pink noise at 15 dB SNR, as in the benchmark.

Every search (core grammar, extended grammar, phone loop, safety passes) is decoded once per
clip in two processes (~4 min); the decision is then replayed for each candidate setting in
milliseconds (:meth:`Recognizer.recognize` with ``passes``), and a coordinate search maximises

    commands + 2 x safety-any + safety-exact + 0.7 x out-of-grammar rejected
    - 1.5 x commands taken for safety - 3 x safety phrases taken for another command

(percentages). The weights say what the product needs: a safety phrase heard as another
command is the worst failure (the stretch goes on); a missed one that is only "not understood"
pauses a running hold (``machine._fallback``); a command heard as "stop" costs a "resume".
The search prints the settings; copy them into :class:`RecognizerConfig` by hand.

``en-us+Alicia`` was left out: it is recognised at 11 % (a voice unlike any speaker).
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import multiprocessing as mp
import random
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any, Dict, List, Tuple

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from stretch_coach import contract as C  # noqa: E402
from stretch_coach.voice.audio_gen import synthesize  # noqa: E402
from stretch_coach.voice.phrases import CORE_PHRASES, RATING_WORDS  # noqa: E402
from stretch_coach.voice.recognizer import EXPECT_RATING, Recognizer, RecognizerConfig  # noqa: E402

VOICES = ("en-us+m1", "en-us+m6", "en-us+f1", "en-us+f3", "en-us+klatt2", "en-us+Andy",
          "en-us+Annie", "en-us+Mike", "en-us+Rob", "flite:slt", "flite:rms", "flite:awb",
          "flite:kal16")
SPEEDS = (140, 155, 170, 185, 200)
VARIANTS = {  # natural wordings that are not core phrases (some are in the extended grammar)
    "move on": C.NEXT_STEP, "keep going": C.RESUME, "switch sides": C.SWITCH_LEGS,
    "a little harder": C.HARDER, "go easy": C.EASIER, "how much longer": C.HOW_LONG_LEFT,
    "my knee hurts": C.DISCOMFORT, "that's enough": C.TOO_MUCH_PRESSURE, "hold on": C.PAUSE,
    "stop please": C.STOP_SESSION, "owww": C.DISCOMFORT, "it's too much": C.TOO_MUCH_PRESSURE,
    "lighter please": C.TOO_MUCH_PRESSURE, "one more time": C.REPEAT, "sure": C.AFFIRM, "nope": C.DENY,
}
NOT_COMMANDS = (
    "what time does the shop close", "send a text to john", "is it going to rain",
    "book a table for two", "find my phone", "remind me to buy milk", "start the dishwasher",
    "turn on the lights", "what's on tv tonight", "did you feed the cat", "I like your socks",
    "we should get lunch after this", "where did I put my keys", "tell me a joke",
    "how far is the airport", "my sister is coming over later", "can you believe that game",
    "let me check my phone", "the floor is cold", "pass me the water bottle",
    "what's the score", "turn the volume down", "I'm getting hungry", "nice weather today",
    "which bus goes downtown", "buy some bread",
)
GRID: Dict[str, List[float]] = {
    "reject_threshold": [-3.2, -3.4, -3.6, -3.8, -4.0, -4.2, -4.4],
    "extended_reject_threshold": [-3.0, -3.3, -3.6, -3.9, -4.2],
    "min_coverage": [0.5, 0.6, 0.65, 0.7, 0.8],
    "core_threshold": [-2.8, -3.0, -3.2, -3.6, -4.0, -4.4],
    "safety_threshold": [-3.6, -4.0, -4.4, -4.8, -5.2],
    "safety_margin": [0.0, 0.35, 0.8, 1.2, 1.6, 2.0, 3.0],
    "safety_min_coverage": [0.4, 0.5, 0.6, 0.7],
    "lexicon_only_margin": [0.0, 0.5, 1.0],
    "fallback_threshold": [-3.3, -3.7, -4.1, -4.5, -5.0],
    "fallback_min_coverage": [0.4, 0.5, 0.6, 0.7],
    "safety_only_margin": [-0.3, -0.1, 0.0, 0.1, 0.2, 0.3, 0.5],
    "prefix_threshold": [-3.6, -4.0, -4.4, -5.0],
    "safety_prefix_threshold": [-4.0, -5.0, -6.0],
}

Clip = Dict[str, Any]
RATING = "rating"  # a bare pain rating ("six"): reported on its own, not in the objective


def clips(cache: Path) -> List[Clip]:
    """Synthesise (once; cached as raw PCM) every item in every voice and condition."""
    cache.mkdir(parents=True, exist_ok=True)
    items = list(CORE_PHRASES.items()) + list(VARIANTS.items())
    items += [(t, None) for t in NOT_COMMANDS] + [(t, RATING) for t in RATING_WORDS]
    rng = random.Random(7)
    out = []
    for voice in VOICES:
        for cond in ("clean", "noisy"):
            for text, intent in items:
                speed = rng.choice(SPEEDS)
                kind = ("oog" if intent is None else "rating" if intent == RATING else
                        "safety" if intent in C.SAFETY_INTENTS else "command")
                intent = C.DISCOMFORT if intent == RATING else intent
                key = hashlib.md5(f"{text}|{voice}|{speed}|{cond}".encode()).hexdigest()
                path = cache / f"{key}.raw"
                if not path.exists():
                    clip = synthesize(text, voice, speed, noise="sox-pink",
                                      snr_db=15.0 if cond == "noisy" else None)
                    path.write_bytes(clip.pcm)
                out.append({"text": text, "intent": intent, "kind": kind, "voice": voice,
                            "cond": cond, "file": str(path)})
    return out


_REC: Any = None


def _init() -> None:
    global _REC
    _REC = Recognizer()


def _decode(clip: Clip) -> Any:
    return _REC.decode_all(Path(clip["file"]).read_bytes())


def metrics(rows: List[Tuple[Clip, Any]], key: Any = lambda c: "all") -> Dict[str, float]:
    counts: Dict[str, List[int]] = defaultdict(lambda: [0, 0])

    def tally(name: str, ok: bool) -> None:
        counts[name][0] += int(ok)
        counts[name][1] += 1

    for c, r in rows:
        g = key(c)
        accepted = not r.rejected
        if c["kind"] == "command":
            tally(f"commands/{g}", accepted and r.intent == c["intent"])
            tally(f"command_taken_for_safety/{g}", accepted and r.safety)
        elif c["kind"] == "safety":
            tally(f"safety_exact/{g}", accepted and r.safety and r.intent == c["intent"])
            tally(f"safety_any/{g}", accepted and r.safety)
            tally(f"safety_taken_for_command/{g}", accepted and not r.safety)
        elif c["kind"] in ("rating", "rating_asked"):
            name = "ratings" if c["kind"] == "rating" else "ratings_when_asked"
            tally(f"{name}/{g}", accepted and r.intent == c["intent"])
        else:
            tally(f"not_command_rejected/{g}", not accepted)
    return {k: round(100.0 * v[0] / v[1], 1) for k, v in sorted(counts.items())}


def _missed(c: Clip, r: Any) -> bool:
    if c["kind"] == "oog":
        return not r.rejected
    if c["kind"] == "safety":
        return r.rejected or not r.safety
    return r.rejected or r.intent != c["intent"]  # command, rating


def objective(m: Dict[str, float]) -> float:
    return (m["commands/all"] + 2 * m["safety_any/all"] + m["safety_exact/all"]
            + 0.7 * m["not_command_rejected/all"] - 1.5 * m["command_taken_for_safety/all"]
            - 3 * m["safety_taken_for_command/all"])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cache", type=Path, default=ROOT / "build" / "voice_tune")
    ap.add_argument("--report", action="store_true", help="only report the current defaults")
    ap.add_argument("--misses", type=int, default=0, metavar="N",
                    help="with --report: also list the N commonest misses of each kind")
    args = ap.parse_args()
    t0 = time.time()
    corpus = clips(args.cache)
    print(f"{len(corpus)} clips ready in {time.time() - t0:.0f} s", flush=True)
    with mp.get_context("spawn").Pool(2, initializer=_init) as pool:
        passes = pool.map(_decode, corpus, chunksize=20)
    print(f"decoded in {time.time() - t0:.0f} s", flush=True)
    rec = Recognizer()

    def run(settings: Dict[str, float]) -> List[Tuple[Clip, Any]]:
        rec.config = dataclasses.replace(RecognizerConfig(), **settings)
        rows = [(c, rec.recognize(b"", passes=p)) for c, p in zip(corpus, passes, strict=True)]
        # the ratings again, as answers to the coach's "from zero to ten?"
        rows += [(dict(c, kind="rating_asked"), rec.recognize(b"", passes=p, expect=EXPECT_RATING))
                 for c, p in zip(corpus, passes, strict=True) if c["kind"] == "rating"]
        return rows

    current = run({})
    print("current defaults:", json.dumps(metrics(current, key=lambda c: c["cond"])))
    if args.report:
        for kind in ("command", "safety", "rating", "rating_asked", "oog"):
            misses = Counter((c["text"], "(rejected)" if r.rejected else r.text)
                             for c, r in current if c["kind"] == kind and _missed(c, r))
            for (said, heard), n in misses.most_common(args.misses):
                print(f"  {kind:8} {n:3}  {said!r} -> {heard!r}")
        return 0
    best_settings: Dict[str, float] = {}
    best = objective(metrics(run(best_settings)))
    for _ in range(3):
        changed = False
        for name, values in GRID.items():
            for value in values:
                trial = dict(best_settings, **{name: value})
                score = objective(metrics(run(trial)))
                if score > best + 1e-9:
                    best, best_settings, changed = score, trial, True
        if not changed:
            break
    print("found:", json.dumps(best_settings))
    print("metrics:", json.dumps(metrics(run(best_settings), key=lambda c: c["cond"])))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
