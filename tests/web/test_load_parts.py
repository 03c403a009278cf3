"""The gateway's load figures and the shared session record, without servers: when a gateway is
full (pages, the recogniser's queue averaged over 10 s on a given clock), what the queue's
percentiles are, and that a shared record opens only with its own session id."""

from __future__ import annotations

import functools
import threading

from stretch_web.load import Load, percentile
from stretch_web.recognition import RecognitionQueue
from stretch_web.shared import SharedSessions, seal, unseal
from stretch_web.stream import Stream


class Clock:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


def queue_up(load, threads: list, calls: list) -> None:
    """Start each call (a function and its arguments) in a thread, once the one before waits."""
    for target, *args in calls:
        t = threading.Thread(target=target, args=tuple(args))
        t.start()
        threads.append(t)
        assert wait_until(functools.partial(lambda n: load.queue == n, len(threads)))


def release_all(slow, threads: list) -> None:
    """Let every waiting transcription through, and wait for the threads."""
    for _ in threads:
        slow.gate.release()
    for t in threads:
        t.join(5)


def test_full_at_the_page_cap():
    load = Load(max_pages=3, max_queue=2.0, clock=Clock())
    assert load.full(2) is None
    assert "3 pages" in load.full(3)


def test_full_when_the_queue_averaged_the_cap_over_the_window():
    clock = Clock()
    load = Load(max_pages=100, max_queue=2.0, clock=clock)
    load.queue_average()
    for _ in range(3):  # three utterances waiting for 6 s of 10: an average of 1.8
        load.enter()
    clock.t += 6
    assert abs(load.queue_average() - 3.0) < 1e-9  # all the window so far
    for _ in range(3):
        load.leave(0.5)
    clock.t += 4
    assert abs(load.queue_average() - 1.8) < 1e-9 and load.full(1) is None
    for _ in range(3):
        load.enter()
    clock.t += 3  # 27 queue-seconds over the 13 s since the oldest mark kept: 2.1
    assert load.full(1) is not None and "queue" in load.full(1)
    for _ in range(3):
        load.leave(0.2)
    clock.t += 30
    assert load.full(1) is None and load.queue_average() == 0.0


def test_status_has_percentiles_of_recognition_time_and_no_ids():
    load = Load(clock=Clock())
    for ms in range(1, 101):
        load.enter()
        load.leave(ms / 1000)
    load.refuse()
    status = load.status(pages=2, sessions=3)
    assert status["recognition_ms"] == {"count": 100, "p50": 50, "p95": 95, "max": 100}
    assert (status["pages"], status["sessions"], status["refused"]) == (2, 3, 1)
    assert percentile([], 0.5) is None and percentile([7.0], 0.95) == 7.0


class Slow:
    """A recogniser that holds each call until let go, and notes the order it served them in."""

    config = "the real one's"

    def __init__(self) -> None:
        self.gate = threading.Semaphore(0)
        self.served: list[str] = []
        self.inside = threading.Event()

    def transcribe(self, pcm, expect=None):
        self.inside.set()
        self.gate.acquire(timeout=5)
        self.served.append(pcm.decode())
        return pcm


def wait_until(cond, timeout=5.0):
    import time

    deadline = time.monotonic() + timeout
    while not cond() and time.monotonic() < deadline:
        time.sleep(0.01)
    return cond()


def test_the_queue_counts_what_waits_and_takes_the_urgent_first():
    slow, load = Slow(), Load(clock=Clock())
    queue = RecognitionQueue(slow, load)
    calm, holding = queue.for_page(lambda: False), queue.for_page(lambda: True)
    threads = [threading.Thread(target=calm.transcribe, args=(b"first",))]
    threads[0].start()
    assert slow.inside.wait(5)
    queue_up(load, threads, [(rec.transcribe, word) for rec, word in
                             ((calm, b"ordinary-1"), (calm, b"ordinary-2"), (holding, b"in-a-hold"))])
    release_all(slow, threads)
    assert slow.served == ["first", "in-a-hold", "ordinary-1", "ordinary-2"]
    assert load.queue == 0 and load.status(0, 0)["recognition_ms"]["count"] == 4
    assert calm.config == "the real one's"


def test_waiting_utterances_are_decoded_together_the_urgent_apart():
    class Batched(Slow):
        def transcribe_many(self, items):
            self.inside.set()
            self.gate.acquire(timeout=5)
            self.served.append("+".join(pcm.decode() for pcm, _expect in items))
            return [pcm for pcm, _expect in items]

    slow, load = Batched(), Load(clock=Clock())
    queue = RecognitionQueue(slow, load, batch=3)
    calm, holding = queue.for_page(lambda: False), queue.for_page(lambda: True)
    results: dict[bytes, bytes] = {}

    def call(rec, word):
        results[word] = rec.transcribe(word)

    threads = [threading.Thread(target=call, args=(calm, b"first"))]
    threads[0].start()
    assert slow.inside.wait(5)
    queue_up(load, threads, [(call, rec, word) for rec, word in
                             ((calm, b"o1"), (holding, b"h1"), (calm, b"o2"), (calm, b"o3"),
                              (calm, b"o4"), (holding, b"h2"))])
    release_all(slow, threads)
    assert slow.served == ["first", "h1+h2", "o1+o2+o3", "o4"]
    assert all(results[w] == w for w in results) and len(results) == 7


def test_a_shared_record_opens_only_with_its_session_id():
    record = {"captions": [{"who": "you", "text": "ouch"}], "done": 1234}
    blob = seal("session-a-123456", record)
    assert b"ouch" not in blob and b"session-a" not in blob
    assert unseal("session-a-123456", blob) == record
    assert unseal("session-b-123456", blob) is None
    assert unseal("session-a-123456", blob[:-1] + bytes([blob[-1] ^ 1])) is None
    name = SharedSessions.name("session-a-123456")
    assert "session-a" not in name and name != SharedSessions.name("session-b-123456")


def test_a_taken_over_stream_goes_on_from_where_the_other_gateway_was():
    s = Stream()
    s.resume("stream-1234", 48000)
    assert s.hello("stream-1234") == 48000        # the page resends from there
    assert s.resend(48000, 320, 10.0) == 0        # nothing lost
    pcm, _t, live = s.take(b"\1\0" * 320, 10.0)
    assert len(pcm) == 640 and not live and s.pos == 48320
