"""The voice loop's turn-taking on real audio and the real VAD, with a scripted recogniser.

The recogniser is replaced here (the real one is exercised in test_recognizer.py and end to end
in tests/e2e/test_voice_e2e.py) so that each rule of turn-taking is checked on its own: early end
of turn, a guess thrown away when speech resumes, barge-in, speech ignored while the coach talks,
re-prompt for short rejected speech, silence for long rejected speech.
"""

from __future__ import annotations

import shutil
import time
from typing import List, Optional

import numpy as np
import pytest

pytest.importorskip("webrtcvad")
if shutil.which("espeak-ng") is None or shutil.which("sox") is None:
    pytest.skip("espeak-ng and sox are needed to generate test audio", allow_module_level=True)

from stretch_voice import SAMPLE_RATE  # noqa: E402
from devtools.audio_gen import add_noise, concat_with_silence, synthesize  # noqa: E402
from stretch_voice.mic import resample  # noqa: E402
from devtools.sphinx_baseline.recognizer import EXPECT_RATING, Result  # noqa: E402
from stretch_voice.session import (FALLBACK_MESSAGE, RATING_QUESTION, Speaker,  # noqa: E402
                                         VoiceSession, feed_realtime)
from stretch_voice.tts import Player  # noqa: E402

pytestmark = pytest.mark.voice


class Scripted:
    """Answers every recognition with the next scripted result; records what it was given."""

    def __init__(self, *results: Result) -> None:
        self.results = list(results)
        self.calls: List[int] = []
        self.expects: List[Optional[str]] = []
        self.spot_calls = 0

    def recognize(self, pcm: bytes, expect: Optional[str] = None) -> Result:
        self.calls.append(len(pcm))
        self.expects.append(expect)
        return self.results[min(len(self.calls), len(self.results)) - 1]

    def spot_safety(self, pcm: bytes) -> Result:
        self.spot_calls += 1
        return self.recognize(pcm)


def ok(text: str, safety: bool = False) -> Result:
    return Result(text, False, 5.0, -2.0, safety, None, "commands")


REJECTED = Result("", True, 5.0, -6.0, False, None, "none")


def room(seconds: float) -> bytes:
    z = np.zeros(int(seconds * SAMPLE_RATE), dtype=np.int16)
    return add_noise(z, np.random.default_rng(0)).astype("<i2").tobytes()


def speech(text: str) -> bytes:
    return synthesize(text, "en-us+f2", pad_s=0.3).pcm


def make(recognizer: Scripted, simulate: bool = False) -> tuple[VoiceSession, List[str]]:
    sent: List[str] = []
    speaker = Speaker(Player("null", simulate=simulate))
    return VoiceSession(recognizer, sent.append, speaker), sent


def feed(session: VoiceSession, pcm: bytes) -> None:
    session.feed(pcm, 0.0)


def test_an_accepted_guess_ends_the_turn_early_and_is_sent_once() -> None:
    rec = Scripted(ok("next step"))
    session, sent = make(rec)
    feed(session, speech("next step") + room(1.0))
    assert sent == ["next step"]
    (turn,) = session.turns
    assert turn.early and turn.action == "sent"
    session.speaker.close()


def test_a_rejected_guess_waits_for_the_full_pause_then_reprompts() -> None:
    rec = Scripted(REJECTED)
    session, sent = make(rec)
    feed(session, speech("blah blah") + room(1.0))
    assert sent == [FALLBACK_MESSAGE]
    (turn,) = session.turns
    assert not turn.early and turn.action == "reprompt"
    session.speaker.close()


def test_speech_that_resumes_after_a_short_pause_is_one_turn() -> None:
    # "next ... step" with a 180 ms pause: the guess after 150 ms is thrown away when speech
    # resumes, and only the whole utterance is sent.
    rec = Scripted(REJECTED, ok("next step"))
    session, sent = make(rec)
    pcm = concat_with_silence([synthesize("next", "en-us+f2", pad_s=0.0).pcm,
                               synthesize("step", "en-us+f2", pad_s=0.0).pcm], gap_s=0.18)
    feed(session, room(0.3) + pcm + room(1.0))
    assert len(session.turns) == 1
    assert sent == ["next step"]
    assert len(rec.calls) >= 2  # the first guess was made, and thrown away
    session.speaker.close()


def test_a_safety_phrase_while_the_coach_talks_cuts_it_off_and_is_sent() -> None:
    rec = Scripted(ok("stop", safety=True))
    session, sent = make(rec, simulate=True)
    session.speaker.say("This is a long sentence from the coach that takes a few seconds to say "
                        "out loud, and then some more words so that it really does.")
    session.speaker.say("And a second sentence that must never be spoken after a stop.")
    assert session.speaker.busy
    feed_realtime(session, speech("stop") + room(0.5))
    assert sent == ["stop"]
    (turn,) = session.turns
    assert turn.action == "barge-in"
    assert rec.spot_calls >= 1  # while talking, only the fast safety check runs
    assert session.speaker.cuts == 1
    assert session.speaker.wait_idle(1.0)
    assert not any("second sentence" in s for s in session.speaker.spoken)
    session.speaker.close()


