"""How loaded a gateway is: what it refuses, what ``/status`` shows and what ``/metrics`` exports.

A gateway is *full* when it has ``max_pages`` pages attached (or being attached), or when the
recogniser's queue (utterances waiting for Whisper or being transcribed) held ``max_queue`` on
average over the last :data:`QUEUE_WINDOW_S` seconds. A full gateway refuses a *new* page (a hello
without a session id) with the busy sentence instead of taking it and answering it late; a page
that names its session (a reload, a reconnect, a page whose gateway died) is always taken, so a
page already in a session keeps its place. The figures carry no session id and no words.

The metrics (Prometheus, ``prometheus_client``, one registry per gateway) are listed in
docs/cluster.md; the coach's own figures are what the gateway sees of it (the time from sending a
message to the coach's first reply).
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from typing import Any, Callable, Deque, Optional

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, ProcessCollector
from prometheus_client.core import CounterMetricFamily

from stretch_voice.tts import DEFAULT_SPEED, Speech, Synthesizer, get_synth

MAX_PAGES = 6
"""Pages one gateway takes by default: on 2 cores six pages speaking at the same moments were
answered with a median under 1 s, eight were not (docs/benchmarks.md)."""
MAX_QUEUE = 2.0
"""Utterances in the recogniser's queue, on average over :data:`QUEUE_WINDOW_S`, at which a
gateway refuses new pages: they keep waiting for one another."""
QUEUE_WINDOW_S = 10.0
RECENT = 500
"""Recognition times kept for ``/status``'s percentiles."""
SECONDS = (0.05, 0.1, 0.15, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0)


class Busy(Exception):
    """The gateway is full: a new page is told so, and not taken."""


