"""Speech output: espeak-ng synthesis and an interruptible player (for barge-in).

``synthesize("Switch legs now")`` returns a :class:`Speech` holding a WAV (espeak's native
22.05 kHz mono 16-bit) and the synthesis time. :class:`Player` plays it in the background and can
be stopped at any moment (``stop()``), e.g. as soon as the VAD hears the user start talking.

Output devices, in order of preference:

* ``sounddevice`` (PortAudio). Importing it raises ``OSError`` where the PortAudio library is
  missing, and playing raises ``sounddevice.PortAudioError`` where there is no output device; both
  are caught.
* the ``play`` command from sox, when it is installed and an audio device is there.
* ``null``: no device. Playback is simulated -- ``play()`` "plays" for the audio's duration and can
  be stopped like a real playback -- so the dialogue timing and barge-in logic behave the same on a
  headless server or in CI. Pass ``simulate=False`` to return immediately instead.

The chosen backend is in :attr:`Player.backend` and the reason a better one was not available in
:attr:`Player.fallback_reason`.
"""

from __future__ import annotations

import io
import logging
import os
import shutil
import subprocess
import tempfile
import threading
import time
import wave
from dataclasses import dataclass
from typing import Any, Optional

from .audio import AudioError, pcm_to_wav_bytes, require_tool

log = logging.getLogger(__name__)

DEFAULT_VOICE = "en-us"
DEFAULT_SPEED = 165  # words per minute; a calm coaching pace


@dataclass(frozen=True)
class Speech:
    """Synthesised speech: a complete WAV and how long synthesis took."""

    text: str
    wav: bytes
    synth_ms: float

    @property
    def duration_s(self) -> float:
        with wave.open(io.BytesIO(self.wav), "rb") as w:
            return w.getnframes() / float(w.getframerate())


def synthesize(text: str, voice: str = DEFAULT_VOICE, speed: int = DEFAULT_SPEED,
               pitch: Optional[int] = None) -> Speech:
    """Speak ``text`` with espeak-ng into WAV bytes (``espeak-ng --stdout``).

    espeak writes a streaming WAV header with a placeholder length; the audio is re-wrapped in a
    correct header so that any WAV reader accepts it.
    """
    espeak = require_tool("espeak-ng")
    cmd = [espeak, "-v", voice, "-s", str(speed), "--stdout"]
    if pitch is not None:
        cmd += ["-p", str(pitch)]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd + ["--", text], capture_output=True, check=False)
    if proc.returncode != 0 or len(proc.stdout) < 44:
        raise AudioError(f"espeak-ng failed: {proc.stderr.decode(errors='replace').strip()}")
    with wave.open(io.BytesIO(proc.stdout), "rb") as w:
        rate = w.getframerate()
        pcm = w.readframes(w.getnframes())  # reads what is there despite the bogus length
    wav = pcm_to_wav_bytes(pcm, rate)
    return Speech(text=text, wav=wav, synth_ms=(time.perf_counter() - t0) * 1000)


def synthesize_to_file(path: str, text: str, voice: str = DEFAULT_VOICE,
                       speed: int = DEFAULT_SPEED) -> Speech:
    """Like :func:`synthesize` and also write the WAV to ``path``."""
    speech = synthesize(text, voice, speed)
    with open(path, "wb") as f:
        f.write(speech.wav)
    return speech


def _wav_info(wav: bytes) -> tuple[bytes, int, int, int]:
    with wave.open(io.BytesIO(wav), "rb") as w:
        return w.readframes(w.getnframes()), w.getframerate(), w.getnchannels(), w.getsampwidth()


