"""Small helpers for the one audio format the speech layer uses: 16 kHz, mono, signed 16-bit PCM.

Reading accepts any WAV; files in another format are converted with ``sox`` (installed from
Debian), so callers can hand in whatever a microphone or a test produced.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import wave
from pathlib import Path
from typing import Union

from . import SAMPLE_RATE, SAMPLE_WIDTH

PathOrBytes = Union[str, "os.PathLike[str]", bytes]


class AudioError(RuntimeError):
    """Raised when audio cannot be read, converted or produced."""


def require_tool(name: str) -> str:
    """Return the absolute path of command-line tool ``name`` or raise :class:`AudioError`."""
    path = shutil.which(name)
    if path is None:
        raise AudioError(f"'{name}' is not installed (apt-get install {name})")
    return path


def _is_target_format(w: wave.Wave_read) -> bool:
    return (
        w.getframerate() == SAMPLE_RATE
        and w.getnchannels() == 1
        and w.getsampwidth() == SAMPLE_WIDTH
        and w.getcomptype() == "NONE"
    )


def convert_with_sox(data: bytes, in_type: str = "wav") -> bytes:
    """Convert audio bytes of type ``in_type`` to 16 kHz mono 16-bit raw PCM with sox."""
    sox = require_tool("sox")
    # -D: no dither. sox dithers with fresh random noise on every run otherwise, which made the
    # same synthetic test clip differ (and recognition scores wobble) from one run to the next.
    cmd = [sox, "-q", "-D", "-t", in_type, "-", "-t", "raw", "-r", str(SAMPLE_RATE), "-c", "1",
           "-b", "16", "-e", "signed-integer", "-L", "-"]
    proc = subprocess.run(cmd, input=data, capture_output=True, check=False)
    if proc.returncode != 0:
        raise AudioError(f"sox failed: {proc.stderr.decode(errors='replace').strip()}")
    return proc.stdout


def read_wav(source: PathOrBytes) -> bytes:
    """Return the raw 16 kHz mono 16-bit PCM of a WAV given as a path or as WAV bytes.

    Files in another rate / channel count / sample width are converted with sox.
    """
    data = source if isinstance(source, bytes) else Path(source).read_bytes()
    try:
        with wave.open(io.BytesIO(data), "rb") as w:
            if _is_target_format(w):
                return w.readframes(w.getnframes())
    except (wave.Error, EOFError):
        pass  # unusual header (e.g. espeak's streaming size field): let sox deal with it
    return convert_with_sox(data)


def pcm_to_wav_bytes(pcm: bytes, rate: int = SAMPLE_RATE) -> bytes:
    """Wrap raw mono 16-bit PCM in a WAV container."""
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(SAMPLE_WIDTH)
        w.setframerate(rate)
        w.writeframes(pcm)
    return buf.getvalue()


def write_wav(path: Union[str, "os.PathLike[str]"], pcm: bytes, rate: int = SAMPLE_RATE) -> Path:
    """Write raw mono 16-bit PCM to ``path`` as a WAV file and return the path."""
    out = Path(path)
    out.write_bytes(pcm_to_wav_bytes(pcm, rate))
    return out


def duration_s(pcm: bytes, rate: int = SAMPLE_RATE) -> float:
    """Duration in seconds of raw mono 16-bit PCM."""
    return len(pcm) / (SAMPLE_WIDTH * rate)


def silence(seconds: float, rate: int = SAMPLE_RATE) -> bytes:
    """Digital silence of the given length (raw PCM)."""
    return b"\x00\x00" * int(round(seconds * rate))