def percentile(values: list[float], q: float) -> Optional[float]:
    """The ``q`` quantile (0..1) of ``values`` by the nearest rank, or None for none."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


class Load:
    """The gateway's load figures (thread-safe) and its Prometheus registry."""

    def __init__(self, max_pages: int = MAX_PAGES, max_queue: float = MAX_QUEUE,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.max_pages, self.max_queue, self.clock = max_pages, max_queue, clock
        self.queue = 0                  # transcriptions waiting or running now
        self.refused = 0
        self._area = 0.0                # integral of the queue over time, for its average
        self._since = clock()
        self._marks: Deque[tuple[float, float]] = deque()  # (time, area), QUEUE_WINDOW_S of them
        self._recent: Deque[float] = deque(maxlen=RECENT)   # recognition seconds
        self._lock = threading.Lock()
        self.registry = CollectorRegistry()
        ProcessCollector(registry=self.registry)  # the gateway's CPU and memory
        r = self.registry
        self.pages = Gauge("stretch_gateway_pages", "Pages attached (an open WebSocket)", registry=r)
        self.sessions = Gauge("stretch_gateway_sessions",
                              "Page sessions kept (attached, or waiting for their page)", registry=r)
        Gauge("stretch_gateway_recognition_queue",
              "Utterances waiting for the recogniser or being transcribed",
              registry=r).set_function(lambda: self.queue)
        self.recognition = Histogram("stretch_gateway_recognition_seconds",
                                     "One transcription, its wait for the recogniser included",
                                     buckets=SECONDS, registry=r)
        self.synthesis = Histogram("stretch_gateway_synthesis_seconds",
                                   "One sentence of the coach made ready to play (recorded or "
                                   "synthesised)", buckets=SECONDS, registry=r)
        self.refusals = Counter("stretch_gateway_refused_pages",
                                "New pages told the coach is busy", registry=r)
        self.utterances = Counter("stretch_gateway_utterances", "Utterances heard, by what became "
                                  "of them", ["action"], registry=r)
        self.reply = Histogram("stretch_gateway_reply_seconds", "End of speech to the first reply "
                               "audio sent to the page", buckets=SECONDS, registry=r)
        self.coach_reply = Histogram("stretch_coach_reply_seconds", "A message sent to the coach "
                                     "to its first reply, as the gateway sees it", buckets=SECONDS,
                                     registry=r)

    # --- the recogniser's queue -----------------------------------------------------------------

    def _account(self, delta: int) -> None:
        now = self.clock()
        self._area += self.queue * (now - self._since)
        self._since = now
        self.queue += delta

    def enter(self) -> None:
        with self._lock:
            self._account(+1)

    def leave(self, seconds: float) -> None:
        with self._lock:
            self._account(-1)
            self._recent.append(seconds)
        self.recognition.observe(seconds)

    def queue_average(self) -> float:
        """The queue's mean length over the last :data:`QUEUE_WINDOW_S` seconds (less just
        after the start). Also keeps the marks it needs: call it now and then (the gateway's
        reaper does, twice a second)."""
        with self._lock:
            self._account(0)
            now, area = self._since, self._area
            self._marks.append((now, area))
            while len(self._marks) > 1 and now - self._marks[1][0] >= QUEUE_WINDOW_S:
                self._marks.popleft()
            t0, a0 = self._marks[0]
        return (area - a0) / (now - t0) if now > t0 else float(self.queue)

    # --- pages ----------------------------------------------------------------------------------

    def full(self, pages: int) -> Optional[str]:
        """Why a new page would be refused with ``pages`` taken, or None if it is welcome."""
        if pages >= self.max_pages:
            return f"{pages} pages (the most is {self.max_pages})"
        average = self.queue_average()
        if average >= self.max_queue:
            return f"the recogniser's queue averages {average:.1f} (the most is {self.max_queue})"
        return None

    def refuse(self) -> None:
        with self._lock:
            self.refused += 1
        self.refusals.inc()

    def turn(self, action: str) -> None:
        self.utterances.labels(action=action).inc()

    def answered(self, reply_s: Optional[float], coach_s: Optional[float]) -> None:
        if reply_s is not None:
            self.reply.observe(reply_s)
        if coach_s is not None:
            self.coach_reply.observe(coach_s)

    def status(self, pages: int, sessions: int) -> dict[str, Any]:
        """The load as ``/status`` shows it: counts and times, no ids, no words."""
        with self._lock:
            recent = list(self._recent)

        def ms(q: float) -> Optional[int]:
            v = percentile(recent, q)
            return None if v is None else round(v * 1000)

        average = self.queue_average()
        return {"pages": pages, "sessions": sessions, "max_pages": self.max_pages,
                "recognition_queue": self.queue,
                "recognition_queue_average": round(average, 2), "max_queue": self.max_queue,
                "full": pages >= self.max_pages or average >= self.max_queue,
                "refused": self.refused,
                "recognition_ms": {"count": len(recent), "p50": ms(0.5), "p95": ms(0.95),
                                   "max": ms(1.0)}}


class MeteredSynth(Synthesizer):
    """The coach's voice, timed: each sentence's time to be ready goes to ``meter``; how many were
    recorded at set-up and how many synthesised is read from the voice's cache, if it has one."""

    def __init__(self, voice: Any, meter: Load) -> None:
        self.voice, self.meter = voice, meter
        self._inner: Optional[Synthesizer] = None
        meter.registry.register(_SentenceCounts(self))

    @property
    def inner(self) -> Synthesizer:
        if self._inner is None:
            self._inner = get_synth(self.voice)
        return self._inner

    @property  # type: ignore[override]
    def name(self) -> str:
        return self.inner.name

    @property  # type: ignore[override]
    def sample_rate(self) -> int:
        return self.inner.sample_rate

    @property  # type: ignore[override]
    def fallback_reason(self) -> Optional[str]:
        return self.inner.fallback_reason

    def load(self) -> None:
        self.inner.load()

    def synthesize(self, text: str, speed: int = DEFAULT_SPEED) -> Speech:
        t0 = time.perf_counter()
        try:
            return self.inner.synthesize(text, speed)
        finally:
            self.meter.synthesis.observe(time.perf_counter() - t0)


class _SentenceCounts:
    """``stretch_gateway_sentences_total{source}``: the coach's sentences played from the set-up's
    recordings, and those synthesised when said."""

    def __init__(self, synth: MeteredSynth) -> None:
        self.synth = synth

    def collect(self) -> Any:
        family = CounterMetricFamily("stretch_gateway_sentences", "The coach's sentences made "
                                     "ready, by where they came from", labels=["source"])
        inner = self.synth._inner
        hits, misses = getattr(inner, "hits", None), getattr(inner, "misses", None)
        if hits is not None and misses is not None:
            family.add_metric(["recorded"], hits)
            family.add_metric(["synthesised"], misses)
        yield family
