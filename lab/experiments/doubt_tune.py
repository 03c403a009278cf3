"""Where a moving command should count as heard in doubt: the safety detector's probability
below its own threshold, read on the detector's held-out voices (never the bench's).

    .venv/bin/python -m lab.experiments.doubt_tune [--rounds 4] [--quiet 0.3 0.5] [--tv 0.1]

Each phrase of the detector's data (lab/safety/data.py: our safety requests, commands, partner
talk and chatter) in each held-out voice, in a random condition of its training rooms, noise, TV
and phone path, goes through the recogniser (safety ear and detector) and our NLU (the trained
model, in process). For the shipped rule (stretch_coach.doubt) and a grid of others, on the
calibration voices (tuning) and the evaluation voices (reported, not tuned on), in a quiet room
and with a TV on: safety phrases that became a command that moves the session on (the dangerous
miss) and are left, and other speech that became a moving command and is held back (commands
lost, or partner talk spared). ``--rows`` judges an earlier run's rows again.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path
from typing import Sequence

from lab.safety import data
from stretch_coach import contract, doubt

ROOT = Path(__file__).resolve().parents[2]


def heard(rec, parse, exs: list) -> list[dict]:
    """One row per example: its label, the transcript, the detector's probability, the intent."""
    rows = []
    for ex in exs:
        pcm, label, how = data.render_case(ex)
        t = rec.transcribe(pcm)
        intent, confidence = parse(t.text) if t.text else ("", 0.0)
        rows.append({"phrase": ex.text, "label": label, "how": how, "text": t.text,
                     "safety": t.safety,
                     "p": t.safety_p, "logprob": t.logprob, "no_speech": t.no_speech,
                     "intent": intent, "confidence": confidence})
    return rows


def table(name: str, rows: list[dict], quiet_ps: list[float], talk_ps: list[float],
          words: Sequence[int] = (), confidences: Sequence[float] = ()) -> None:
    """Dangerous misses left and moving commands held back, per rule: the shipped one
    (stretch_coach.doubt), a grid of the detector's bars in a quiet room and with a TV on (the
    TV condition stands for the foreground gate's ``room_talk``), and the shipped rule with a
    TV's long transcripts or the NLU's low confidence held back too."""
    moving = set(contract.MOVING_INTENTS)
    danger = [r for r in rows if r["label"] != "none" and r["intent"] in moving]
    others = [r for r in rows if r["label"] == "none" and r["intent"] in moving]
    print(f"\n{name}: {len(rows)} clips; safety -> moving {len(danger)}, others -> moving "
          f"{len(others)}")
    for r in danger:
        print(f"  dangerous ({r['how']}): {r['phrase']!r} heard {r['text']!r} -> {r['intent']} "
              f"p={r['p']:.3f} logprob={r['logprob']:.2f}")

    def line(label: str, rule) -> None:
        parts = []
        for part, hows in (("quiet", ("clean", "noise", "room", "phone")), ("TV", ("tv",))):
            d = [r for r in danger if r["how"] in hows]
            o = [r for r in others if r["how"] in hows]
            parts.append(f"{part}: dangerous left {sum(not rule(r) for r in d)}/{len(d)}, "
                         f"moving others held back {sum(rule(r) for r in o)}/{len(o)}")
        print(f"  {label:28} " + "; ".join(parts))

    def shipped(r: dict) -> bool:
        return doubt.in_doubt(r["intent"], doubt.Hearing(r["p"], r["logprob"], r["how"] == "tv"),
                              r["text"])

    line("shipped", shipped)
    for q in quiet_ps:
        for t in talk_ps:
            line(f"p >= {q} quiet, {t} TV", lambda r, q=q, t=t: r["p"] >= (t if r["how"] == "tv"
                                                                             else q)
                 or r["logprob"] < doubt.LOGPROB)
    for w in words:  # a TV's sentence taken for a command is long
        line(f"shipped, > {w} words TV", lambda r, w=w: shipped(r) or (
            r["how"] == "tv" and len(r["text"].split()) > w))
    for c in confidences:
        line(f"shipped, NLU < {c} TV", lambda r, c=c: shipped(r) or (
            r["how"] == "tv" and r["confidence"] < c))
    outcomes(rows)


def outcomes(rows: list[dict]) -> None:
    """What safety phrases and other speech became, in a quiet room, with a TV on, and the TV
    alone: a safety intent, a moving command, chatter (``doubt.CHATTER``: with another voice
    talking on, unclear, so a hold pauses), unclear already, or another intent."""
    def kind(r: dict) -> str:
        if r["intent"] in contract.SAFETY_INTENTS:
            return "safety"
        if r["intent"] in contract.MOVING_INTENTS:
            return "moving"
        if r["intent"] in doubt.CHATTER:
            return "chatter"
        return "unclear" if r["intent"] in ("", contract.NLU_FALLBACK) else "other"

    for part, hows in (("quiet", ("clean", "noise", "room", "phone")), ("TV", ("tv",)),
                       ("TV alone", ("tv-only",))):
        for label in ("safety", "none"):
            rs = [r for r in rows if r["how"] in hows and (r["label"] != "none") == (label == "safety")]
            if rs:
                counts = {k: sum(kind(r) == k for r in rs) for k in
                          ("safety", "moving", "chatter", "unclear", "other")}
                print(f"  {part:8} {'safety phrases' if label == 'safety' else 'other speech':14} "
                      f"({len(rs)}): " + ", ".join(f"{k} {v}" for k, v in counts.items()))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=4, help="conditions per phrase and voice (tuning)")
    ap.add_argument("--eval-rounds", type=int, default=2, help="the same, for the evaluation")
    ap.add_argument("--seed", type=int, default=300)
    ap.add_argument("--quiet", nargs="+", type=float, default=[0.1, 0.3, 0.5, 0.7])
    ap.add_argument("--tv", nargs="+", type=float, default=[0.05, 0.1, 0.2])
    ap.add_argument("--words", nargs="+", type=int, default=[4, 6, 8])
    ap.add_argument("--confidence", nargs="+", type=float, default=[0.7, 0.9])
    ap.add_argument("--rows", default=None, help="judge the rows of an earlier run's --out")
    ap.add_argument("--out", default=str(ROOT / "results" / "doubt_tune.json"))
    args = ap.parse_args()
    if args.rows:
        for name, rows in json.loads(Path(args.rows).read_text()).items():
            table(name, rows, args.quiet, args.tv, args.words, args.confidence)
        return 0
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
        table(f"{name} voices {voices}", out[name], args.quiet, args.tv, args.words,
              args.confidence)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
