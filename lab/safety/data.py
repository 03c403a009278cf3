"""What the safety detector learns from: our safety requests and things that are not, spoken by
synthetic voices no benchmark or test uses, in rooms, noise, TV babble and a phone's path that
the benchmark does not use either. Deterministic for a given seed."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Iterator, Optional

import numpy as np

from lab import room as R
from lab.speech import add_noise
from stretch_voice import SAMPLE_RATE

SAFETY = {
    "stop": ["stop", "stop it", "stop stop", "stop the stretch", "stop now", "please stop",
             "okay stop", "stop please"],
    "discomfort": ["ouch", "ow", "ow ow", "ouch that hurts", "that hurts", "it hurts",
                   "my knee hurts", "my back hurts", "my hamstring hurts", "that really hurts",
                   "ah that hurts", "owww", "ouch ouch", "it's hurting"],
    "too_much": ["too much", "too much pressure", "that's too much", "ease off", "ease up",
                 "easy easy", "not so hard", "back off a bit", "too far"],
    "pause": ["pause", "wait", "wait a moment", "hang on", "wait wait", "give me a second",
              "pause please", "one second"],
}
"""Our safety requests per class, as people on the floor say them."""

OTHER = [
    # commands and answers, including the sound-alikes of safety words
    "start", "let's start", "next step", "next", "go back", "harder", "a bit harder", "easier",
    "gentler", "switch legs", "other leg", "switch roles", "resume", "carry on", "keep going",
    "how long left", "hold longer", "repeat that", "help", "hello", "goodbye", "yes", "no",
    "thank you", "the seated one", "the kneeling one", "standing double leg", "the wrist pull",
    "how do i do the seated one", "what's next", "three", "about a six", "two out of ten",
    "nine", "okay", "sure", "not now", "start the session", "push a little more", "hurry up",
    "watch this", "top", "stock", "wrist", "mouse", "heart", "out", "oh well", "too",
    # partner talk and chatter (other phrasings than the benchmark's)
    "you're doing really well", "almost done now", "looking good", "do you want a drink",
    "how are you doing", "is that alright", "deep breath in", "let your leg relax",
    "straighten your knee a little", "good job", "that was fun", "my turn next",
    "can you see the screen", "where's my phone", "i'm getting hungry", "let's try again",
    "what time is it", "turn the music down", "did you hear that", "shall we swap after this",
]
"""Not a safety request: commands, answers, partner talk and chatter."""

TV_LINES = (
    "in other news the city council voted to extend the opening hours of the library",
    "the forecast for tomorrow is mostly dry with a light breeze from the north",
    "after the break we meet a family who built their own boat in the back garden",
    "the match ended in a draw, leaving both teams level at the top of the table",
    "shares fell sharply this morning before recovering some ground in the afternoon",
    "join us again next week for another episode of the nation's favourite quiz",
)
"""The training TV's lines (the benchmark's TV says others, in other voices)."""

BASES = ("en-us", "en", "en-gb-scotland", "en-029", "en-gb-x-rp", "en-gb-x-gbclan")
VARIANTS = ("Alex", "Andy", "Annie", "belinda", "benjamin", "david", "ed", "Hugo", "Jacky", "Lee",
            "Michael", "paul", "quincy", "rob", "robert", "steph", "anika", "grandpa", "klatt",
            "m2", "m5", "m6", "m7", "f1", "f5", "steph2", "iven", "max", "john", "shelby")
HELD_OUT = ("m4", "f2", "travis", "victor", "norbert", "aunty", "Gene2", "edward2")
"""Variants only the evaluation hears (no benchmark, test, tuning or TV voice uses them)."""
TV_VOICES = ("en-us+m8", "en+klatt2", "en-gb-x-rp+linda")
USED_ELSEWHERE = {"en-us", "en-us+f2", "en-us+m3", "en-us+f4", "en-us+m1", "en-us+f3",
                  "en-gb-x-rp+Mike", "en-029+Linda", "en-gb-scotland+Edward", "en-gb+Gene"}


def voices(held_out: bool) -> list[str]:
    """espeak-ng voices (a base accent with a variant) for training, or for the evaluation;
    plus flite's kal for training."""
    names = HELD_OUT if held_out else VARIANTS
    out = [f"{BASES[i % len(BASES)]}+{v}" for i, v in enumerate(names)]
    out = [v for v in out if v not in USED_ELSEWHERE]
    return out if held_out else out + ["flite:kal"]


