"""Whisper over several utterances at once (stretch_voice/batching.py) hears what it hears one at a
time: the test voices' commands and safety phrases, with and without the coach's rating and routine
questions in the prompt, transcribed as one batch and one by one, give the same transcripts, the
same safety readings and their sources. The times of both are printed (the page benchmark,
lab/bench/web_bench.py, measures what they do for the pages)."""

from __future__ import annotations

import shutil
import time

import pytest

if shutil.which("espeak-ng") is None or shutil.which("sox") is None:
    pytest.skip("espeak-ng and sox are needed to generate test audio", allow_module_level=True)

from lab.speech import synthesize  # noqa: E402
from stretch_voice.batching import BatchRecognizer  # noqa: E402
from stretch_voice.recognizer import EXPECT_RATING, EXPECT_ROUTINE  # noqa: E402

pytestmark = pytest.mark.voice

CLIPS = [("next step", None), ("ouch", None), ("the seated one", EXPECT_ROUTINE),
         ("three", EXPECT_RATING), ("too much pressure", None), ("how long left", None),
         ("stop", None), ("switch legs", None)]


@pytest.fixture(scope="module")
def rec() -> BatchRecognizer:
    return BatchRecognizer()


@pytest.mark.parametrize("voice", ["piper", "flite:slt", "en-us+f2"])
def test_a_batch_hears_what_one_at_a_time_hears(rec: BatchRecognizer, voice: str) -> None:
    items = [(synthesize(text, voice, 160).pcm, expect) for text, expect in CLIPS]
    t0 = time.perf_counter()
    alone = [rec.transcribe(pcm, expect=expect) for pcm, expect in items]
    t1 = time.perf_counter()
    together = rec.transcribe_many(items)
    t2 = time.perf_counter()
    print(f"{voice}: {len(items)} utterances one at a time {1000 * (t1 - t0):.0f} ms, "
          f"as one batch {1000 * (t2 - t1):.0f} ms")
    for (text, _expect), a, b in zip(CLIPS, alone, together, strict=True):
        assert (b.text, b.safety, b.source, b.noise) == (a.text, a.safety, a.source, a.noise), text
        assert abs(b.logprob - a.logprob) < 0.05, (text, a.logprob, b.logprob)
        assert abs(b.safety_p - a.safety_p) < 0.05, (text, a.safety_p, b.safety_p)
    assert sum(t.safety for t in alone) >= 2, [t.text for t in alone]  # safety phrases among them
