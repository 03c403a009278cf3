"""Voice end to end: synthetic speech (espeak-ng, flite and the Piper voice, several speeds, with
and without sox noise) through the real Whisper recogniser, to the real Rasa server and action
server, and the replies back as speech (Piper).

The spoken phrases come from lab/bench/voice_set.yml (the benchmark's set). The benchmark reports on
other voices and conditions.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator

import numpy as np
import pytest
import requests
import yaml

if shutil.which("espeak-ng") is None or shutil.which("sox") is None:
    pytest.skip("espeak-ng and sox are needed to generate test audio", allow_module_level=True)

from stretch_coach import contract  # noqa: E402
from stretch_voice import SAMPLE_RATE  # noqa: E402
from stretch_voice.audio import write_wav  # noqa: E402
from lab.speech import add_noise, synthesize  # noqa: E402
from stretch_voice.client import VoiceClient  # noqa: E402
from stretch_voice.recognizer import Recognizer  # noqa: E402
from stretch_voice.session import feed_realtime  # noqa: E402
from stretch_voice.speaker import Speaker  # noqa: E402
from stretch_voice.tts import PiperSynth, Player, get_synth  # noqa: E402

pytestmark = [pytest.mark.e2e, pytest.mark.voice]

ROOT = Path(__file__).resolve().parents[2]
SET = yaml.safe_load((ROOT / "lab" / "bench" / "voice_set.yml").read_text())
VOICES = ("en-us", "en-us+f2", "flite:slt", "piper")
NOISE = {"clean": None, "noisy": 15.0}  # sox pink noise, dB SNR
NOT_A_COMMAND = {contract.OUT_OF_SCOPE, contract.NLU_FALLBACK}
# Intents that move the session on: a safety phrase or stray speech must never become one.
MOVING_ON = set(contract.MOVING_INTENTS)
# Floors, not targets: the target is every safety phrase as a safety intent and no out-of-scope
# speech taken for a command. The floors sit a little over what was measured on these voices (the
# NLU model varies a little from one training to the next); make bench reports the rates and
# docs/voice_bench.md keeps the measurements.
SAFETY_MISS_FLOOR = 0.07
SAFETY_MOVING_FLOOR = 0.03
OUT_OF_SCOPE_FLOOR = 0.15
OOS_MOVING_FLOOR = 0.05


@pytest.fixture(scope="module")
def recognizer() -> Iterator[Recognizer]:
    yield Recognizer()


def parse(servers, text: str) -> str:
    r = requests.post(f"{servers.url}/model/parse", json={"text": text}, params=servers.auth,
                      timeout=10)
    return r.json()["intent"]["name"]


def hear(recognizer: Recognizer, servers, text: str, voice: str, speed: int, cond: str):
    """What the coach would act on: the NLU's intent for the transcript, ``nlu_fallback`` for
    unclear speech (the voice loop sends /nlu_fallback), None for noise (nothing is sent)."""
    clip = synthesize(text, voice, speed, snr_db=NOISE[cond], noise="sox-pink")
    res = recognizer.transcribe(clip.pcm)
    if res.noise:
        return res, None
    return res, (contract.NLU_FALLBACK if res.rejected else parse(servers, res.text))


SPEEDS = (140, 190)


def test_safety_phrases_come_out_as_a_safety_intent(recognizer, servers):
    """13 safety phrases x 4 voices x 2 speeds x clean / sox pink noise at 15 dB = 208 clips.

    A safety intent (not necessarily the exact one) is what the product needs; how many clips
    become one, and how many become a command that moves the session on, have floors set from
    what was measured (see SAFETY_MISS_FLOOR). Misses are printed."""
    results = []
    for voice in VOICES:
        for cond in NOISE:
            for speed in SPEEDS:
                for phrase, expected in SET["safety"]:
                    res, intent = hear(recognizer, servers, phrase, voice, speed, cond)
                    results.append((voice, cond, speed, phrase, expected, res.text, intent))
    safe = contract.SAFETY_INTENTS
    moving = [r for r in results if r[6] in MOVING_ON]
    missed = [r for r in results if r[6] not in safe]
    print(f"\nsafety clips {len(results)}: missed {len(missed)}, moving on {len(moving)}")
    for r in missed:
        print("  missed", r)
    assert len(moving) <= SAFETY_MOVING_FLOOR * len(results), moving
    assert len(missed) <= SAFETY_MISS_FLOOR * len(results), missed


def test_out_of_scope_speech_does_not_become_a_command(recognizer, servers):
    heard = {}
    for phrase in SET["out_of_grammar"]:
        for voice in VOICES:
            for cond in NOISE:
                res, intent = hear(recognizer, servers, phrase, voice, 170, cond)
                heard[(phrase, voice, cond)] = (res.text, intent)
    taken = {k: v for k, v in heard.items() if v[1] is not None and v[1] not in NOT_A_COMMAND}
    moving = {k: v for k, v in taken.items() if v[1] in MOVING_ON}
    print(f"\nout-of-scope clips {len(heard)}: taken {len(taken)}, moving on {len(moving)}")
    for k, v in taken.items():
        print("  taken", k, v)
    assert len(moving) <= OOS_MOVING_FLOOR * len(heard), moving
    assert len(taken) <= OUT_OF_SCOPE_FLOOR * len(heard), taken
    # The issue's own example, in every voice and condition.
    assert not [k for k in taken if k[0] == "play some music"], taken


# --- the whole loop: audio in, socket.io, speech out ----------------------------------------

def room(seconds: float) -> bytes:
    z = np.zeros(int(seconds * SAMPLE_RATE), dtype=np.int16)
    return add_noise(z, np.random.default_rng(1)).astype("<i2").tobytes()


class Loop(VoiceClient):
    """The voice loop wired to the real server over socket.io, as `make voice` wires it."""

    def __init__(self, servers, recognizer, simulate: bool, speak_to=None) -> None:
        super().__init__(servers.url, f"voice-{time.time_ns()}", recognizer,
                         Speaker(Player("null", simulate=simulate), speak_to=speak_to))
        self.connect()

    def say(self, text: str, voice: str = "en-us+f2") -> None:
        feed_realtime(self.session, synthesize(text, voice, 165).pcm + room(0.6))

    def wait_for(self, predicate, timeout: float = 10.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return True
            time.sleep(0.02)
        return False


@pytest.fixture
def loop(servers, recognizer, tmp_path):
    lp = Loop(servers, recognizer, simulate=False, speak_to=tmp_path / "replies")
    yield lp
    lp.close()


def test_spoken_start_is_answered_with_speech_and_replies_are_written(loop, tmp_path):
    loop.say("let's start")
    assert loop.wait_for(lambda: len(loop.speaker.spoken) >= 2), loop.heard
    assert loop.session.turns[0].action == "sent"
    assert "warm up" in " ".join(loop.speaker.spoken).lower()
    assert loop.speaker.wait_idle(10)  # a message's WAV is written once all its sentences played
    wavs = sorted((tmp_path / "replies").glob("*.wav"))
    assert len(wavs) == len(loop.speaker.spoken)
    assert all(w.read_bytes()[:4] == b"RIFF" and w.stat().st_size > 20_000 for w in wavs)


def test_pushed_hold_cues_are_spoken_without_anyone_talking(loop):
    for text in ("start", "the seated one", "next"):
        loop.chat.send(text)
        time.sleep(0.5)
    n_turns = len(loop.session.turns)
    loop.chat.send("next")  # the hold starts; at scale 0.05 its cues come within a second or two
    assert loop.wait_for(lambda: any("release" in s.lower() or "more seconds" in s.lower()
                                     for s in loop.speaker.spoken), timeout=15), loop.heard
    assert len(loop.session.turns) == n_turns  # nobody spoke: the cue was pushed


def test_out_of_scope_speech_gets_a_short_answer_and_the_place_is_kept(loop):
    loop.chat.send("start")
    assert loop.wait_for(lambda: len(loop.heard) >= 2)
    before = len(loop.heard)
    loop.say("play some music")
    assert loop.wait_for(lambda: len(loop.heard) > before)
    turn = loop.session.turns[-1]
    assert turn.action == "sent" and "music" in turn.transcript.lower()
    assert any("hamstring stretch" in t.lower() for t in loop.heard[before:]), loop.heard


def to_pain_question(lp) -> None:
    """Start, pick the seated stretch, and say ouch: the coach asks how bad, zero to ten."""
    for text in ("start", "the seated one"):
        lp.chat.send(text)
        time.sleep(0.6)
    lp.say("ouch")
    assert lp.wait_for(lambda: any("zero to ten" in t.lower() for t in lp.heard)), lp.heard
    assert lp.speaker.wait_idle(20)


def test_a_spoken_three_answers_the_pain_question(servers, recognizer):
    lp = Loop(servers, recognizer, simulate=False)
    try:
        to_pain_question(lp)
        before = len(lp.heard)
        lp.say("three")
        assert lp.wait_for(lambda: len(lp.heard) > before), lp.heard
        assert lp.session.turns[-1].transcript.strip(" .") == "3", lp.session.turns[-1]
        assert any("gentler" in t.lower() for t in lp.heard[before:]), lp.heard[before:]
    finally:
        lp.close()


def test_a_typed_three_answers_the_pain_question(servers, recognizer):
    lp = Loop(servers, recognizer, simulate=False)
    try:
        to_pain_question(lp)
        before = len(lp.heard)
        lp.chat.send("3")
        assert lp.wait_for(lambda: len(lp.heard) > before), lp.heard
        assert any("gentler" in t.lower() for t in lp.heard[before:]), lp.heard[before:]
    finally:
        lp.close()


def test_stop_while_the_coach_talks_cuts_it_off(servers, recognizer):
    lp = Loop(servers, recognizer, simulate=True)  # playback lasts as long as the audio
    try:
        assert isinstance(get_synth(lp.speaker.voice), PiperSynth)  # the coach speaks with Piper
        lp.chat.send("start")
        assert lp.wait_for(lambda: lp.speaker.busy, timeout=5)
        lp.say("stop")
        turn = lp.session.turns[-1]
        assert turn.action == "barge-in" and turn.safety, turn.as_dict()
        assert lp.speaker.cuts == 1
        assert "stop" in turn.transcript.lower()
        assert not any("which routine" in t.lower() for t in lp.speaker.spoken)
        # the warm-up advice was cut; the coach then answers the stop
        assert lp.wait_for(lambda: bool(turn.replies), timeout=5), lp.heard
        state = requests.get(f"{servers.url}/conversations/{lp.chat.sid}/tracker",
                             params=servers.auth, timeout=10).json()
        assert state["latest_message"]["intent"]["name"] == contract.STOP_SESSION
    finally:
        lp.close()


def test_other_speech_while_the_coach_talks_waits(servers, recognizer):
    lp = Loop(servers, recognizer, simulate=True)
    try:
        lp.chat.send("start")
        assert lp.wait_for(lambda: lp.speaker.busy, timeout=5)
        lp.say("next step")
        assert lp.session.turns[-1].action == "ignored"
        assert lp.speaker.busy and lp.speaker.cuts == 0
    finally:
        lp.close()


# --- the command line -----------------------------------------------------------------------

def run_cli(*args: str, timeout: float = 120, token: str = "") -> subprocess.CompletedProcess:
    env = {**os.environ, "STRETCH_API_TOKEN": token}
    return subprocess.run([sys.executable, "-m", "stretch_voice", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout)


def test_wav_files_give_one_json_line_each_and_speak_to_writes_the_replies(servers, tmp_path):
    files = []
    for i, text in enumerate(("let's start", "ouch", "play some music")):
        files.append(str(write_wav(tmp_path / f"{i}.wav", synthesize(text, "en-us+f2").pcm)))
    out = tmp_path / "replies"
    proc = run_cli("--wav", *files, "--speak-to", str(out), "--url", servers.url, "--session",
                   f"cli-{time.time_ns()}", token=servers.token)
    assert proc.returncode == 0, proc.stderr[-2000:]
    rows = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [r["file"] for r in rows] == files
    for r in rows:
        assert set(r["ms"]) == {"recognition", "nlu", "reply", "synthesis"}
        assert r["replies"] and len(r["wavs"]) == len(r["replies"])
        assert r["transcript"] and r["confidence"] is not None
    assert rows[0]["intent"] == contract.START_SESSION
    assert rows[1]["intent"] == contract.DISCOMFORT and rows[1]["safety"]
    assert rows[2]["intent"] in NOT_A_COMMAND
    assert len(list(out.glob("*.wav"))) == sum(len(r["wavs"]) for r in rows)


def test_wav_with_the_server_down_says_how_to_start_it(tmp_path):
    f = str(write_wav(tmp_path / "a.wav", synthesize("next step", "en-us+f2").pcm))
    proc = run_cli("--wav", f, "--url", "http://localhost:5999")
    assert proc.returncode == 2
    assert "Start the coach first" in proc.stderr


def test_no_microphone_is_said_plainly_with_what_to_do_instead():
    proc = run_cli("--device", "no-such-microphone", "--url", "http://localhost:5999")
    assert proc.returncode == 3
    assert "No microphone" in proc.stderr and "make run" in proc.stderr
