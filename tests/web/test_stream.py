"""The gateway's bookkeeping of a page's microphone stream across reconnects (pure)."""

from __future__ import annotations

from stretch_web.stream import Stream


def pcm(first: int, n: int) -> bytes:
    """n samples whose values are their stream positions (mod 2**15), to see what is fed."""
    return b"".join(((first + i) % 32768).to_bytes(2, "little") for i in range(n))


def test_a_page_that_reconnects_is_told_what_was_heard_and_its_resend_fills_the_gap():
    s = Stream()
    assert s.hello("page-one-stream") == 0
    fed, t_end, live = s.take(pcm(0, 320), now=100.0)
    assert (fed, t_end, live) == (pcm(0, 320), 100.0, True)
    assert s.hello("page-one-stream") == 320, "the same stream: what the gateway has"
    assert s.resend(320, 16000, now=200.0) == 0
    fed, t_end, live = s.take(pcm(320, 8000), now=200.1)
    assert fed == pcm(320, 8000) and not live
    assert t_end == 200.0 - 8000 / 16000, "stamped with when it was captured, not when it came"
    fed, t_end, live = s.take(pcm(8320, 8000), now=200.2)
    assert not live and t_end == 200.0 and s.resent == 16000
    assert s.take(pcm(16320, 320), now=200.3)[2], "after the backlog: live again"
    assert s.pos == 16640 and s.lost == 0


def test_overlap_is_dropped_and_a_gap_is_counted():
    s = Stream()
    s.hello("page-one-stream")
    s.take(pcm(0, 1000), now=1.0)
    s.hello("page-one-stream")
    s.resend(600, 1000, now=2.0)                  # 400 samples the gateway has already
    fed, _, _ = s.take(pcm(600, 500), now=2.0)
    assert fed == pcm(1000, 100)
    fed, _, _ = s.take(pcm(1100, 500), now=2.0)
    assert fed == pcm(1100, 500) and s.pos == 1600
    s.hello("page-one-stream")
    assert s.resend(5000, 100, now=3.0) == 3400, "the page's buffer did not reach back far enough"
    assert s.lost == 3400 and s.take(pcm(5000, 100), now=3.0)[0] == pcm(5000, 100)
    assert s.pos == 5100


def test_another_stream_starts_from_nothing():
    s = Stream()
    s.hello("page-one-stream")
    s.take(pcm(0, 1000), now=1.0)
    assert s.hello("page-two-stream") == 0 and s.pos == 0
    assert s.hello(None) == 0, "a page that names no stream"
