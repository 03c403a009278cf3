"""The rule for speech heard in doubt (stretch_coach.doubt): only moving commands are held back,
only on a hearing that says doubt, and, while another voice talks on, speech the coach cannot
place; a malformed hearing is no hearing."""

from __future__ import annotations

import math

import pytest

from stretch_coach import contract, doubt


def heard(p: float, lp: float, room_talk: bool = False) -> doubt.Hearing:
    return doubt.Hearing(p, lp, room_talk)


SURE = heard(0.0, -0.1)


@pytest.mark.parametrize("intent", contract.MOVING_INTENTS)
def test_every_moving_command_is_held_back_when_the_detector_or_whisper_doubts(intent):
    assert doubt.in_doubt(intent, heard(doubt.SAFETY_P, -0.1))
    assert doubt.in_doubt(intent, heard(0.0, doubt.LOGPROB - 0.01))
    assert not doubt.in_doubt(intent, SURE)
    assert not doubt.in_doubt(intent, None)  # typed text


@pytest.mark.parametrize("intent", contract.MOVING_INTENTS)
def test_with_another_voice_in_the_room_the_bar_is_lower(intent):
    between = (doubt.SAFETY_P_ROOM_TALK + doubt.SAFETY_P) / 2
    assert doubt.in_doubt(intent, heard(between, -0.1, room_talk=True))
    assert not doubt.in_doubt(intent, heard(between, -0.1, room_talk=False))
    assert not doubt.in_doubt(intent, heard(doubt.SAFETY_P_ROOM_TALK / 2, -0.1, room_talk=True))


@pytest.mark.parametrize("intent", contract.MOVING_INTENTS)
def test_with_another_voice_in_the_room_whisper_must_be_surer(intent):
    between = (doubt.LOGPROB + doubt.LOGPROB_ROOM_TALK) / 2
    assert doubt.in_doubt(intent, heard(0.0, between, room_talk=True), "On the left.")
    assert not doubt.in_doubt(intent, heard(0.0, between, room_talk=False), "On the left.")
    assert not doubt.in_doubt(intent, heard(0.0, doubt.LOGPROB_ROOM_TALK + 0.1, room_talk=True))


@pytest.mark.parametrize("intent", contract.MOVING_INTENTS)
def test_with_another_voice_in_the_room_a_long_sentence_is_in_doubt(intent):
    tv = "We are going to help you start tonight."  # Whisper wrote the TV's words for "ow"
    short = "Let's start, okay?"
    assert doubt.in_doubt(intent, heard(0.0, -0.1, room_talk=True), tv)
    assert not doubt.in_doubt(intent, heard(0.0, -0.1, room_talk=True), short)
    assert not doubt.in_doubt(intent, SURE, tv)  # in a quiet room people say long commands
    assert not doubt.in_doubt(intent, None, tv)  # typed


@pytest.mark.parametrize("intent", doubt.CHATTER)
def test_with_another_voice_in_the_room_speech_the_coach_cannot_place_is_in_doubt(intent):
    assert doubt.in_doubt(intent, heard(0.0, -0.1, room_talk=True), "Very much after the break.")
    assert not doubt.in_doubt(intent, heard(1.0, -5.0, room_talk=False))  # answered as such
    assert not doubt.in_doubt(intent, None)  # typed


@pytest.mark.parametrize("intent", [i for i in contract.INTENTS
                                    if i not in contract.MOVING_INTENTS + doubt.CHATTER])
def test_nothing_else_is_ever_held_back(intent):
    assert not doubt.in_doubt(intent, heard(1.0, -5.0))
    assert not doubt.in_doubt(intent, heard(1.0, -5.0, room_talk=True), "one two three four five six")


def test_safety_intents_are_never_chatter():
    assert not set(doubt.CHATTER) & set(contract.SAFETY_INTENTS + contract.MOVING_INTENTS)


def test_the_metadata_is_read_and_clamped():
    assert doubt.hearing({"heard": {"safety_p": 0.3, "logprob": -0.4}}) == heard(0.3, -0.4)
    assert doubt.hearing({"heard": {"safety_p": 0.3, "logprob": -0.4, "room_talk": True}}) \
        == heard(0.3, -0.4, room_talk=True)
    assert doubt.hearing({"heard": {"safety_p": 7, "logprob": 2}}) == heard(1.0, 0.0)
    assert doubt.hearing({"heard": {"safety_p": -1, "logprob": -9}}) == heard(0.0, -9.0)


@pytest.mark.parametrize("metadata", [
    None, {}, {"heard": None}, {"heard": "x"}, {"heard": [0.3, -0.4]},
    {"heard": {"safety_p": 0.3}}, {"heard": {"safety_p": "0.3", "logprob": -0.4}},
    {"heard": {"safety_p": True, "logprob": -0.4}}, {"heard": {"safety_p": math.nan, "logprob": -0.4}},
    {"heard": {"safety_p": 0.3, "logprob": math.inf}},
    {"heard": {"safety_p": 0.3, "logprob": -0.4, "room_talk": "yes"}},
    {"heard": {"safety_p": 0.3, "logprob": -0.4, "room_talk": 1}},
])
def test_a_malformed_hearing_is_no_hearing(metadata):
    assert doubt.hearing(metadata) is None
