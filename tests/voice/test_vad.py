"""End of utterance on real synthetic speech, with both VAD engines (webrtcvad and Silero)."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

pytest.importorskip("webrtcvad")
pytest.importorskip("faster_whisper")
if shutil.which("espeak-ng") is None or shutil.which("sox") is None:
    pytest.skip("espeak-ng and sox are needed to generate test audio", allow_module_level=True)

from lab.speech import coloured_noise, concat_with_silence, synthesize  # noqa: E402
from stretch_voice import SAMPLE_RATE  # noqa: E402
from stretch_voice.vad import FRAME_BYTES, UtteranceDetector, split_pcm  # noqa: E402

pytestmark = pytest.mark.voice
ENGINES = ("webrtc", "silero", "both")


@pytest.mark.parametrize("engine", ENGINES)
def test_two_commands_apart_are_two_utterances_with_their_speech_inside(engine: str) -> None:
    a = synthesize("next step", "en-us+m3", 160, snr_db=15.0, noise="sox-pink", pad_s=0.5)
    b = synthesize("that hurts", "flite:awb", 160, snr_db=15.0, noise="sox-pink", pad_s=0.5)
    utts = split_pcm(concat_with_silence([a.pcm, b.pcm], gap_s=1.0), engine=engine)
    assert len(utts) == 2
    first_speech_end = len(a.pcm) / (2 * SAMPLE_RATE) - 0.5
    assert 0.4 <= utts[0].speech_start_s <= 0.6  # the speech starts at 0.5 s
    assert abs(utts[0].speech_end_s - first_speech_end) <= 0.2
    assert utts[1].speech_start_s > first_speech_end + 1.0


@pytest.mark.parametrize("engine", ENGINES)
def test_room_noise_alone_is_not_an_utterance(engine: str) -> None:
    rng = np.random.default_rng(3)
    noise = coloured_noise(5 * SAMPLE_RATE, rng, "sox-pink") * 300  # about -40 dBFS
    pcm = np.clip(np.round(noise), -32768, 32767).astype("<i2").tobytes()
    assert split_pcm(pcm, engine=engine) == []


def test_silero_state_is_forgotten_on_reset() -> None:
    clip = synthesize("ouch", "en-us", 160, pad_s=0.3).pcm
    det = UtteranceDetector(engine="silero")
    verdicts = [det.is_speech(clip[i:i + FRAME_BYTES])
                for i in range(0, len(clip) - FRAME_BYTES + 1, FRAME_BYTES)]
    det.reset()
    again = [det.is_speech(clip[i:i + FRAME_BYTES])
             for i in range(0, len(clip) - FRAME_BYTES + 1, FRAME_BYTES)]
    assert verdicts == again and any(verdicts) and not verdicts[0]


def test_an_unknown_engine_is_refused() -> None:
    with pytest.raises(ValueError):
        UtteranceDetector(engine="nope")


@pytest.mark.parametrize("snr_db, carries", [(None, True), (8.0, False)])
def test_webrtcvad_carries_speech_on_only_while_it_hears_speech_end(
        snr_db: float | None, carries: bool) -> None:
    pcm, ends = b"", []
    for phrase in ("next step", "that hurts", "switch legs", "harder", "ease off"):
        pcm += synthesize(phrase, "en-us+m3", 160, snr_db=snr_db, noise="sox-pink", pad_s=0.8).pcm
        ends.append(len(pcm) / (2 * SAMPLE_RATE) - 0.8)
    heard = {}
    for name, check in (("shipped", 3), ("always", 0)):
        det = UtteranceDetector(engine="both", carry_check=check)
        utts = det.feed(pcm) + det.flush()
        assert len(utts) == len(ends)
        heard[name] = [u.speech_end_s - end for u, end in zip(utts, ends, strict=True)]
        assert det.carrying is (carries or check == 0)
    if carries:  # a quiet room: webrtcvad ends with the speech, and carries as before
        assert heard["shipped"] == heard["always"]
    else:  # loud noise: webrtcvad outlasted the carry three times, so it stopped carrying
        assert heard["shipped"][:3] == heard["always"][:3]
        for ours, always in zip(heard["shipped"][3:], heard["always"][3:], strict=True):
            assert -0.1 <= ours <= 0.25 and ours < always - 0.1


def test_a_long_stream_in_an_echoing_room_is_heard_to_the_end() -> None:
    """Forty phrases in a bare room (RT60 ~0.9 s, the phone 2.4 m away), one stream, the Piper
    voice: Silero's recurrent state drifted over such a stream until speech no longer read as
    speech (30 of 40 heard); cleared when nobody speaks, the last phrases are heard as well as
    the first."""
    from lab import room

    phrases = ["next step", "ouch", "how long left", "that hurts", "switch legs",
               "wait a moment", "harder", "too much"] * 5
    pcm, spans = room.scene(phrases, "piper", 190, "train-sports", None, "en-gb+Gene",
                            gap_s=1.2, seed=2)
    utts = UtteranceDetector(foreground=False).feed(pcm)
    heard = [any(u.speech_start_s < b and u.speech_end_s > a for u in utts) for a, b in spans]
    assert all(heard), [(i, p) for i, (p, h) in enumerate(zip(phrases, heard, strict=True)) if not h]
