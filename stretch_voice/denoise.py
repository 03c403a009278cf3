"""Noise suppression before recognition: RNNoise (Xiph's recurrent denoiser; its weights are
compiled into the library that the ``pyrnnoise`` package ships, so nothing is downloaded).

RNNoise works on 48 kHz audio in 10 ms frames; our audio is 16 kHz, so an utterance is
upsampled by 3, denoised frame by frame with a fresh state, and brought back to 16 kHz. We load
the library with ctypes: ``pyrnnoise``'s own Python wrapper imports audio packages we don't need.
"""

from __future__ import annotations

import ctypes
import importlib.util
import threading
from pathlib import Path
from typing import Optional

import numpy as np

RATE = 48000
_UP = 3  # 16 kHz -> 48 kHz


def library_path() -> Optional[Path]:
    """``librnnoise.so`` inside the installed ``pyrnnoise`` package, or None."""
    spec = importlib.util.find_spec("pyrnnoise")  # finds the package without importing it
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "librnnoise.so"
    return path if path.exists() else None


class Denoiser:
    """RNNoise over whole utterances (16 kHz mono 16-bit PCM in and out). Thread-safe."""

    def __init__(self, path: Optional[Path] = None) -> None:
        from scipy.signal import resample_poly

        lib_path = path or library_path()
        if lib_path is None:
            raise OSError("RNNoise is not installed (the pyrnnoise package)")
        lib = ctypes.CDLL(str(lib_path))
        lib.rnnoise_create.argtypes = [ctypes.c_void_p]
        lib.rnnoise_create.restype = ctypes.c_void_p
        lib.rnnoise_destroy.argtypes = [ctypes.c_void_p]
        lib.rnnoise_process_frame.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_float),
                                              ctypes.POINTER(ctypes.c_float)]
        lib.rnnoise_process_frame.restype = ctypes.c_float
        lib.rnnoise_get_frame_size.restype = ctypes.c_int
        self._lib = lib
        self._frame = lib.rnnoise_get_frame_size()
        self._resample = resample_poly
        self._lock = threading.Lock()

    def __call__(self, pcm: bytes) -> bytes:
        """The utterance with its noise suppressed, same length."""
        x = np.frombuffer(pcm, dtype="<i2").astype(np.float32)
        if not len(x):
            return pcm
        up = self._resample(x, _UP, 1).astype(np.float32)
        n = self._frame
        padded = np.zeros(-(-len(up) // n) * n, dtype=np.float32)
        padded[:len(up)] = up
        out = np.empty_like(padded)
        f_ptr = ctypes.POINTER(ctypes.c_float)
        with self._lock:
            state = self._lib.rnnoise_create(None)
            try:
                for i in range(0, len(padded), n):
                    frame = np.ascontiguousarray(padded[i:i + n])
                    res = out[i:i + n]
                    self._lib.rnnoise_process_frame(state, res.ctypes.data_as(f_ptr),
                                                    frame.ctypes.data_as(f_ptr))
            finally:
                self._lib.rnnoise_destroy(state)
        down = self._resample(out[:len(up)], 1, _UP)[:len(x)]
        return np.clip(np.round(down), -32768, 32767).astype("<i2").tobytes()
