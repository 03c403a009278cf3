"""Hear the person, not the room: when another voice talks on (a TV, a radio), only speech clearly
louder than it counts as the person's.

The person talking to the phone is nearer to it than the TV, so louder. :class:`ForegroundGate`
watches the last few seconds of frames: while most of them are speech (someone talks all the time,
which a person giving commands does not), the typical level of that speech is the background
talker's, and a speech frame counts only if it is ``margin_db`` above it. Otherwise (a quiet room,
a fan, traffic) the VAD's verdict stands unchanged. With the gate, an utterance ends when the
person stops, although the TV goes on, and the recogniser gets the person's words, not the TV's.
"""

from __future__ import annotations

import collections
import math
from typing import Deque, Optional

import numpy as np


def frame_db(frame: bytes) -> float:
    """RMS level of a 16-bit PCM frame in dBFS (one dot product: the gate runs on every frame of
    every page)."""
    x = np.frombuffer(frame, dtype="<i2").astype(np.float64)
    return 10.0 * math.log10(float(np.dot(x, x)) / len(x) / (32768.0 ** 2) + 1e-10)


class ForegroundGate:
    """Per 30 ms frame: is this the person's speech, given the VAD's verdict?

    Args:
        window_s: How much of the recent past describes the room.
        talk_share: The share of speech frames in that window above which another voice is
            taken to be talking on. A TV talks nearly all the time; partners who talk a lot
            reach half of it, and at 0.5 the gate took them for a TV and closed on their own
            voice, "ouch" included (lab/experiments/foreground_tune.py --tv off).
        percentile: Which level of that voice's speech frames (those not taken for the person's)
            stands for it: a high one, as the TV's loud syllables are heard as often as its
            quiet ones.
        margin_db: How far above that level a frame must be to be the person's.
        duck_db: While another voice talks on, frames that are not the person's are turned
            down this much in what the recogniser hears (None: left as they are).
        frame_ms: The frames' length.
    """

    def __init__(self, window_s: float = 8.0, talk_share: float = 0.7, percentile: float = 90,
                 margin_db: float = 3.0, duck_db: Optional[float] = None,
                 frame_ms: int = 30) -> None:
        self.talk_share, self.percentile, self.margin_db = talk_share, percentile, margin_db
        self.duck = None if duck_db is None else 10 ** (-duck_db / 20)
        self._frames = int(window_s * 1000 // frame_ms)
        self._recent: Deque[tuple[float, bool, bool]] = collections.deque(maxlen=self._frames)
        self._talk = 0  # speech frames in _recent, kept as frames come and go (a quiet room
        # costs one comparison a frame, not a pass over the window)
        self.active = False  # another voice is talking on: the gate is closing on it

    def judge(self, frame: bytes, speech: bool) -> bool:
        """Whether ``frame`` (which the VAD called ``speech``) is the person's speech."""
        level = frame_db(frame)
        person = speech
        if len(self._recent) >= self._frames // 2:
            self.active = self._talk >= self.talk_share * len(self._recent)
            if self.active and speech:
                talk = [lv for lv, s, _ in self._recent if s]
                other = [lv for lv, s, p in self._recent if s and not p]
                ref = float(np.percentile(other if len(other) >= 30 else talk, self.percentile))
                person = level >= ref + self.margin_db
        if len(self._recent) == self._frames:
            self._talk -= self._recent[0][1]
        self._recent.append((level, speech, person))
        self._talk += speech
        return person

    def focus(self, frame: bytes, person: bool) -> bytes:
        """``frame`` as the recogniser should hear it: turned down if another voice is talking
        on and this frame is not the person's."""
        if self.duck is None or person or not self.active:
            return frame
        x = np.frombuffer(frame, dtype="<i2").astype(np.float64) * self.duck
        return x.astype("<i2").tobytes()

    def reset(self) -> None:
        """Forget the room (a new microphone, another place)."""
        self._recent.clear()
        self._talk = 0
        self.active = False
