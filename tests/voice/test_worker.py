"""The recogniser in a child process answers like the one in this process, and leaves this
process's threads free while it decodes."""

from __future__ import annotations

import shutil
import threading

import pytest

pytest.importorskip("pocketsphinx")
if shutil.which("espeak-ng") is None or shutil.which("sox") is None:
    pytest.skip("espeak-ng and sox are needed to generate test audio", allow_module_level=True)

from devtools.audio_gen import synthesize  # noqa: E402
from devtools.sphinx_baseline.recognizer import EXPECT_RATING, Recognizer  # noqa: E402
from devtools.sphinx_baseline.worker import RecognizerProcess  # noqa: E402

pytestmark = pytest.mark.voice


@pytest.fixture(scope="module")
def remote():
    with RecognizerProcess() as rec:
        yield rec


def test_same_answers_as_in_process(remote) -> None:
    local = Recognizer()
    for text in ("switch legs", "that hurts", "play some music"):
        pcm = synthesize(text, "en-us+f2").pcm
        a, b = local.recognize(pcm), remote.recognize(pcm)
        assert (a.text, a.rejected, a.safety, a.intent) == (b.text, b.rejected, b.safety, b.intent)
        s1, s2 = local.spot_safety(pcm), remote.spot_safety(pcm)
        assert (s1.text, s1.rejected, s1.safety) == (s2.text, s2.rejected, s2.safety)
    pcm = synthesize("seven", "en-us+f2").pcm  # the rating context crosses the process boundary
    a = local.recognize(pcm, expect=EXPECT_RATING)
    assert remote.recognize(pcm, expect=EXPECT_RATING).text == a.text == "seven"


def test_other_threads_run_while_it_decodes(remote) -> None:
    pcm = synthesize("how do i do the seated one", "en-us+f2").pcm * 4  # a long decode
    ticks = 0
    stop = threading.Event()

    def count() -> None:
        nonlocal ticks
        while not stop.is_set():
            ticks += 1
            stop.wait(0.001)

    t = threading.Thread(target=count)
    t.start()
    before = ticks
    remote.recognize(pcm)
    during = ticks - before
    stop.set()
    t.join()
    assert during >= 20  # the counter kept going: no GIL held here during the decode
