"""The coach's voice: speaks messages one after another, sentence by sentence, and stops at once.

A message is split into sentences (:func:`.tts.split_sentences`). One thread synthesises them, the
next sentence while the current one plays, and another plays them; so the first sentence is heard
after one sentence's synthesis, not the whole message's. :meth:`Speaker.interrupt` (barge-in)
stops the audio within one block (:class:`.tts.Player`) and drops every queued sentence and
message.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from pathlib import Path
from typing import Callable, List, Optional, Union

from .audio import pcm_to_wav_bytes
from .tts import (DEFAULT_SPEED, DEFAULT_VOICE, Player, Speech, Synthesizer, get_synth,
                  split_sentences, wav_pcm)

log = logging.getLogger(__name__)

READY_AHEAD = 1
"""Sentences synthesised ahead of the one playing: one hides synthesis behind playback (a
sentence takes ~0.1 s to make and ~1-3 s to play) without spending CPU on audio a barge-in drops."""


class _Part:
    """One sentence of a message, ready to play."""

    def __init__(self, epoch: int, text: str, speech: Optional[Speech], last: bool) -> None:
        self.epoch, self.text, self.speech, self.last = epoch, text, speech, last


class Speaker:
    """Speaks texts one after another in background threads; :meth:`interrupt` cuts it short.

    Args:
        player: Where audio goes (:class:`.tts.Player`; its null backend simulates playback).
        voice, speed: The voice (a name for :func:`.tts.get_synth`, or a synthesiser) and words
            per minute. The voice loads in the background as the speaker starts.
        speak_to: If set, every spoken text is also written there as ``NNN.wav`` (all its
            sentences; a text cut short holds the sentences that started playing).
        on_start: Called as ``on_start(text, speech, t)`` when a text's first audio starts
            playing; ``speech`` is its first sentence, ``t`` is from ``clock``.
    """

    def __init__(self, player: Optional[Player] = None,
                 voice: Union[str, Synthesizer] = DEFAULT_VOICE, speed: int = DEFAULT_SPEED,
                 speak_to: Optional[Path] = None,
                 on_start: Optional[Callable[[str, Speech, float], None]] = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.player = player or Player()
        self.voice, self.speed, self.clock = voice, speed, clock
        self.speak_to = Path(speak_to) if speak_to else None
        if self.speak_to:
            self.speak_to.mkdir(parents=True, exist_ok=True)
        self.on_start = on_start
        self.spoken: List[str] = []
        self.cuts = 0  # how many times :meth:`interrupt` cut speech short
        self.current: Optional[str] = None  # the text being spoken right now
        self._texts: "queue.Queue[Optional[tuple[int, str]]]" = queue.Queue()
        self._parts: "queue.Queue[Optional[_Part]]" = queue.Queue(maxsize=READY_AHEAD)
        self._epoch = 0
        self._pending = 0  # texts said and not yet finished (or dropped) in this epoch
        self._wav: List[bytes] = []  # PCM of the sentences of ``current`` that started playing
        self._rate = 0
        self._lock = threading.RLock()  # re-entrant: on_start may call interrupt()
        self._threads = [threading.Thread(target=self._synth_loop, daemon=True,
                                          name="coach-synth"),
                         threading.Thread(target=self._play_loop, daemon=True, name="coach-speaker")]
        for t in self._threads:
            t.start()

    @property
    def busy(self) -> bool:
        """True while the coach is talking or has something queued to say."""
        return self._pending > 0 or self.player.is_playing

    def say(self, text: str) -> None:
        with self._lock:
            self._pending += 1
            self._texts.put((self._epoch, text))

    def interrupt(self) -> bool:
        """Stop talking now and forget what was queued. True if it was talking."""
        with self._lock:
            was = self.busy
            self._epoch += 1
            self.cuts += int(was)
            self._pending = 0
            for q in (self._texts, self._parts):
                while True:
                    try:
                        q.get_nowait()
                    except queue.Empty:
                        break
            self.player.stop()
            self._end_text()
        return was

    def wait_idle(self, timeout: float = 30.0) -> bool:
        deadline = time.monotonic() + timeout
        while self.busy and time.monotonic() < deadline:
            time.sleep(0.01)
        return not self.busy

    def close(self) -> None:
        self.interrupt()
        self._texts.put(None)
        self._threads[0].join(timeout=2)  # it passes the None on to the player thread
        self._threads[1].join(timeout=2)

    # --- the two threads ---------------------------------------------------------------------

    def _synth_loop(self) -> None:
        try:
            get_synth(self.voice).load()  # loads the voice now, before the first message
        except Exception:  # noqa: BLE001 - retried (and logged) per sentence below
            log.exception("could not load the voice %r", self.voice)
        while True:
            item = self._texts.get()
            if item is None:
                self._parts.put(None)
                return
            epoch, text = item
            sentences = split_sentences(text) or [text]
            for i, sentence in enumerate(sentences):
                if epoch != self._epoch:
                    break
                try:
                    synth = get_synth(self.voice)
                    speech = synth.synthesize(sentence, self.speed)
                except Exception:  # noqa: BLE001 - a failing voice must not end the session
                    log.exception("could not speak %r", sentence)
                    speech = None
                last = i == len(sentences) - 1
                if speech is None and not last:
                    continue
                self._put(_Part(epoch, text, speech, last))

    def _put(self, part: _Part) -> None:
        """Queue a sentence for the player, giving up if an interrupt makes it stale."""
        while part.epoch == self._epoch:
            try:
                self._parts.put(part, timeout=0.05)
                return
            except queue.Full:
                continue

    def _play_loop(self) -> None:
        while True:
            part = self._parts.get()
            if part is None:
                return
            with self._lock:
                if part.epoch != self._epoch:  # interrupted since it was made
                    continue
                if part.speech is not None:
                    if self.current is None:
                        self.current = part.text
                        self.spoken.append(part.text)
                        if self.on_start:
                            self.on_start(part.text, part.speech, self.clock())
                    pcm, self._rate, _ = wav_pcm(part.speech.wav)
                    self._wav.append(pcm)
                    self.player.play(part.speech.wav)
            self.player.wait()
            with self._lock:
                if part.epoch == self._epoch and part.last:
                    self._end_text()
                    self._pending -= 1

    def _end_text(self) -> None:
        """The current text is over (or cut): write its WAV if asked to. Holds the lock."""
        if self.current is not None and self.speak_to and self._wav:
            path = self.speak_to / f"{len(self.spoken):03d}.wav"
            path.write_bytes(pcm_to_wav_bytes(b"".join(self._wav), self._rate))
        self.current, self._wav = None, []