def test_other_speech_while_the_coach_talks_is_ignored() -> None:
    rec = Scripted(REJECTED)
    session, sent = make(rec, simulate=True)
    session.speaker.say("A long sentence from the coach, long enough to still be talking when "
                        "the person finishes saying next step, and then a bit more.")
    feed_realtime(session, speech("next step") + room(0.5))
    assert sent == []
    assert [t.action for t in session.turns] == ["ignored"]
    assert session.speaker.busy  # still talking: nothing cut it off
    session.speaker.close()


def test_long_rejected_speech_is_taken_for_the_partners_talking_and_ignored() -> None:
    rec = Scripted(REJECTED)
    session, sent = make(rec)
    long_talk = ("so I was telling my sister about the weekend and she said we should go to the "
                 "coast again next month if the weather holds")
    feed(session, speech(long_talk) + room(1.0))
    assert sent == []
    assert [t.action for t in session.turns] == ["ignored-long"]
    session.speaker.close()


def test_coach_messages_are_spoken_in_order_and_written_with_speak_to(tmp_path) -> None:
    speaker = Speaker(Player("null", simulate=False), speak_to=tmp_path)
    session = VoiceSession(Scripted(REJECTED), lambda _: None, speaker)
    session.on_coach("Switch legs now.")
    session.on_coach("Five more seconds.")
    assert speaker.wait_idle(10)
    assert speaker.spoken == ["Switch legs now.", "Five more seconds."]
    files = sorted(tmp_path.glob("*.wav"))
    assert [f.name for f in files] == ["001.wav", "002.wav"]
    assert all(f.stat().st_size > 10_000 and f.read_bytes()[:4] == b"RIFF" for f in files)
    speaker.close()


def test_reply_latency_is_recorded_from_end_of_speech_to_first_audio() -> None:
    rec = Scripted(ok("harder"))
    sent: List[str] = []
    speaker = Speaker(Player("null", simulate=False))
    session = VoiceSession(rec, sent.append, speaker)
    feed_realtime(session, speech("harder") + room(0.5))
    session.on_coach("A little more pressure.")
    assert speaker.wait_idle(5)
    (turn,) = session.turns
    assert turn.replies == ["A little more pressure."]
    assert turn.first_audio is not None and turn.latency_ms is not None
    assert turn.first_audio >= turn.first_reply >= turn.sent >= turn.endpoint > turn.speech_end
    speaker.close()


def test_resampling_keeps_duration_and_pitch() -> None:
    t = np.arange(48_000) / 48_000
    tone = (8000 * np.sin(2 * np.pi * 440 * t)).astype(np.int16)
    out = resample(tone, 48_000)
    assert len(out) == 16_000
    spectrum = np.abs(np.fft.rfft(out.astype(float)))
    assert abs(np.argmax(spectrum) * SAMPLE_RATE / len(out) - 440) < 2


def test_echo_guard_ignores_only_the_safety_words_the_coach_is_saying() -> None:
    rec = Scripted(ok("stop", safety=True))
    sent: List[str] = []
    speaker = Speaker(Player("null", simulate=True))
    session = VoiceSession(rec, sent.append, speaker, echo_guard=True)
    speaker.say("Say resume when you are ready, or stop to finish. " * 3)
    assert session.speaker.busy
    deadline = time.monotonic() + 5
    while speaker.current is None and time.monotonic() < deadline:  # until it actually talks
        time.sleep(0.005)
    assert speaker.current is not None
    feed_realtime(session, speech("stop") + room(0.5))
    assert sent == [] and session.turns[-1].action == "ignored-echo"
    rec.results = [ok("ouch", safety=True)]
    rec.calls.clear()
    feed_realtime(session, speech("ouch") + room(0.5))
    assert sent == ["ouch"] and session.turns[-1].action == "barge-in"
    speaker.close()


def test_after_the_coach_asks_for_a_rating_the_answer_is_decoded_as_one() -> None:
    rec = Scripted(ok("six", safety=True))
    session, sent = make(rec)
    session.on_coach("How bad is it, from zero to ten?")
    session.speaker.wait_idle(5)
    feed(session, speech("six") + room(1.0))
    assert sent == ["six"] and set(rec.expects) == {EXPECT_RATING}
    session.on_coach("Okay, a six. Ease off a little.")  # any other message ends the question
    session.speaker.wait_idle(5)
    n = len(rec.expects)
    rec.results, rec.calls = [ok("next step")], []
    feed(session, speech("next step") + room(1.0))
    assert rec.expects[n:] and set(rec.expects[n:]) == {None}


def test_every_rating_question_of_the_coach_says_the_marker() -> None:
    import yaml

    from devtools.sphinx_baseline.phrases import PROJECT_ROOT

    responses = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text())["responses"]
    for name in ("utter_ask_pain", "utter_pain_ask_again"):
        for variant in responses[name]:
            assert RATING_QUESTION in variant["text"].lower(), (name, variant)
    asking = {n for n, vs in responses.items() for v in vs
              if RATING_QUESTION in v.get("text", "").lower()}
    assert asking == {"utter_ask_pain", "utter_pain_ask_again"}
