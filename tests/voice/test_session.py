"""The voice loop's turn-taking on real audio and the real VAD, with a scripted recogniser.

The recogniser is replaced here (the real one is exercised in test_recognizer.py and end to end
in tests/e2e/test_voice_e2e.py) so that each rule of turn-taking is checked on its own: early end
of turn, a guess thrown away when speech resumes, barge-in, speech ignored while the coach talks,
re-prompt for unclear speech, silence for noise.
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
from lab.speech import add_noise, concat_with_silence, synthesize  # noqa: E402
from stretch_voice.mic import resample  # noqa: E402
from stretch_voice.recognizer import EXPECT_RATING, EXPECT_ROUTINE, Transcript  # noqa: E402
from stretch_voice.session import FALLBACK_MESSAGE, VoiceSession, expectation, feed_realtime  # noqa: E402
from stretch_voice.speaker import Speaker  # noqa: E402
from stretch_voice.tts import Player  # noqa: E402

pytestmark = pytest.mark.voice


class Scripted:
    """Answers every transcription with the next scripted result; records what it was given."""

    def __init__(self, *results: Transcript) -> None:
        self.results = list(results)
        self.calls: List[int] = []
        self.expects: List[Optional[str]] = []

    def transcribe(self, pcm: bytes, expect: Optional[str] = None) -> Transcript:
        self.calls.append(len(pcm))
        self.expects.append(expect)
        return self.results[min(len(self.calls), len(self.results)) - 1]


def ok(text: str, safety: bool = False, logprob: float = -0.2) -> Transcript:
    return Transcript(text, safety, logprob, 0.01, 5.0)


UNSURE = ok("next", logprob=-1.2)
UNCLEAR = Transcript("", False, -1.5, 0.1, 5.0)
NOISE = Transcript("", False, -1.5, 0.9, 5.0, noise=True)


def room(seconds: float) -> bytes:
    z = np.zeros(int(seconds * SAMPLE_RATE), dtype=np.int16)
    return add_noise(z, np.random.default_rng(0)).astype("<i2").tobytes()


def speech(text: str) -> bytes:
    return synthesize(text, "en-us+f2", pad_s=0.3).pcm


def make(recognizer: Scripted, simulate: bool = False,
         **options: int) -> tuple[VoiceSession, List[str]]:
    """A session on the scripted recogniser; ``options`` are VoiceSession's timing settings."""
    sent: List[str] = []
    speaker = Speaker(Player("null", simulate=simulate))
    return VoiceSession(recognizer, lambda text, _meta: sent.append(text), speaker, **options), sent


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


def test_unclear_speech_waits_for_the_full_pause_then_reprompts() -> None:
    rec = Scripted(UNCLEAR)
    session, sent = make(rec)
    feed(session, speech("blah blah") + room(1.0))
    assert sent == [FALLBACK_MESSAGE]
    (turn,) = session.turns
    assert not turn.early and turn.action == "reprompt"
    session.speaker.close()


def test_speech_that_resumes_after_a_short_pause_is_one_turn() -> None:
    # "next ... step" with a 120 ms pause (the VAD hears ~270 ms: "-xt st-" is unvoiced): the
    # guesses made in the pause (the first, and the second over the longer pause) are thrown away
    # when speech resumes, and only the whole utterance is sent. (A sure guess ends the turn
    # after 150 ms of silence: a longer pause inside a phrase splits it; see VoiceSession.)
    rec = Scripted(UNSURE, UNSURE, ok("next step"))
    session, sent = make(rec)
    pcm = concat_with_silence([synthesize("next", "en-us+f2", pad_s=0.0).pcm,
                               synthesize("step", "en-us+f2", pad_s=0.0).pcm], gap_s=0.12)
    feed(session, room(0.3) + pcm + room(1.0))
    assert len(session.turns) == 1
    assert sent == ["next step"]
    assert len(rec.calls) >= 2  # the first guess was made, and thrown away
    session.speaker.close()


def test_a_safety_guess_in_a_short_pause_waits_for_the_pause_to_last() -> None:
    # "ouch ... that hurts" with an 80 ms gap (60 ms of silence to the VAD), guessing after 30 ms:
    # the guess "Ouch." is a safety word, but the turn only ends on it after safety_end_ms (90)
    # of silence; speech resumes first, so the whole phrase is one turn.
    rec = Scripted(ok("Ouch.", safety=True), ok("Ouch, that hurts.", safety=True))
    session, sent = make(rec, speculate_ms=30, safety_end_ms=90)
    pcm = concat_with_silence([synthesize("ouch", "en-us+f2", pad_s=0.0).pcm,
                               synthesize("that hurts", "en-us+f2", pad_s=0.0).pcm], gap_s=0.08)
    feed(session, room(0.3) + pcm + room(1.0))
    assert sent == ["Ouch, that hurts."]
    assert len(rec.calls) == 2 and rec.calls[0] < rec.calls[1]  # the guess in the gap was made
    (turn,) = session.turns
    assert turn.early and turn.safety
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
    assert session.speaker.cuts == 1
    assert session.speaker.wait_idle(1.0)
    assert not any("second sentence" in s for s in session.speaker.spoken)
    session.speaker.close()


def test_other_speech_while_the_coach_talks_is_ignored() -> None:
    rec = Scripted(ok("next step"))
    session, sent = make(rec, simulate=True)
    session.speaker.say("A long sentence from the coach, long enough to still be talking when "
                        "the person finishes saying next step, and then a bit more.")
    feed_realtime(session, speech("next step") + room(0.5))
    assert sent == []
    assert [t.action for t in session.turns] == ["ignored"]
    assert session.speaker.busy  # still talking: nothing cut it off
    session.speaker.close()


