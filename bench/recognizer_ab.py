"""Whisper's vocabulary prompt, A/B: the shipped ``PROMPT`` against a variant, on the tuning voices
(bench/safety_ear_tune.py: voices neither the tests nor the benchmark use), in one run.

    PYTHONPATH=. .venv/bin/python bench/prompt_ab.py "Start. Next step. ... Easier. ..."

For every phrase of bench/voice_set.yml, clean and in brown noise, both prompts transcribe the same
clip (safety ear included); our NLU (the trained model, in process) reads the transcript. Printed:
intent accuracy on commands, safety phrases that became a safety intent, out-of-scope phrases
that became an intent, and every clip on which the two prompts disagree.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from safety_ear_tune import NOISE, SPEED, TUNING_VOICES  # noqa: E402


def main(variant: str) -> None:
    from rasa.core.agent import Agent

    from devtools.audio_gen import synthesize
    from stretch_coach import contract
    from stretch_voice.recognizer import PROMPT, Recognizer

    spoken = yaml.safe_load((ROOT / "bench" / "voice_set.yml").read_text())
    items = [(p, i, "command") for p, i in spoken["commands"]]
    items += [(p, i, "safety") for p, i in spoken["safety"]]
    items += [(p, None, "oos") for p in spoken["out_of_grammar"]]
    agent = Agent.load(str(ROOT / "models" / "current.tar.gz"))
    rec = Recognizer()
    prompts = {"shipped": rec._prompt(PROMPT), "variant": rec._prompt(variant)}
    ok = {k: {"command": 0, "safety": 0, "oos": 0} for k in prompts}
    n = {"command": 0, "safety": 0, "oos": 0}

    async def intent(text: str) -> str:
        return (await agent.parse_message(text))["intent"]["name"] if text else "nlu_fallback"

    for voice in TUNING_VOICES:
        for cond, snr in NOISE.items():
            for phrase, expected, kind in items:
                pcm = synthesize(phrase, voice, SPEED.get(voice, 160), snr_db=snr,
                                 noise="sox-brown").pcm
                n[kind] += 1
                got = {}
                for name, prompt in prompts.items():
                    rec._prompts[None] = prompt
                    t = rec.transcribe(pcm)
                    i = None if t.noise else asyncio.run(intent(t.text))
                    got[name] = (t.text, i)
                    if kind == "command":
                        ok[name][kind] += i == expected
                    elif kind == "safety":
                        ok[name][kind] += i in contract.SAFETY_INTENTS
                    else:
                        ok[name][kind] += i not in (None, contract.OUT_OF_SCOPE,
                                                    contract.NLU_FALLBACK)
                if got["shipped"] != got["variant"]:
                    print(f"  {kind:7s} {phrase!r:26s} shipped {got['shipped']}  "
                          f"variant {got['variant']}  ({voice}, {cond})", flush=True)
    for name in prompts:
        o = ok[name]
        print(f"{name:8s} commands right {o['command']}/{n['command']}, safety -> safety intent "
              f"{o['safety']}/{n['safety']}, out-of-scope -> an intent {o['oos']}/{n['oos']}")


if __name__ == "__main__":
    main(sys.argv[1])
