"""Where a moving command should count as heard in doubt: the safety detector's probability
below its own threshold, read on the detector's held-out voices (never the bench's).

    .venv/bin/python -m lab.experiments.doubt_tune [--rounds 2] [--doubts 0.2 0.3 0.5 0.7]

Each phrase of the detector's data (lab/safety/data.py: our safety requests, commands, partner
talk and chatter) in each held-out voice, in a random condition of its training rooms, noise, TV
and phone path, goes through the recogniser (safety ear and detector) and our NLU (the trained
model, in process). For each doubt level, on the calibration voices (tuning) and the evaluation
voices (reported, not tuned on): safety phrases that became a command that moves the session on
(the dangerous miss) and how many of them a doubt would have stopped, and other speech that
became a moving command and would have been stopped (commands lost, or partner talk spared).
"""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path

from lab.safety import data
from stretch_coach import contract

ROOT = Path(__file__).resolve().parents[2]


def heard(rec, parse, exs: list) -> list[dict]:
    """One row per example: its label, the transcript, the detector's probability, the intent."""
    rows = []
    for ex in exs:
        pcm, label = data.render(ex)
        t = rec.transcribe(pcm)
        intent, confidence = parse(t.text) if t.text else ("", 0.0)
        rows.append({"phrase": ex.text, "label": label, "text": t.text, "safety": t.safety,
                     "p": t.safety_p, "logprob": t.logprob, "no_speech": t.no_speech,
                     "intent": intent, "confidence": confidence})
    return rows


def table(name: str, rows: list[dict], doubts: list[float]) -> None:
    """Per doubt level: dangerous misses left, moving commands stopped among other speech."""
    moving = set(contract.MOVING_INTENTS)
    safe = [r for r in rows if r["label"] != "none"]
    other = [r for r in rows if r["label"] == "none"]
    danger = [r for r in safe if r["intent"] in moving]
    other_moving = [r for r in other if r["intent"] in moving]
    print(f"\n{name}: {len(safe)} safety clips, {len(other)} others; "
          f"dangerous {len(danger)}, others -> moving {len(other_moving)}")
    for r in danger:
        print(f"  dangerous: {r['phrase']!r} heard {r['text']!r} -> {r['intent']} p={r['p']:.3f}")
    for d in doubts:
        left = sum(r["p"] < d for r in danger)
        stopped = [r for r in other_moving if r["p"] >= d]
        print(f"  doubt >= {d:.2f}: dangerous left {left}/{len(danger)}, "
              f"moving others stopped {len(stopped)}/{len(other_moving)} "
              f"({', '.join(sorted({r['phrase'] for r in stopped}))[:200]})")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=4, help="conditions per phrase and voice (tuning)")
    ap.add_argument("--eval-rounds", type=int, default=2, help="the same, for the evaluation")
    ap.add_argument("--seed", type=int, default=300)
    ap.add_argument("--doubts", nargs="+", type=float,
                    default=[0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9])
    ap.add_argument("--out", default=str(ROOT / "results" / "doubt_tune.json"))
    args = ap.parse_args()
    from rasa.core.agent import Agent

    from stretch_voice.recognizer import Recognizer

    agent = Agent.load(str(ROOT / "models" / "current.tar.gz"))
    loop = asyncio.new_event_loop()

    def parse(text: str) -> tuple[str, float]:
        intent = loop.run_until_complete(agent.parse_message(text))["intent"]
        return intent["name"], float(intent.get("confidence") or 0.0)

    rec = Recognizer()
    held = data.voices(held_out=True)
    out = {}
    for name, voices, rounds in (("calibration", held[0::2], args.rounds),
                                 ("evaluation", held[1::2], args.eval_rounds)):
        exs = [e for r in range(rounds) for e in data.examples(voices, args.seed + r)]
        out[name] = heard(rec, parse, exs)
        table(f"{name} voices {voices}", out[name], args.doubts)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
