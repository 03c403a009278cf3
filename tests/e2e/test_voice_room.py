"""A real room, through the real loop: the test voices' safety phrases said 1.2 m from a phone in
an echoing living room, and with a TV talking on 10 dB below, go through the product's VAD, the
recogniser with its safety detector, and the real Rasa server's NLU; partner talk does too.
The rooms, the TV and its voice are lab/room.py's (the detector never trained on them)."""

from __future__ import annotations

import shutil
from typing import Iterator, Optional

import pytest
import requests
import yaml

from lab import room
from lab.bench.voice_bench import SET
from stretch_coach import contract, doubt
from stretch_voice import SAMPLE_RATE
from stretch_voice.recognizer import Recognizer
from stretch_voice.session import VoiceSession

if shutil.which("espeak-ng") is None or shutil.which("sox") is None:
    pytest.skip("espeak-ng and sox are needed to generate test audio", allow_module_level=True)

pytestmark = [pytest.mark.e2e, pytest.mark.voice]

PHRASES = yaml.safe_load(SET.read_text())
VOICES = ("en-us", "en-us+f2", "flite:slt", "piper")
ROOMS = {"living room": room.CONDITIONS["living"], "TV 10 dB below": room.CONDITIONS["tv10"]}


class Mute:
    """A speaker that says nothing (the replies are not what these tests look at)."""

    busy = False
    current = None
    on_start = None

    def say(self, text: str) -> None:
        pass

    def interrupt(self) -> None:
        pass


@pytest.fixture(scope="module")
def recognizer() -> Iterator[Recognizer]:
    yield Recognizer()


def heard(recognizer, servers, phrase: str, voice: str, how: room.Condition,
          safety: bool) -> tuple[str, Optional[str]]:
    """The transcript the loop sends and the coach's intent for it (None: nothing was sent): the
    NLU's, held back to the fallback for a moving command heard in doubt."""
    sent: list[str] = []
    session = VoiceSession(recognizer, lambda text, _meta: sent.append(text), Mute())
    tv = how.tv_db is not None
    speed = 165 if voice == "piper" else 160
    # with a TV, the room was talking for a while before the person spoke, and the loop has
    # heard it (what it made of the TV alone is not this test's concern)
    lead = 8.0 if tv else 0.3
    pcm = room.render(phrase, voice, speed, how, lead_s=lead, tail_s=2.0 if tv else 0.9,
                      safety=safety)
    session.feed(pcm, t_end=len(pcm) / (2 * SAMPLE_RATE))  # turn times in stream seconds
    mine = [t for t in session.turns if t.speech_end >= lead - 0.5 and t.transcript]
    if not mine:
        return "", None
    text = mine[0].transcript
    r = requests.post(f"{servers.url}/model/parse", json={"text": text}, params=servers.auth,
                      timeout=10)
    intent = r.json()["intent"]["name"]
    if doubt.in_doubt(intent, doubt.hearing(mine[0].metadata), text):
        return text, contract.NLU_FALLBACK  # as the coach takes it (test_heard_in_doubt.py)
    return text, intent


FLOORS = {"living room": (2, 1, 1), "TV 10 dB below": (18, 2, 3)}
"""(missed, moved on, would not pause a hold) of the 60 safety clips: floors a little over what
was measured, not the target, which is none of any. Last measured (session 28): the living room
missed 1 ("Start." for "stop", which the coach takes as a misheard stop mid-hold, but counts here),
the TV 5 (15 with the linear detector, of them 1 a command that moves on; 8 before moving commands
heard in doubt were held back). Unclear speech pauses a hold, and with a TV on so does speech the
coach cannot place (``doubt.CHATTER``): with the TV, 1 would not pause one ("my knee hurts" heard
as a question about history). docs/voice_bench.md has the whole picture."""


@pytest.mark.parametrize("where", list(ROOMS))
def test_safety_phrases_become_a_safety_intent_in_a_room(recognizer, servers, where):
    missed, moving, unpaused = [], [], []
    for voice in VOICES:
        for phrase, _ in PHRASES["safety"]:
            text, intent = heard(recognizer, servers, phrase, voice, ROOMS[where], safety=True)
            if intent not in contract.SAFETY_INTENTS:
                missed.append((voice, phrase, text, intent))
            if intent in contract.MOVING_INTENTS:
                moving.append((voice, phrase, text, intent))
            if intent not in (*contract.SAFETY_INTENTS, contract.NLU_FALLBACK):
                unpaused.append((voice, phrase, text, intent))
    print(f"\n{where}: {len(missed)} of {len(VOICES) * len(PHRASES['safety'])} missed", missed,
          f"\nwould not pause a hold: {len(unpaused)}", unpaused)
    most_missed, most_moving, most_unpaused = FLOORS[where]
    assert len(moving) <= most_moving, moving
    assert len(missed) <= most_missed, missed
    assert len(unpaused) <= most_unpaused, unpaused


def test_partner_talk_seldom_moves_the_session_on(recognizer, servers):
    """24 clips; measured 3 that moved on ("want some water" heard as "One to set while to.")."""
    moved = []
    for voice in VOICES[:2]:
        for phrase in PHRASES["partner_talk"]:
            text, intent = heard(recognizer, servers, phrase, voice, ROOMS["living room"],
                                 safety=False)
            if intent in contract.MOVING_INTENTS:
                moved.append((voice, phrase, text, intent))
    print("\npartner talk that moved the session on:", moved)
    assert len(moved) <= 4, moved