def test_sounds_that_are_not_speech_are_ignored() -> None:
    rec = Scripted(NOISE)
    session, sent = make(rec)
    feed(session, speech("hmm") + room(1.0))
    assert sent == []
    assert [t.action for t in session.turns] == ["ignored-noise"]
    session.speaker.close()


def test_without_a_retry_an_unsure_guess_is_transcribed_again_with_its_whole_pause() -> None:
    rec = Scripted(UNSURE)
    session, sent = make(rec, retry_ms=0)
    feed(session, speech("next step") + room(1.0))
    assert sent == [UNSURE.text]
    (turn,) = session.turns
    assert not turn.early and not turn.retried and len(rec.calls) == 2 \
        and rec.calls[-1] > rec.calls[0]
    session.speaker.close()


def test_an_unsure_guess_is_made_again_over_a_longer_pause_and_that_one_stands() -> None:
    rec = Scripted(UNSURE, ok("next stop", logprob=-1.0), ok("not asked for"))
    session, sent = make(rec, speculate_ms=30, retry_ms=150)
    feed(session, speech("next step") + room(1.0))
    assert sent == ["next stop"]  # the second guess, not a third transcription
    (turn,) = session.turns
    assert not turn.early and turn.retried and len(rec.calls) == 2 and rec.calls[1] > rec.calls[0]
    session.speaker.close()


def test_a_sure_second_guess_ends_the_turn_early() -> None:
    rec = Scripted(UNSURE, ok("next step"), ok("not asked for"))
    session, sent = make(rec, speculate_ms=30, retry_ms=150)
    feed(session, speech("next step") + room(1.0))
    assert sent == ["next step"]
    (turn,) = session.turns
    assert turn.early and turn.retried and len(rec.calls) == 2
    session.speaker.close()


def test_coach_messages_are_spoken_in_order_and_written_with_speak_to(tmp_path) -> None:
    speaker = Speaker(Player("null", simulate=False), speak_to=tmp_path)
    session = VoiceSession(Scripted(UNCLEAR), lambda *_: None, speaker)
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
    session = VoiceSession(rec, lambda text, _meta: sent.append(text), speaker)
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
    session = VoiceSession(rec, lambda text, _meta: sent.append(text), speaker, echo_guard=True)
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


def test_after_the_coach_asks_for_a_rating_the_answer_is_transcribed_as_one() -> None:
    rec = Scripted(ok("6."))
    session, sent = make(rec)
    session.on_coach("How bad is it, from zero to ten?")
    session.speaker.wait_idle(5)
    feed(session, speech("six") + room(1.0))
    assert sent == ["6."] and set(rec.expects) == {EXPECT_RATING}
    session.on_coach("Okay, a six. Ease off a little.")  # any other message ends the question
    session.speaker.wait_idle(5)
    n = len(rec.expects)
    rec.results, rec.calls = [ok("next step")], []
    feed(session, speech("next step") + room(1.0))
    assert rec.expects[n:] and set(rec.expects[n:]) == {None}


def test_after_the_coach_asks_which_routine_the_answer_is_transcribed_as_one() -> None:
    rec = Scripted(ok("Standing double leg."))
    session, sent = make(rec)
    session.on_coach("Which routine? Kneeling single leg, seated single leg, standing double leg, "
                     "or the wrist pull.")
    session.speaker.wait_idle(5)
    feed(session, speech("standing double leg") + room(1.0))
    assert sent == ["Standing double leg."] and set(rec.expects) == {EXPECT_ROUTINE}
    session.on_coach("Standing double leg stretch. Step 1 of 3.")
    session.speaker.wait_idle(5)
    n = len(rec.expects)
    rec.results, rec.calls = [ok("next step")], []
    feed(session, speech("next step") + room(1.0))
    assert rec.expects[n:] and set(rec.expects[n:]) == {None}


@pytest.mark.parametrize("expect, asking", [
    (EXPECT_RATING, {"utter_ask_pain", "utter_pain_ask_again", "utter_ask_pain_confirm",
                     "utter_pain_off_scale"}),
    (EXPECT_ROUTINE, {"utter_choose_routine"}),
])
def test_the_coachs_questions_set_what_the_next_utterance_is_heard_as(expect, asking) -> None:
    """Every variation of the domain's responses that ask for a rating (or a routine) says the
    marker the voice loop looks for, and no other response does."""
    import yaml

    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    responses = yaml.safe_load((root / "domain.yml").read_text())["responses"]
    for name in asking:
        for variant in responses[name]:
            assert expectation(variant["text"]) == expect, (name, variant)
    found = {n for n, vs in responses.items() for v in vs
             if expectation(v.get("text", "")) == expect}
    assert found == asking


def test_each_transcript_goes_with_how_it_was_heard_and_a_reprompt_without() -> None:
    sent: List[tuple] = []
    heard = Transcript("next step", False, -0.4, 0.01, 5.0, safety_p=0.25)
    rec = Scripted(heard, UNCLEAR)
    session = VoiceSession(rec, lambda text, meta: sent.append((text, meta)),
                           Speaker(Player("null", simulate=False)))
    feed(session, speech("next step") + room(1.0) + speech("blah blah") + room(1.0))
    assert sent == [("next step", {"heard": {"safety_p": 0.25, "logprob": -0.4, "room_talk": False}}),
                    (FALLBACK_MESSAGE, None)]
    assert session.turns[0].metadata == sent[0][1]
    session.speaker.close()


def test_without_hearing_the_text_goes_alone() -> None:
    sent: List[tuple] = []
    session = VoiceSession(Scripted(ok("next step")), lambda text, meta: sent.append((text, meta)),
                           Speaker(Player("null", simulate=False)), hearing=False)
    feed(session, speech("next step") + room(1.0))
    assert sent == [("next step", None)]
    session.speaker.close()
