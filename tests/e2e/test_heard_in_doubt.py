"""A command that moves the session on, heard in doubt by the voice loop, is held back by the
real coach: the hearing travels as message metadata (stretch_coach.doubt) through the real
channel, Rasa server and action server. Mid-hold it pauses; before a session it asks again."""

from __future__ import annotations

import pytest

from stretch_coach import catalogue, contract, doubt

pytestmark = pytest.mark.e2e
CAT = catalogue.default()
SURE = {"heard": {"safety_p": 0.01, "logprob": -0.2}}
DOUBT_DETECTOR = {"heard": {"safety_p": max(0.6, doubt.SAFETY_P), "logprob": -0.2}}
DOUBT_IN_TV = {"heard": {"safety_p": doubt.SAFETY_P_ROOM_TALK, "logprob": -0.2, "room_talk": True}}
SURE_IN_QUIET = {"heard": {"safety_p": doubt.SAFETY_P_ROOM_TALK, "logprob": -0.2}}
DOUBT_WHISPER = {"heard": {"safety_p": 0.0, "logprob": min(-1.5, doubt.LOGPROB - 0.5)}}
SURE_IN_TV = {"heard": {"safety_p": 0.0, "logprob": -0.2, "room_talk": True}}


def into_a_hold(user) -> None:
    user.say("start", SURE)
    user.say("the seated one", SURE)
    user.say("next", SURE)
    reply = user.say("next", SURE)
    assert "seconds" in reply  # the hold runs


def paused_in_place(user, text: str, hearing: dict) -> None:
    """Mid-hold, ``text`` heard so is taken as unclear: the hold pauses, on the same step."""
    into_a_hold(user)
    step = user.state()["step"]
    reply = user.say(text, hearing)
    assert user.intent() == contract.NLU_FALLBACK
    assert "paused" in reply.lower()
    state = user.state()
    assert state["phase"] == "paused" and state["step"] == step  # not moved on


def test_a_moving_command_heard_in_doubt_mid_hold_pauses_the_hold(user):
    paused_in_place(user, "next step", DOUBT_DETECTOR)
    step = user.state()["step"]
    reply = user.say("resume", SURE)
    assert user.intent() == contract.RESUME
    assert CAT["seated_single_leg"].steps[step].spoken("right") in reply


def test_heard_in_doubt_by_whisper_alone_is_held_back_too(user):
    into_a_hold(user)
    user.say("harder", DOUBT_WHISPER)
    assert user.intent() == contract.NLU_FALLBACK
    assert user.state()["level"] == 0


def test_with_a_tv_talking_a_lower_detector_reading_is_doubt_enough(user):
    into_a_hold(user)
    user.say("harder", SURE_IN_QUIET)
    assert user.intent() == contract.HARDER
    user.say("harder", DOUBT_IN_TV)
    assert user.intent() == contract.NLU_FALLBACK
    unSURE_IN_TV = {"heard": {"safety_p": 0.0, "logprob": (doubt.LOGPROB + doubt.LOGPROB_ROOM_TALK) / 2,
                              "room_talk": True}}
    user.say("harder", unSURE_IN_TV)  # "This is fresh." for "stop the stretch", under a TV
    assert user.intent() == contract.NLU_FALLBACK


def test_with_a_tv_talking_a_long_command_is_held_back_and_a_short_one_is_taken(user):
    into_a_hold(user)
    step = user.state()["step"]
    long = "could we please move on to the next step now"
    assert len(long.split()) > doubt.ROOM_TALK_WORDS
    user.say(long, SURE_IN_TV)
    assert user.intent() == contract.NLU_FALLBACK
    assert user.state()["step"] == step
    user.say("resume", SURE)
    user.say("next step", SURE_IN_TV)
    assert user.intent() == contract.NEXT_STEP


def test_with_a_tv_talking_speech_the_coach_cannot_place_pauses_the_hold(user):
    """Whisper wrote the TV's words, or nonsense, for what may have been "ouch"."""
    paused_in_place(user, "what's the weather like in paris", SURE_IN_TV)
    user.say("resume", SURE)
    user.say("what's the weather like in paris", SURE)  # a quiet room: answered, the hold runs
    assert user.intent() == contract.OUT_OF_SCOPE
    assert user.state()["phase"] == "active"


def test_a_sure_hearing_and_typed_text_move_on_as_before(user):
    into_a_hold(user)
    before = user.state()
    user.say("next step", SURE)
    assert user.intent() == contract.NEXT_STEP
    after = user.state()
    assert (after["step"], after["pass_index"]) != (before["step"], before["pass_index"])  # moved on
    user.say("next step")  # typed: no hearing
    assert user.intent() == contract.NEXT_STEP


def test_doubt_never_takes_a_safety_request_away(user):
    into_a_hold(user)
    reply = user.say("ouch", DOUBT_DETECTOR)
    assert user.intent() in contract.SAFETY_INTENTS
    assert "zero to ten" in reply.lower()


def test_before_a_session_a_doubtful_start_asks_again(user):
    user.say("hi", SURE)
    reply = user.say("start", DOUBT_DETECTOR)
    assert user.intent() == contract.NLU_FALLBACK
    assert "warm up" not in reply.lower()
    assert user.say("start", SURE) and user.intent() == contract.START_SESSION


@pytest.mark.parametrize("metadata", [
    {"heard": "loud"}, {"heard": {"safety_p": "0.9", "logprob": -0.1}},
    {"heard": {"safety_p": True, "logprob": -0.1}}, {"heard": None}, {"other": 1},
    {"heard": {"safety_p": 0.9, "logprob": -0.1, "room_talk": "on"}},
])
def test_a_malformed_hearing_is_ignored(user, metadata):
    user.say("start", metadata)
    assert user.intent() == contract.START_SESSION
