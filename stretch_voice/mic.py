"""Microphone capture with PortAudio (sounddevice): 16 kHz mono 16-bit chunks with capture times.

:func:`input_problem` says why no microphone can be used (PortAudio missing, no input device, the
chosen device cannot record), or None when one can. :class:`Microphone` opens the device at 16 kHz
when it supports it, otherwise at its own rate, resampling to 16 kHz (linear interpolation after a
box filter; enough for a command recogniser). Chunks go to a queue with the monotonic time at
which their last sample was captured.
"""

from __future__ import annotations

import queue
import time
from typing import Any, Optional, Union

import numpy as np

from . import SAMPLE_RATE

Device = Union[int, str, None]


def _sd() -> Any:
    import sounddevice as sd  # raises OSError where the PortAudio library is missing

    return sd


def input_problem(device: Device = None) -> Optional[str]:
    """None if ``device`` (default: the system default input) can record, else why not."""
    try:
        sd = _sd()
    except OSError as exc:
        return f"PortAudio is not available ({exc})"
    try:
        info = sd.query_devices(device, kind="input")
    except Exception as exc:  # noqa: BLE001 - sounddevice raises ValueError / PortAudioError
        return f"no input device ({exc})"
    if not info or int(info.get("max_input_channels", 0)) < 1:
        return f"device {info.get('name', device)!r} has no input channels"
    return None


def list_devices() -> str:
    """The devices PortAudio sees, as ``python -m sounddevice`` prints them ('>' = default in)."""
    try:
        return str(_sd().query_devices())
    except Exception as exc:  # noqa: BLE001
        return f"(no audio devices: {exc})"


def resample(pcm: np.ndarray, rate: int, target: int = SAMPLE_RATE) -> np.ndarray:
    """Resample int16 mono audio from ``rate`` to ``target`` Hz."""
    if rate == target or len(pcm) == 0:
        return pcm.astype(np.int16)
    x = pcm.astype(np.float32)
    if rate > target:  # crude anti-alias filter: moving average over the decimation factor
        k = max(1, int(round(rate / target)))
        if k > 1:
            x = np.convolve(x, np.ones(k, dtype=np.float32) / k, mode="same")
    n_out = int(len(x) * target / rate)
    src = np.arange(n_out, dtype=np.float64) * (rate / target)
    out = np.interp(src, np.arange(len(x)), x)
    return np.clip(out, -32768, 32767).astype(np.int16)


class Microphone:
    """Records from ``device``; read chunks with :meth:`read` (``(pcm_bytes, t_end)``).

    Use as a context manager. Raises ``RuntimeError`` with a readable reason if it cannot open.
    """

    def __init__(self, device: Device = None, block_ms: int = 30) -> None:
        problem = input_problem(device)
        if problem:
            raise RuntimeError(problem)
        self.sd = _sd()
        self.device = device
        self.block_ms = block_ms
        self.queue: "queue.Queue[tuple[bytes, float]]" = queue.Queue()
        self.rate = SAMPLE_RATE
        self.overflows = 0
        self._stream: Any = None

    def _callback(self, indata: Any, frames: int, time_info: Any, status: Any) -> None:
        t = time.monotonic()
        if status and getattr(status, "input_overflow", False):
            self.overflows += 1
        data = np.frombuffer(bytes(indata), dtype=np.int16)
        if self.rate != SAMPLE_RATE:
            data = resample(data, self.rate)
        self.queue.put((data.tobytes(), t))

    def _open(self, rate: int) -> Any:
        return self.sd.RawInputStream(samplerate=rate, channels=1, dtype="int16",
                                      blocksize=rate * self.block_ms // 1000, device=self.device,
                                      callback=self._callback)

    def __enter__(self) -> "Microphone":
        try:
            self._stream = self._open(SAMPLE_RATE)
        except Exception:  # noqa: BLE001 - the device cannot do 16 kHz: use its own rate
            info = self.sd.query_devices(self.device, kind="input")
            self.rate = int(info["default_samplerate"])
            try:
                self._stream = self._open(self.rate)
            except Exception as exc:  # noqa: BLE001
                raise RuntimeError(f"cannot open the microphone: {exc}") from exc
        self._stream.start()
        return self

    def read(self, timeout: Optional[float] = None) -> tuple[bytes, float]:
        return self.queue.get(timeout=timeout)

    def __exit__(self, *exc: object) -> None:
        if self._stream is not None:
            self._stream.stop()
            self._stream.close()
            self._stream = None
