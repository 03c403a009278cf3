"""The gateway's one recogniser, shared by its pages, with the urgent first: an utterance of a page
whose session is in a hold (or paused, or asked how bad the pain is) never waits behind other pages'
ordinary ones, only behind the transcription already running. Whisper runs one call at a time; the
waiting ones are taken in order of urgency, then of arrival. With ``batch`` above 1 and a
recogniser that can (:class:`stretch_voice.batching.BatchRecognizer`), the one whose turn it is
takes up to ``batch - 1`` more waiting ones of the same urgency along, decoded together. Every call
is counted in the gateway's :class:`.load.Load` (the queue, the time with its wait)."""

from __future__ import annotations

import heapq
import itertools
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

from .load import Load


@dataclass(order=True)
class _Ask:
    rank: tuple[int, int]  # (0 urgent / 1 not, arrival)
    pcm: bytes = field(compare=False)
    expect: Optional[str] = field(compare=False)
    result: Any = field(default=None, compare=False)
    error: Optional[BaseException] = field(default=None, compare=False)
    done: bool = field(default=False, compare=False)


class RecognitionQueue:
    """Wraps the shared recogniser; :meth:`for_page` gives each page its own view of it."""

    def __init__(self, inner: Any, load: Load, batch: int = 1) -> None:
        self.inner, self.load = inner, load
        self.batch = batch if hasattr(inner, "transcribe_many") else 1
        self._cond = threading.Condition()
        self._waiting: list[_Ask] = []  # a heap
        self._order = itertools.count()
        self._running = False

    def transcribe(self, pcm: bytes, expect: Optional[str] = None, urgent: bool = False) -> Any:
        self.load.enter()
        t0 = time.perf_counter()
        ask = _Ask((0 if urgent else 1, next(self._order)), pcm, expect)
        try:
            with self._cond:
                heapq.heappush(self._waiting, ask)
                while not ask.done and (self._running or self._waiting[0] is not ask):
                    self._cond.wait()
                batch = [] if ask.done else self._take(ask)
            if batch:
                self._run(batch)
            if ask.error is not None:
                raise ask.error
            return ask.result
        finally:
            self.load.leave(time.perf_counter() - t0)

    def _take(self, ask: _Ask) -> list[_Ask]:
        """With the lock held, at the head of the queue: ``ask`` and its batch-mates."""
        batch = [heapq.heappop(self._waiting)]
        while (self._waiting and len(batch) < self.batch
               and self._waiting[0].rank[0] == ask.rank[0]):
            batch.append(heapq.heappop(self._waiting))
        self._running = True
        return batch

    def _run(self, batch: list[_Ask]) -> None:
        try:
            if len(batch) == 1:
                results = [self.inner.transcribe(batch[0].pcm, expect=batch[0].expect)]
            else:
                results = self.inner.transcribe_many([(a.pcm, a.expect) for a in batch])
            for a, r in zip(batch, results, strict=True):
                a.result = r
        except BaseException as exc:  # noqa: BLE001 - each caller gets it raised
            for a in batch:
                a.error = exc
        finally:
            with self._cond:
                for a in batch:
                    a.done = True
                self._running = False
                self._cond.notify_all()

    def for_page(self, urgent: Callable[[], bool]) -> "PageRecognizer":
        return PageRecognizer(self, urgent)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


class PageRecognizer:
    """One page's recogniser: the shared queue, urgent while ``urgent()`` says so."""

    def __init__(self, queue: RecognitionQueue, urgent: Callable[[], bool]) -> None:
        self.queue, self.urgent = queue, urgent

    def transcribe(self, pcm: bytes, expect: Optional[str] = None) -> Any:
        return self.queue.transcribe(pcm, expect=expect, urgent=self.urgent())

    def __getattr__(self, name: str) -> Any:
        return getattr(self.queue, name)
