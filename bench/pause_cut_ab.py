"""How much trailing silence to transcribe: the utterance cut after 150 ms of silence (the voice
loop's second guess, ``VoiceSession.retry_ms``) against the whole 300 ms pause (the VAD's end of
turn), on the benchmark's voices and phrases, in the three prompt contexts (none, after the rating
question, after the routine question).

    PYTHONPATH=. .venv/bin/python bench/pause_cut_ab.py

Each clip is transcribed from the same audio, cut where the VAD (the product's, with its
pre-roll) has heard 150 and 300 ms of silence; our NLU (the trained model, in process) reads each
transcript. Prints, per kind of phrase, how many came out right with each cut, and every clip on
which the two disagree. Deterministic: the same clips and noise every run.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from voice_bench import NOT_COMMANDS, bench_clip, load_set, set_items  # noqa: E402

VOICES = (("piper", 190), ("en-us+m3", 160), ("flite:awb", 160))
MARKS = (150, 300)


def cuts(pcm: bytes) -> dict[int, bytes]:
    """The utterance's audio once the VAD has heard each of :data:`MARKS` ms of silence."""
    from stretch_voice.vad import UtteranceDetector, iter_frames

    det, out = UtteranceDetector(), {}
    for frame in iter_frames(pcm):
        for utt in det.feed(frame):
            out.setdefault(MARKS[-1], utt.pcm)
        if det.in_speech and det.silence_ms in MARKS:
            out.setdefault(det.silence_ms, det.current_pcm())
        if MARKS[-1] in out:
            break
    return out


async def main() -> None:
    logging.disable(logging.INFO)
    from rasa.core.agent import Agent

    from stretch_voice.recognizer import EXPECT_RATING, EXPECT_ROUTINE, Recognizer

    agent = Agent.load(str(ROOT / "models" / "current.tar.gz"))
    rec = Recognizer()
    items = set_items(load_set())
    right: collections.Counter = collections.Counter()
    seen: collections.Counter = collections.Counter()
    for voice, speed in VOICES:
        for cond in ("clean", "noisy"):
            for phrase, want, kind in items:
                audio = cuts(bench_clip(phrase, voice, speed, cond))
                if len(audio) < len(MARKS):
                    continue
                for expect in (None, EXPECT_RATING, EXPECT_ROUTINE):
                    got = {}
                    for mark in MARKS:
                        text = rec.transcribe(audio[mark], expect=expect).text
                        intent = (await agent.parse_message(text))["intent"]["name"] \
                            if text else None
                        ok = intent in NOT_COMMANDS if kind == "oog" else intent == want
                        got[mark] = (text, intent)
                        right[(kind, mark)] += ok
                        seen[(kind, mark)] += 1
                    if (got[MARKS[0]][1] == want) != (got[MARKS[1]][1] == want) \
                            or got[MARKS[0]][1] != got[MARKS[1]][1]:
                        print(f"{kind:7s} {voice:10s} {cond:5s} {expect or '-':7s} {phrase!r:30} "
                              + "  ".join(f"{m} ms: {t!r} {i}" for m, (t, i) in got.items()),
                              flush=True)
    for kind in ("command", "safety", "oog"):
        print(f"{kind:7s} " + "  ".join(
            f"cut after {m} ms: {right[(kind, m)]}/{seen[(kind, m)]} right" for m in MARKS))


if __name__ == "__main__":
    asyncio.run(main())
