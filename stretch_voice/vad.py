"""End-of-utterance detection over 16 kHz mono 16-bit PCM, with webrtcvad or Silero VAD.

:class:`UtteranceDetector` consumes audio in chunks of any size (as a microphone callback or a
socket delivers it), classifies 30 ms frames as speech / non-speech, and emits an
:class:`Utterance` once speech has been followed by ``hangover_ms`` (~300 ms) of silence. Each
utterance includes ``preroll_ms`` of audio from before the speech started -- the recogniser's
noise estimate needs some non-speech at the start, and the first phoneme is often quieter than
the VAD's trigger -- and the trailing silence.

:func:`split_pcm` / :func:`split_wav` run the same detector over a whole recording.
"""

from __future__ import annotations

import collections
from dataclasses import dataclass
from typing import Deque, Iterable, Iterator, List, Optional, Union

from . import SAMPLE_RATE, SAMPLE_WIDTH
from .audio import PathOrBytes, read_wav
from .foreground import ForegroundGate

FRAME_MS = 30
FRAME_BYTES = SAMPLE_RATE * FRAME_MS // 1000 * SAMPLE_WIDTH  # 960 bytes
ENGINES = ("webrtc", "silero", "both")
VAD_AGGRESSIVENESS = 2
"""webrtcvad mode used by default (0-3; higher = less audio counted as speech). Mode 3 ends
turns sooner but trims the edges of words, so a short pause inside "next ... step" splits it in
two (measured in docs/voice_bench.md)."""


@dataclass(frozen=True)
class Utterance:
    """A stretch of audio holding one utterance.

    Attributes:
        pcm: The audio, including pre-roll and trailing silence.
        start_s: Time (seconds from the start of the stream) of the first byte of ``pcm``.
        end_s: Time of the end of ``pcm``.
        speech_start_s: When the VAD decided speech had started.
        speech_end_s: End of the last speech frame.
    """

    pcm: bytes
    start_s: float
    end_s: float
    speech_start_s: float
    speech_end_s: float

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s


class SileroFrames:
    """Silero VAD (v6, the ONNX model inside ``faster-whisper``'s assets) as a streaming
    classifier of our 30 ms frames.

    The model takes 512-sample windows (32 ms) plus 64 samples of context and carries a recurrent
    state; a frame is speech if the probability of the latest window is at least ``threshold``.
    """

    WINDOW = 512
    CONTEXT = 64

    def __init__(self, threshold: float = 0.5) -> None:
        import os

        import numpy as np
        import onnxruntime
        from faster_whisper.utils import get_assets_path

        opts = onnxruntime.SessionOptions()
        opts.inter_op_num_threads = opts.intra_op_num_threads = 1
        opts.log_severity_level = 4
        self._np = np
        self._session = onnxruntime.InferenceSession(
            os.path.join(get_assets_path(), "silero_vad_v6.onnx"),
            providers=["CPUExecutionProvider"], sess_options=opts)
        self.threshold = threshold
        self.reset()

    def reset(self) -> None:
        np = self._np
        self._context = np.zeros(self.CONTEXT, dtype=np.float32)
        self._pending = np.zeros(0, dtype=np.float32)
        self.forget()

    def forget(self) -> None:
        """Clear the recurrent state (the audio context stays). Over a long stream in an echoing
        room the state drifts until speech no longer reads as speech, so the detector clears it
        whenever nobody is speaking."""
        np = self._np
        self._h = np.zeros((1, 1, 128), dtype=np.float32)
        self._c = np.zeros((1, 1, 128), dtype=np.float32)
        self.probability = 0.0

    def is_speech(self, frame: bytes) -> bool:
        np = self._np
        samples = np.frombuffer(frame, dtype="<i2").astype(np.float32) / 32768.0
        self._pending = np.concatenate([self._pending, samples])
        while len(self._pending) >= self.WINDOW:
            window, self._pending = self._pending[:self.WINDOW], self._pending[self.WINDOW:]
            x = np.concatenate([self._context, window])[None, :]
            out, self._h, self._c = self._session.run(None, {"input": x, "h": self._h,
                                                             "c": self._c})
            self._context = window[-self.CONTEXT:]
            self.probability = float(np.asarray(out).reshape(-1)[0])
        return self.probability >= self.threshold


