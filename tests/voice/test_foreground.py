"""The foreground gate on real speech: with a TV talking on 10 dB below, more of the person's
utterances end soon after they stop (without the gate most run on into the TV's speech); in a
quiet room the gate stays out of the way."""

from __future__ import annotations

import pytest

from lab import room
from stretch_voice.foreground import ForegroundGate
from stretch_voice.vad import UtteranceDetector

pytestmark = pytest.mark.voice

PHRASES = ["next step", "ouch that hurts", "the seated one", "stop", "how long left", "harder"]


def ended_soon(pcm: bytes, spans, foreground: bool) -> int:
    """How many phrases have an utterance that ends within 1 s of the phrase's end."""
    det = UtteranceDetector(foreground=foreground)
    utts = det.feed(pcm) + det.flush()
    return sum(any(u.speech_start_s < b and b - 0.2 <= u.end_s <= b + 1.0 for u in utts)
               for a, b in spans)


def test_with_a_tv_talking_on_more_of_the_persons_utterances_end():
    """Four streams (two rooms, two TV programmes); measured: 15 of 24 end with the gate, 5
    without. Not yet every one: a loud TV syllable still carries an utterance on."""
    with_gate = without = 0
    for seed in (3, 4):
        for where in ("train-hall", "train-small"):
            pcm, spans = room.scene(PHRASES, "en-us", 160, where, 10.0, "en-gb+Gene", seed=seed)
            with_gate += ended_soon(pcm, spans, True)
            without += ended_soon(pcm, spans, False)
    assert with_gate >= 12 and with_gate >= without + 6, (with_gate, without)


def test_in_a_quiet_room_the_gate_changes_nothing():
    pcm, spans = room.scene(PHRASES, "en-us", 160, "train-hall", None, "en-gb+Gene", seed=3)
    det = UtteranceDetector(foreground=True)
    plain = UtteranceDetector(foreground=False)
    a = [(u.start_s, u.end_s) for u in det.feed(pcm) + det.flush()]
    b = [(u.start_s, u.end_s) for u in plain.feed(pcm) + plain.flush()]
    assert a == b and len(a) == len(PHRASES)
    assert isinstance(det.gate, ForegroundGate) and not det.gate.active


def test_partners_who_talk_a_lot_are_not_taken_for_a_tv():
    """Phrases 0.5 s apart for half a minute, no TV: the gate must not close on the partners' own
    voice (at a talk share of 0.5 it did, and every phrase after the first few was lost)."""
    phrases = PHRASES * 4
    pcm, spans = room.scene(phrases, "en-us", 160, "train-hall", None, "en-gb+Gene", gap_s=0.5,
                            seed=5)
    det = UtteranceDetector(foreground=True)
    utts = det.feed(pcm) + det.flush()
    heard = [any(u.speech_start_s < b and u.speech_end_s > a for u in utts) for a, b in spans]
    assert all(heard), [p for p, h in zip(phrases, heard, strict=True) if not h]
