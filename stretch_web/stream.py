"""Where a page's microphone stream stands on the gateway, so that a reconnect loses nothing.

The page numbers its microphone samples from 0 (one stream per page load, with an id) and keeps
the last :data:`BACKLOG_S` seconds of them. While its WebSocket is down it keeps capturing; on
reconnect its hello names the stream, the gateway answers with how many samples of it it has
(``heard`` in ``ready``), and the page sends ``{"type": "resend", "from": S, "samples": N}``
followed by the N samples from position S: what was said while the link was down, and what was
in flight when it dropped. The backlog arrives faster than real time; it is not a fast sender
(no warning), it is fed to the recogniser in order (back-pressure as for any audio), and each
chunk is stamped with the time it was captured (estimated: the backlog ends about when the resend
message arrives), so turn timings stay honest.

Overlap (the page sends from before what the gateway has) is dropped; a gap (the outage was
longer than the page's buffer) is counted in :attr:`Stream.lost`. Pure: no I/O.
"""

from __future__ import annotations

from typing import Optional

from stretch_voice import SAMPLE_RATE, SAMPLE_WIDTH

BACKLOG_S = 15
"""Seconds of microphone audio the page keeps for a reconnect (app.js has the same number)."""
MAX_RESEND = (BACKLOG_S + 5) * SAMPLE_RATE
"""The most samples a resend may announce (the page's buffer and a margin)."""


class Stream:
    """One page's microphone stream as received: its id, position and what is in transit."""

    def __init__(self) -> None:
        self.id: Optional[str] = None
        self.pos = 0           # samples of this stream received (and fed)
        self.lost = 0          # samples the page could not resend (outage longer than its buffer)
        self.resent = 0        # samples received as backlog
        self._skip = 0         # samples still to drop: the page resent what was already here
        self._backlog = 0      # samples of the announced backlog still to come
        self._end = 0          # stream position where the backlog ends ...
        self._end_t = 0.0      # ... and about when that sample was captured

    def hello(self, stream_id: Optional[str]) -> int:
        """A page (re)connects: how many samples of its stream the gateway already has."""
        if stream_id is not None and stream_id == self.id:
            self._skip = self._backlog = 0
            return self.pos
        self.id, self.pos, self._skip, self._backlog = stream_id, 0, 0, 0
        return 0

    def resume(self, stream_id: Optional[str], pos: int) -> None:
        """Continue a stream another gateway had up to ``pos`` (a take-over: stretch_web/shared.py)."""
        self.id, self.pos, self._skip, self._backlog = stream_id, max(0, pos), 0, 0

    def resend(self, start: int, samples: int, now: float) -> int:
        """The next ``samples`` samples are the stream from ``start`` on, captured earlier.
        Returns how many samples before ``start`` are lost for good."""
        lost = max(0, start - self.pos)
        self.lost += lost
        self.pos += lost
        self._skip = self.pos - start
        self._backlog = samples
        self._end, self._end_t = start + samples, now
        return lost

    def take(self, pcm: bytes, now: float) -> tuple[bytes, float, bool]:
        """A received audio frame: (what to feed, when its last sample was captured, live?).
        ``live`` is False for backlog, which may come faster than real time."""
        n = len(pcm) // SAMPLE_WIDTH
        backlog = self._backlog > 0
        if backlog:
            self._backlog = max(0, self._backlog - n)
            self.resent += n
        if self._skip:
            k = min(self._skip, n)
            self._skip -= k
            pcm = pcm[k * SAMPLE_WIDTH:]
            n -= k
        self.pos += n
        t_end = self._end_t - max(0, self._end - self.pos) / SAMPLE_RATE if backlog else now
        return pcm, t_end, not backlog
