"""The foreground gate (stretch_voice/foreground.py), tuned where the bench never listens: the
tuning voices, the training rooms and a TV voice neither the bench nor the tests use.

    .venv/bin/python -m lab.experiments.foreground_tune [--margins 0 3 4 6] [--tv 15 10 5]

Each voice says every command and safety phrase of lab/bench/voice_set.yml, 2 s apart, in one
stream while a TV talks on throughout. For each setting: phrases whose utterance ends within
1 s of the phrase's end (answered), utterances that hold no phrase (the TV heard as a person), the
end-of-speech error, and, through Whisper and our NLU (the trained model, in process), commands
right, safety phrases that became a safety intent, and TV-only utterances that became a command.
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

import yaml

from lab import room
from stretch_coach import contract
from stretch_voice.foreground import ForegroundGate
from stretch_voice.recognizer import Recognizer
from stretch_voice.vad import UtteranceDetector

ROOT = Path(__file__).resolve().parents[2]
VOICES = ("en-us+m1", "en-us+f3", "flite:kal16")
TV_VOICE = "en-gb+Gene"
ROOMS = ("train-hall", "train-small")


def utterances(pcm: bytes, margin: float | None, duck: float | None, share: float, args) -> list:
    """The detector's utterances, with a gate of these settings (``margin`` None: no gate)."""
    det = UtteranceDetector(foreground=margin is not None)
    if margin is not None:
        det.gate = ForegroundGate(margin_db=margin, duck_db=duck, talk_share=share,
                                  percentile=args.percentile)
    return det.feed(pcm) + det.flush()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--margins", nargs="+", default=["off", "0", "3", "6"])
    ap.add_argument("--tv", nargs="+", default=["15", "10", "5"],
                    help="dB below the speech, or off (no TV: does the gate close on the "
                         "partners' own talk?)")
    ap.add_argument("--gap", type=float, default=2.0, help="seconds between the phrases")
    ap.add_argument("--shares", nargs="+", type=float, default=[0.7],
                    help="talk shares at which the gate takes another voice to be talking on")
    ap.add_argument("--percentile", type=float, default=90.0)
    ap.add_argument("--ducks", nargs="+", default=["off", "20"])
    args = ap.parse_args()
    from rasa.core.agent import Agent

    data = yaml.safe_load((ROOT / "lab" / "bench" / "voice_set.yml").read_text())
    items = [(p, i) for p, i in data["commands"] + data["safety"]]
    agent = Agent.load(str(ROOT / "models" / "current.tar.gz"))
    rec = Recognizer()
    loop = asyncio.new_event_loop()

    def intent(text: str) -> str:
        return loop.run_until_complete(agent.parse_message(text))["intent"]["name"] if text else ""

    for tv, share, margin, duck in [(t, sh, m, d) for t in args.tv for sh in args.shares
                                    for m in args.margins for d in args.ducks]:
        tv_db = None if tv == "off" else float(tv)
        m = None if margin == "off" else float(margin)
        if m is None and (duck != "off" or share != args.shares[0]):
            continue
        t = {"answered": 0, "n": 0, "spurious": 0, "spurious_cmd": 0, "cmd_ok": 0, "cmd": 0,
             "safe_ok": 0, "safe": 0}
        for i, voice in enumerate(VOICES):
            pcm, spans = room.scene([p for p, _ in items], voice, 160, ROOMS[i % 2], tv_db,
                                    TV_VOICE, gap_s=args.gap, seed=i)
            utts = utterances(pcm, m, None if duck == "off" else float(duck), share, args)
            for (_, want), (a, b) in zip(items, spans, strict=True):
                mine = [u for u in utts if u.speech_start_s < b and u.speech_end_s > a]
                t["n"] += 1
                ended = [u for u in mine if u.end_s <= b + 1.0]
                t["answered"] += bool(ended)
                got = intent(rec.transcribe(ended[0].pcm).text) if ended else ""
                kind = "safe" if want in contract.SAFETY_INTENTS else "cmd"
                t[kind] += 1
                ok = got in contract.SAFETY_INTENTS if kind == "safe" else got == want
                t[kind + "_ok"] += ok
            for u in utts:
                if not any(u.speech_start_s < b and u.speech_end_s > a for a, b in spans):
                    t["spurious"] += 1
                    got = intent(rec.transcribe(u.pcm).text)
                    t["spurious_cmd"] += got not in ("", "out_of_scope", "nlu_fallback")
        print(f"tv {tv:>4} dB share {share} margin {margin:>4} duck {duck:>4}: answered {t['answered']}/{t['n']}, "
              f"commands {t['cmd_ok']}/{t['cmd']}, safety {t['safe_ok']}/{t['safe']}, "
              f"TV-only utterances {t['spurious']} ({t['spurious_cmd']} became an intent)",
              flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