@dataclass(frozen=True)
class Example:
    text: str
    label: str  # "none" or a class of SAFETY
    voice: str
    seed: int


def examples(voice_list: list[str], seed: int, per_voice: Optional[int] = None
             ) -> Iterator[Example]:
    """Every phrase in every voice (or ``per_voice`` of them, picked with ``seed``)."""
    items = [(t, c) for c, ts in SAFETY.items() for t in ts] + [(t, "none") for t in OTHER]
    rng = np.random.default_rng(seed)
    for vi, voice in enumerate(voice_list):
        chosen = items if per_voice is None else [
            items[i] for i in rng.choice(len(items), size=per_voice, replace=False)]
        for ti, (text, label) in enumerate(chosen):
            yield Example(text, label, voice, seed * 1_000_003 + vi * 1009 + ti)


def render_case(ex: Example) -> tuple[bytes, str, str]:
    """The utterance as the recogniser would get it (0.3 s before, the speech, 0.3 s after; with
    a TV up to 1 s before and 1.5 s after) in a random one of: clean, noise, a training room, a
    room with a TV, a phone's path (each with a quiet or loud speaker), or a TV alone with no one
    speaking; its label ("none" for the TV alone), and which of those conditions it is."""
    rng = np.random.default_rng(ex.seed)
    speed = int(rng.integers(130, 215))
    speech = R.dry_speech(ex.text, ex.voice, speed) * 10 ** (rng.uniform(-12, 6) / 20)
    how = rng.choice(["clean", "noise", "room", "tv", "phone", "tv-only"],
                     p=[0.15, 0.2, 0.2, 0.25, 0.15, 0.05])
    lead, tail = 0.3, 0.3
    if how in ("tv", "tv-only"):  # the live loop ends a turn later while a TV talks on
        lead, tail = float(rng.uniform(0.3, 1.0)), float(rng.uniform(0.3, 1.5))
    dry = np.concatenate([np.zeros(int(lead * SAMPLE_RATE)), speech,
                          np.zeros(int(tail * SAMPLE_RATE))])
    level = float(np.sqrt(np.mean(speech ** 2))) or 1.0
    rm = R.TRAINING_ROOMS[int(rng.integers(len(R.TRAINING_ROOMS)))]
    snr = None
    if how == "noise":
        snr = float(rng.uniform(5, 20))
        wet = dry
    else:
        wet = R.reverberate(dry, rm) if how != "clean" else dry
    if how in ("tv", "tv-only"):
        tv = TV_VOICES[int(rng.integers(len(TV_VOICES)))]
        babble = _tv(tv, rm, wet.size, float(rng.uniform(0, 30)))
        wet = (0 if how == "tv-only" else wet) + babble * level / 10 ** (rng.uniform(5, 15) / 20)
    kind = ("white", "pink", "brown")[int(rng.integers(3))]
    out = add_noise(wet, rng, snr_db=snr, reference=speech, noise=kind)
    if how == "phone":
        out = R.phone_path(out, shout=ex.label != "none" and rng.random() < 0.5)
    return out.astype("<i2").tobytes(), "none" if how == "tv-only" else ex.label, str(how)


def _tv(voice: str, rm: R.Room, n: int, offset_s: float) -> np.ndarray:
    """Unit-RMS training TV speech heard in ``rm``."""
    stream = _tv_stream(voice)
    start = int(offset_s * SAMPLE_RATE) % stream.size
    wet = R.reverberate(np.resize(np.roll(stream, -start), n), rm, "tv")
    return wet / (float(np.sqrt(np.mean(wet ** 2))) or 1.0)


@functools.lru_cache(maxsize=8)
def _tv_stream(voice: str) -> np.ndarray:
    parts = [R.dry_speech(line, voice, 170) for line in TV_LINES]
    gap = np.zeros(int(0.15 * SAMPLE_RATE))
    return np.concatenate([p for part in parts for p in (part, gap)])
