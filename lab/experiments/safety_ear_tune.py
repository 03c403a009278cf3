"""Tuning data for the recogniser's safety ear, on voices that neither the tests nor the benchmark use.

For every phrase of lab/bench/voice_set.yml, in the tuning voices, clean and in brown noise, this
records Whisper's best transcript and its score, and the score of every safety phrase of
``SAFETY_CANDIDATES`` forced onto the same audio (``Whisper.align``). The margins in
``RecognizerConfig`` are read off this table: how far below the transcript a safety phrase scores
when the speaker said it (it should win), and when the speaker said a command (it must not).

    .venv/bin/python -m lab.experiments.safety_ear_tune [results/safety_ear.json]

Then ``--report FILE`` prints, for a range of margins, the safety clips caught and the command
and out-of-scope clips turned into a safety reading.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
TUNING_VOICES = ("en-us+m1", "en-us+f3", "flite:kal16", "piper")
"""Tests use en-us, en-us+f2, flite:slt and Piper at 140/190 wpm; the benchmark en-us+m3,
en-us+f4, flite:rms, flite:awb and Piper at 140/190. Piper has one speaker: it is tuned at 165."""
SPEED = {"piper": 165}
NOISE = {"clean": None, "brown12": 12.0}


def collect(out: Path) -> None:
    from lab.speech import synthesize
    from stretch_voice.recognizer import Recognizer
    from stretch_voice.safety_words import is_safety_text

    spoken = yaml.safe_load((ROOT / "lab" / "bench" / "voice_set.yml").read_text())
    phrases = [(p, "safety") for p, _ in spoken["safety"]]
    phrases += [(p, "command") for p, _ in spoken["commands"]]
    phrases += [(p, "oos") for p in spoken["out_of_grammar"]]
    rec = Recognizer()
    rows = []
    for voice in TUNING_VOICES:
        for cond, snr in NOISE.items():
            for phrase, kind in phrases:
                clip = synthesize(phrase, voice, SPEED.get(voice, 160), snr_db=snr,
                                  noise="sox-brown")
                best, scores, nbest = rec.second_look_scores(clip.pcm)
                rows.append({"voice": voice, "cond": cond, "phrase": phrase, "kind": kind,
                             "text": best.text, "logprob": best.logprob,
                             "safety": best.safety, "said_safety": is_safety_text(phrase),
                             "scores": scores, "nbest": nbest})
                print(json.dumps(rows[-1]), flush=True)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(rows, indent=1))


def report(path: Path) -> None:
    """Run the recogniser's own decision (``pick_safety``) over the recorded scores for a grid of
    margins: safety clips caught, and command / out-of-scope clips turned into a safety reading."""
    from dataclasses import replace

    from stretch_voice.recognizer import RecognizerConfig, pick_safety

    rows = json.loads(path.read_text())
    base = RecognizerConfig()
    print(f"{len(rows)} clips; Whisper alone wrote a safety phrase for "
          f"{sum(r['safety'] for r in rows if r['kind'] == 'safety')} of "
          f"{sum(r['kind'] == 'safety' for r in rows)} safety clips")
    print("n-best  second  words | safety caught | commands -> safety | out-of-scope -> safety")
    for words in (3, 5):
        for nbest in (-1.0, 0.25, 0.5, 1.0):
            for listen in (-9.0, 0.25, 0.5, 0.75):
                cfg = replace(base, safety_margin=nbest, listen_margin=listen,
                              safety_ear_words=words)
                hit = {"safety": 0, "command": 0, "oos": 0}
                total = {"safety": 0, "command": 0, "oos": 0}
                for r in rows:
                    total[r["kind"]] += 1
                    short = len(r["text"].split()) <= words
                    if r["safety"] or (short and pick_safety(
                            [tuple(h) for h in r["nbest"]], r["scores"], cfg)):
                        hit[r["kind"]] += 1
                print(f"{nbest:6.2f} {listen:7.2f} {words:6d} | {hit['safety']:4d}/{total['safety']}"
                      f"      | {hit['command']:4d}/{total['command']}          "
                      f"| {hit['oos']:3d}/{total['oos']}")
    cfg = base
    print(f"\nwith the shipped settings (n-best {cfg.safety_margin}, second look "
          f"{cfg.listen_margin}, {cfg.safety_ear_words} words):")
    for r in rows:
        short = len(r["text"].split()) <= cfg.safety_ear_words
        got = None if r["safety"] or not short else pick_safety(
            [tuple(h) for h in r["nbest"]], r["scores"], cfg)
        if (r["kind"] == "safety") != bool(r["safety"] or got):
            print(f"  {r['kind']:8s} {r['phrase']!r:22s} heard {r['text']!r:26s} -> "
                  f"{got[0] if got else 'not safety'} ({r['voice']}, {r['cond']})")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--report"]:
        report(Path(sys.argv[2]))
    else:
        collect(Path(sys.argv[1] if len(sys.argv) > 1 else ROOT / "results" / "safety_ear.json"))
