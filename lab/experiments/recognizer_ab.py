"""The recogniser, A/B: the shipped settings against a variant (another vocabulary prompt, other
:class:`~stretch_voice.recognizer.RecognizerConfig` values), on the tuning voices
(lab/experiments/safety_ear_tune.py: voices neither the tests nor the benchmark use), in one run.

    .venv/bin/python -m lab.experiments.recognizer_ab --prompt "Start. Next step. ... Easier."
    .venv/bin/python -m lab.experiments.recognizer_ab --set beam_size=1
    .venv/bin/python -m lab.experiments.recognizer_ab --model /path/to/whisper-base-ct2

For every phrase of lab/bench/voice_set.yml, clean and in brown noise, both settings transcribe the
same clip (safety ear included); our NLU (the trained model, in process) reads the transcript.
Printed: intent accuracy on commands, safety phrases that became a safety intent, out-of-scope
phrases that became an intent, recognition time (median, p95; the two alternate clip by clip), and
every clip on which the two disagree.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
from dataclasses import fields, replace
from pathlib import Path

import yaml

from lab.experiments.safety_ear_tune import NOISE, SPEED, TUNING_VOICES

ROOT = Path(__file__).resolve().parents[2]


def variant_config(base: object, settings: list[str]) -> object:
    """``base`` with ``key=value`` settings (typed as the dataclass's fields)."""
    types = {f.name: type(getattr(base, f.name)) for f in fields(base)}
    changes = {}
    for item in settings:
        key, _, value = item.partition("=")
        if key not in types:
            raise SystemExit(f"unknown setting {key!r}; known: {', '.join(sorted(types))}")
        changes[key] = types[key](value)
    return replace(base, **changes)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--prompt", help="the variant's vocabulary prompt (default: the shipped one)")
    ap.add_argument("--set", nargs="*", default=[], metavar="KEY=VALUE",
                    help="the variant's RecognizerConfig values")
    ap.add_argument("--model", type=Path,
                    help="the variant's model: a CTranslate2 Whisper directory (default: the shipped one)")
    args = ap.parse_args()

    from rasa.core.agent import Agent

    from lab.speech import synthesize
    from stretch_coach import contract
    from stretch_voice.recognizer import PROMPT, Recognizer

    spoken = yaml.safe_load((ROOT / "lab" / "bench" / "voice_set.yml").read_text())
    items = [(p, i, "command") for p, i in spoken["commands"]]
    items += [(p, i, "safety") for p, i in spoken["safety"]]
    items += [(p, None, "oos") for p in spoken["out_of_grammar"]]
    agent = Agent.load(str(ROOT / "models" / "current.tar.gz"))
    rec = Recognizer()
    other = Recognizer(model_path=args.model) if args.model else rec
    print(f"models loaded: shipped {rec.load_ms:.0f} ms, variant {other.load_ms:.0f} ms", flush=True)
    settings = {"shipped": (rec, rec._prompt(PROMPT), rec.config),
                "variant": (other, other._prompt(args.prompt or PROMPT),
                            variant_config(rec.config, args.set))}
    ok = {k: {"command": 0, "safety": 0, "oos": 0} for k in settings}
    ms: dict[str, list[float]] = {k: [] for k in settings}
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
                for name, (r, prompt, config) in settings.items():
                    r._prompts[None], r.config = prompt, config
                    t = r.transcribe(pcm)
                    ms[name].append(t.ms)
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
    for name in settings:
        o, v = ok[name], sorted(ms[name])
        print(f"{name:8s} commands right {o['command']}/{n['command']}, safety -> safety intent "
              f"{o['safety']}/{n['safety']}, out-of-scope -> an intent {o['oos']}/{n['oos']}, "
              f"recognition median {statistics.median(v):.0f} ms, p95 {v[int(0.95 * len(v))]:.0f} ms")


if __name__ == "__main__":
    main()
