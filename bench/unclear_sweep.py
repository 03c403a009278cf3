"""How the recogniser's ``unclear_logprob`` trades lost commands against out-of-scope speech taken
for a command, on the tuning voices (bench/safety_ear_tune.py: voices neither the tests nor the
benchmark use).

    PYTHONPATH=. .venv/bin/python bench/unclear_sweep.py

Every phrase of bench/voice_set.yml, clean and in brown noise, is transcribed once with the shipped
settings and the gate off; our NLU (the trained model, in process) reads each transcript. Then,
for each threshold, a transcript with no safety word below it counts as unclear (the coach
re-prompts, and during a hold pauses it). Printed per threshold: commands right, commands lost to
the gate (right before, unclear now), safety phrases still a safety intent, safety phrases that
became unclear (the coach then re-prompts or, during a hold, pauses), and out-of-scope phrases
still taken for an intent; then every transcript the strictest threshold turns unclear.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from dataclasses import replace
from pathlib import Path

import yaml

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from safety_ear_tune import NOISE, SPEED, TUNING_VOICES  # noqa: E402

THRESHOLDS = (-100.0, -1.4, -1.2, -1.0, -0.9, -0.8, -0.7)


def main() -> None:
    from rasa.core.agent import Agent

    from devtools.audio_gen import synthesize
    from stretch_coach import contract
    from stretch_voice.recognizer import Recognizer

    logging.getLogger().setLevel(logging.WARNING)
    spoken = yaml.safe_load((ROOT / "bench" / "voice_set.yml").read_text())
    items = [(p, i, "command") for p, i in spoken["commands"]]
    items += [(p, i, "safety") for p, i in spoken["safety"]]
    items += [(p, None, "oos") for p in spoken["out_of_grammar"]]
    agent = Agent.load(str(ROOT / "models" / "current.tar.gz"))
    rec = Recognizer()
    rec.config = replace(rec.config, unclear_logprob=-100.0)

    async def intent(text: str) -> str:
        return (await agent.parse_message(text))["intent"]["name"] if text else contract.NLU_FALLBACK

    heard = []  # (kind, expected, voice, condition, phrase, text, logprob, safety, intent)
    for voice in TUNING_VOICES:
        for cond, snr in NOISE.items():
            for phrase, expected, kind in items:
                pcm = synthesize(phrase, voice, SPEED.get(voice, 160), snr_db=snr,
                                 noise="sox-brown").pcm
                t = rec.transcribe(pcm)
                got = None if t.noise else asyncio.run(intent(t.text))
                heard.append((kind, expected, voice, cond, phrase, t.text, t.logprob, t.safety, got))

    def right(kind: str, expected: str, got: str) -> bool:
        if kind == "command":
            return got == expected
        if kind == "safety":
            return got in contract.SAFETY_INTENTS
        return got in (None, contract.OUT_OF_SCOPE, contract.NLU_FALLBACK)

    n = {k: sum(1 for h in heard if h[0] == k) for k in ("command", "safety", "oos")}
    print(f"{n['command']} commands, {n['safety']} safety phrases, {n['oos']} out-of-scope "
          f"({', '.join(TUNING_VOICES)}; {', '.join(NOISE)})")
    print("threshold | commands right (lost to the gate) | safety -> safety intent (unclear) "
          "| out-of-scope -> an intent")
    for threshold in THRESHOLDS:
        ok = {"command": 0, "safety": 0, "oos": 0}
        lost = unclear_safety = 0
        for kind, expected, _, _, _, text, logprob, safety, got in heard:
            gated = bool(text) and not safety and logprob < threshold
            now = contract.NLU_FALLBACK if gated else got
            ok[kind] += right(kind, expected, now)
            lost += gated and kind == "command" and right(kind, expected, got)
            unclear_safety += gated and kind == "safety"
        print(f"{threshold:9.1f} | {ok['command']:4d}/{n['command']} ({lost:2d}) "
              f"| {ok['safety']:4d}/{n['safety']} ({unclear_safety}) "
              f"| {n['oos'] - ok['oos']:3d}/{n['oos']}")
    strictest = THRESHOLDS[-1]
    print(f"\nturned unclear at {strictest}:")
    for kind, expected, voice, cond, phrase, text, logprob, safety, got in heard:
        if text and not safety and logprob < strictest:
            mark = "right" if right(kind, expected, got) else "wrong"
            print(f"  {logprob:6.2f} {kind:7s} {phrase!r:30s} -> {text!r} {got} ({mark}; {voice}, {cond})")


if __name__ == "__main__":
    main()