class Player:
    """Plays one WAV at a time in the background; :meth:`stop` interrupts it (barge-in).

    Args:
        backend: ``"auto"`` (default), ``"sounddevice"``, ``"sox"`` or ``"null"``.
        simulate: With the null backend, wait for the audio's duration (interruptibly) instead of
            returning at once.
    """

    def __init__(self, backend: str = "auto", simulate: bool = True) -> None:
        self.simulate = simulate
        self.fallback_reason: Optional[str] = None
        self._sd: Any = None
        self._lock = threading.Lock()
        self._stop_event = threading.Event()
        self._thread: Optional[threading.Thread] = None
        self._proc: Optional[subprocess.Popen[bytes]] = None
        self.interrupted = False
        self.backend = self._choose(backend)

    # --- backend selection -------------------------------------------------------------------

    def _choose(self, wanted: str) -> str:
        if wanted in ("auto", "sounddevice"):
            try:
                import sounddevice as sd  # raises OSError when PortAudio is missing

                sd.query_devices(kind="output")  # raises when there is no output device
                self._sd = sd
                return "sounddevice"
            except Exception as exc:  # noqa: BLE001 - any failure means "no usable device"
                self.fallback_reason = f"sounddevice unavailable: {exc}"
                if wanted == "sounddevice":
                    log.warning("%s; using the null player", self.fallback_reason)
                    return "null"
        if wanted in ("auto", "sox") and shutil.which("play") and self._sox_has_device():
            return "sox"
        if wanted == "sox":
            self.fallback_reason = "sox 'play' has no usable output device"
        if self.fallback_reason:
            log.info("no audio output (%s): playback is simulated", self.fallback_reason)
        return "null"

    @staticmethod
    def _sox_has_device() -> bool:
        try:
            proc = subprocess.run(["play", "-q", "-n", "trim", "0", "0.01"], capture_output=True,
                                  timeout=5, check=False)
        except (OSError, subprocess.SubprocessError):
            return False
        return proc.returncode == 0

    # --- playback ------------------------------------------------------------------------------

    @property
    def is_playing(self) -> bool:
        t = self._thread
        return t is not None and t.is_alive()

    def play(self, wav: bytes, block: bool = False) -> None:
        """Start playing ``wav`` (stopping anything already playing). With ``block`` wait until
        it ends or is stopped."""
        self.stop()
        self._stop_event.clear()
        self.interrupted = False
        target = {"sounddevice": self._play_sd, "sox": self._play_sox}.get(self.backend,
                                                                           self._play_null)
        self._thread = threading.Thread(target=self._run, args=(target, wav), daemon=True,
                                        name="coach-tts")
        self._thread.start()
        if block:
            self.wait()

    def _run(self, target: Any, wav: bytes) -> None:
        try:
            target(wav)
        except Exception as exc:  # noqa: BLE001 - a device failing mid-way must not kill the app
            log.warning("playback failed on %s (%s); switching to the null player",
                        self.backend, exc)
            self.fallback_reason = f"{self.backend} failed: {exc}"
            self.backend = "null"
            self._play_null(wav)

    def _play_sd(self, wav: bytes) -> None:
        import numpy as np

        pcm, rate, channels, width = _wav_info(wav)
        if width != 2:
            raise AudioError("only 16-bit WAV is supported")
        data = np.frombuffer(pcm, dtype="<i2").reshape(-1, channels)
        self._sd.play(data, rate)
        duration = len(data) / float(rate)
        if self._stop_event.wait(duration + 0.05):
            self._sd.stop()
        else:
            self._sd.wait()

    def _play_sox(self, wav: bytes) -> None:
        with tempfile.NamedTemporaryFile(suffix=".wav", delete=False) as f:
            f.write(wav)
            path = f.name
        try:
            with self._lock:
                self._proc = subprocess.Popen(["play", "-q", path], stdout=subprocess.DEVNULL,
                                              stderr=subprocess.PIPE)
            proc = self._proc
            while proc.poll() is None:
                if self._stop_event.wait(0.02):
                    proc.terminate()
                    try:
                        proc.wait(timeout=1)
                    except subprocess.TimeoutExpired:
                        proc.kill()
                    break
            if proc.returncode not in (0, None) and not self._stop_event.is_set():
                raise AudioError((proc.stderr.read() if proc.stderr else b"").decode(
                    errors="replace").strip() or f"play exited {proc.returncode}")
        finally:
            with self._lock:
                self._proc = None
            os.unlink(path)

    def _play_null(self, wav: bytes) -> None:
        if not self.simulate:
            return
        pcm, rate, channels, width = _wav_info(wav)
        self._stop_event.wait(len(pcm) / float(rate * channels * width))

    def stop(self) -> bool:
        """Interrupt playback. Returns True if something was playing."""
        was_playing = self.is_playing
        self._stop_event.set()
        if was_playing:
            self.interrupted = True
            t = self._thread
            if t is not None:
                t.join(timeout=2)
        return was_playing

    def wait(self, timeout: Optional[float] = None) -> bool:
        """Wait for playback to end; True if it has ended."""
        t = self._thread
        if t is not None:
            t.join(timeout)
        return not self.is_playing


def say(text: str, player: Optional[Player] = None, block: bool = True, **kwargs: Any) -> Speech:
    """Synthesise and play ``text``; returns the :class:`Speech` (with ``synth_ms``)."""
    speech = synthesize(text, **kwargs)
    (player or Player()).play(speech.wav, block=block)
    return speech