class UtteranceDetector:
    """Streaming end-of-utterance detector.

    Args:
        aggressiveness: webrtcvad mode 0-3 (3 filters non-speech most aggressively).
        engine: "webrtc" (webrtcvad), "silero" (Silero VAD, see :class:`SileroFrames`) or
            "both" (the default): Silero decides where speech is, and webrtcvad may carry it on
            for up to ``carry_ms`` after Silero's last speech frame. In loud noise webrtcvad
            alone calls speech long after it ends and hears utterances in room noise; Silero
            hears unvoiced stretches ("-xt st-" in "next ... step") as silence and splits the
            phrase, which webrtcvad bridges. Chosen with lab/experiments/vad_bench.py
            (measured in docs/voice_bench.md).
        carry_ms: How long after Silero's last speech frame webrtcvad's verdict still counts.
        carry_check: The carry counts only while webrtcvad can still hear speech end: after
            each of the last ``carry_check`` times Silero's speech stopped for longer than the
            carry, did webrtcvad too stop calling it speech within ``carry_ms``? If it did not
            in most of them (loud noise), the carry bridges nothing and only adds ``carry_ms``
            to the end of every turn; it stops until webrtcvad is heard to stop again. 0: always
            carry. Measured with vad_bench.py and voice_bench.py (docs/voice_bench.md).
        hangover_ms: Silence after speech that ends an utterance.
        preroll_ms: Audio kept before the detected start of speech.
        start_ms: Speech needed (within a ``start_window_ms`` window) to start an utterance;
            filters clicks and single noisy frames.
        min_speech_ms: Utterances with less speech than this are dropped.
        max_utterance_s: An utterance is cut here even without a pause (runaway noise).
        foreground: Whether a :class:`.foreground.ForegroundGate` decides, after the VAD,
            which speech frames are the person's (it keeps a TV talking on out); if not, every
            speech frame is.
        forget_ms: Silero's recurrent state is cleared at the end of each utterance and after
            this much audio with no speech (None: never): over a long stream in an echoing room
            it drifted until the person's speech no longer read as speech and utterances were
            lost (docs/voice_bench.md).
    """

    def __init__(self, aggressiveness: int = VAD_AGGRESSIVENESS, hangover_ms: int = 300,
                 preroll_ms: int = 300,
                 start_ms: int = 90, start_window_ms: int = 150, min_speech_ms: int = 120,
                 max_utterance_s: float = 10.0, engine: str = "both",
                 carry_ms: int = 240, carry_check: int = 3, foreground: bool = True,
                 forget_ms: Optional[int] = 2000) -> None:
        self._silero: Optional[SileroFrames] = None
        self._webrtc: object = None
        if engine not in ENGINES:
            raise ValueError(f"unknown VAD engine {engine!r}")
        if engine in ("silero", "both"):
            self._silero = SileroFrames()
        if engine in ("webrtc", "both"):
            import webrtcvad  # local import: optional dependency for the rest of the package

            self._webrtc = webrtcvad.Vad(aggressiveness)
        self.carry_frames = carry_ms // FRAME_MS
        self._since_silero = 1 << 30  # frames since Silero last heard speech
        self._rtc_on = False  # webrtcvad has called every frame since then speech
        self._rtc_outlasted: Deque[bool] = collections.deque(maxlen=carry_check)
        self.engine = engine
        self.gate = ForegroundGate() if foreground else None
        self.hangover_frames = max(1, hangover_ms // FRAME_MS)
        self.preroll_frames = max(0, preroll_ms // FRAME_MS)
        self.start_frames = max(1, start_ms // FRAME_MS)
        self.start_window = max(self.start_frames, start_window_ms // FRAME_MS)
        self.min_speech_frames = max(1, min_speech_ms // FRAME_MS)
        self.max_frames = int(max_utterance_s * 1000 // FRAME_MS)
        self.forget_frames = None if forget_ms is None else max(1, forget_ms // FRAME_MS)
        self.reset()

    def reset(self) -> None:
        """Forget the utterance in progress and the VAD models' state (e.g. after barge-in or
        when the microphone is reopened); what was learnt of the room (``carrying``) is kept."""
        if self._silero is not None:
            self._silero.reset()
        self._since_silero = 1 << 30
        self._buf = b""
        self._frame_index = 0  # index of the next frame to be classified
        self._ring: Deque[tuple[bytes, bool]] = collections.deque(
            maxlen=self.preroll_frames + self.start_window)
        self._in_speech = False
        self._frames: List[bytes] = []
        self._start_frame = 0
        self._speech_start = 0
        self._last_speech = 0
        self._speech_count = 0
        self._silence_run = 0
        self._quiet = 0  # frames with no speech in the start window, while no utterance runs

    @property
    def in_speech(self) -> bool:
        """True while an utterance is in progress (use it for barge-in)."""
        return self._in_speech

    @property
    def silence_ms(self) -> int:
        """Milliseconds of non-speech since the last speech frame of the utterance in progress."""
        return self._silence_run * FRAME_MS if self._in_speech else 0

    def current_pcm(self) -> bytes:
        """The audio of the utterance in progress so far (pre-roll included); b"" if none."""
        return b"".join(self._frames) if self._in_speech else b""

    def end_now(self) -> Optional[Utterance]:
        """End the utterance in progress at once (an early end of turn, e.g. when the words heard
        so far are already a complete command). None if there is none or it is too short."""
        if not (self._in_speech and self._frames):
            return None
        return self._emit()

    @property
    def carrying(self) -> bool:
        """Whether webrtcvad may carry speech on past Silero's (see ``carry_check``)."""
        if self._webrtc is None or self._silero is None:
            return False
        seen = self._rtc_outlasted  # maxlen 0 (``carry_check`` 0): always empty, always carry
        return 2 * sum(seen) <= (seen.maxlen or 0)

    def is_speech(self, frame: bytes) -> bool:
        """The VAD's verdict on one 30 ms frame (call once per frame, in order)."""
        rtc = self._webrtc
        if self._silero is None:
            return bool(rtc.is_speech(frame, SAMPLE_RATE))  # type: ignore[attr-defined]
        if self._silero.is_speech(frame):
            self._since_silero = 0
            self._rtc_on = True
            return True
        self._since_silero += 1
        if rtc is None or self._since_silero > self.carry_frames + 1:
            return False
        carry = self.carrying
        heard = bool(rtc.is_speech(frame, SAMPLE_RATE))  # type: ignore[attr-defined]
        self._rtc_on = self._rtc_on and heard
        if self._since_silero > self.carry_frames:  # the carry is over: did webrtcvad end too?
            self._rtc_outlasted.append(self._rtc_on)
            return False
        return carry and heard

    def _t(self, frame_index: int) -> float:
        return frame_index * FRAME_MS / 1000.0

    def _emit(self) -> Optional[Utterance]:
        speech_frames = self._speech_count
        end_frame = self._start_frame + len(self._frames)
        utt = Utterance(pcm=b"".join(self._frames), start_s=self._t(self._start_frame),
                        end_s=self._t(end_frame), speech_start_s=self._t(self._speech_start),
                        speech_end_s=self._t(self._last_speech + 1))
        self._in_speech = False
        self._frames = []
        self._speech_count = 0
        self._silence_run = 0
        self._ring.clear()
        self._forget()
        return utt if speech_frames >= self.min_speech_frames else None

    def _forget(self) -> None:
        self._quiet = 0
        if self._silero is not None and self.forget_frames is not None:
            self._silero.forget()

    def feed(self, pcm: bytes) -> List[Utterance]:
        """Add audio; return the utterances completed by it (usually none or one)."""
        self._buf += pcm
        done: List[Utterance] = []
        while len(self._buf) >= FRAME_BYTES:
            frame, self._buf = self._buf[:FRAME_BYTES], self._buf[FRAME_BYTES:]
            idx = self._frame_index
            self._frame_index += 1
            speech = self.is_speech(frame)
            if self.gate is not None:
                speech = self.gate.judge(frame, speech)
                frame = self.gate.focus(frame, speech)
            if not self._in_speech:
                self._ring.append((frame, speech))
                recent = list(self._ring)[-self.start_window:]
                heard = sum(1 for _, s in recent if s)
                self._quiet = 0 if heard else self._quiet + 1
                if self.forget_frames is not None and self._quiet >= self.forget_frames:
                    self._forget()
                if heard >= self.start_frames:
                    self._in_speech = True
                    self._frames = [f for f, _ in self._ring]
                    self._start_frame = idx + 1 - len(self._frames)
                    first_speech = next(i for i, (_, s) in enumerate(recent) if s)
                    self._speech_start = idx + 1 - len(recent) + first_speech
                    self._speech_count = sum(1 for _, s in recent if s)
                    self._last_speech = idx
                    self._silence_run = 0
                    self._ring.clear()
                continue
            self._frames.append(frame)
            if speech:
                self._speech_count += 1
                self._last_speech = idx
                self._silence_run = 0
            else:
                self._silence_run += 1
            if self._silence_run >= self.hangover_frames or len(self._frames) >= self.max_frames:
                utt = self._emit()
                if utt is not None:
                    done.append(utt)
        return done

    def flush(self) -> List[Utterance]:
        """End of stream: return the utterance in progress, if any."""
        if self._in_speech and self._frames:
            utt = self._emit()
            return [utt] if utt is not None else []
        return []


def iter_frames(pcm: bytes, frame_bytes: int = FRAME_BYTES) -> Iterator[bytes]:
    """Cut PCM into frames (the last partial frame is dropped)."""
    for i in range(0, len(pcm) - frame_bytes + 1, frame_bytes):
        yield pcm[i:i + frame_bytes]


def stream_utterances(chunks: Iterable[bytes], detector: Optional[UtteranceDetector] = None
                      ) -> Iterator[Utterance]:
    """Yield utterances from an iterable of PCM chunks (e.g. a microphone queue)."""
    det = detector or UtteranceDetector()
    for chunk in chunks:
        yield from det.feed(chunk)
    yield from det.flush()


def split_pcm(pcm: bytes, **detector_args: object) -> List[Utterance]:
    """Split a recording (raw 16 kHz mono 16-bit PCM) into utterances."""
    det = UtteranceDetector(**detector_args)  # type: ignore[arg-type]
    return det.feed(pcm) + det.flush()


def split_wav(source: Union[PathOrBytes], **detector_args: object) -> List[Utterance]:
    """Split a WAV file (path or bytes; converted to 16 kHz mono if needed) into utterances."""
    return split_pcm(read_wav(source), **detector_args)
