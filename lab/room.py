"""A real room around a synthetic utterance: reverberation and distance (pyroomacoustics' image
source model), another voice talking on (a TV, a partner), and the phone's own path (auto-gain,
noise suppression, clipping when someone shouts).

Everything here works on 16 kHz mono int16 arrays and is deterministic for its arguments, so a
benchmark or test clip is the same on every run. The rooms the bench and tests use (:data:`ROOMS`)
are not the ones the safety detector is trained in (:data:`TRAINING_ROOMS`).
"""

from __future__ import annotations

import functools
import zlib
from dataclasses import dataclass
from typing import Optional, Sequence

import numpy as np

from stretch_voice import SAMPLE_RATE

from .speech import add_noise, synthesize, trim_silence


@dataclass(frozen=True)
class Room:
    """A shoebox room, where the phone lies and where the speaker's mouth is (metres)."""

    name: str
    dims: tuple[float, float, float]
    rt60: float
    """The Sabine target handed to pyroomacoustics; :func:`measured_rt60` gives what the image
    source model makes of it (a little longer)."""
    mouth: tuple[float, float, float]
    phone: tuple[float, float, float]
    tv: tuple[float, float, float]

    @property
    def distance(self) -> float:
        return float(np.linalg.norm(np.subtract(self.mouth, self.phone)))


ROOMS = {
    # A living room (RT60 ~0.36 s measured), the phone on the rug 1.2 m from the stretcher's mouth.
    "living": Room("living", (5.0, 4.0, 2.6), 0.30, (2.0, 1.5, 0.5), (3.2, 1.5, 0.02),
                   (4.7, 3.5, 1.0)),
    # A bare-walled gym (RT60 ~0.8 s measured), the phone 2 m away.
    "gym": Room("gym", (10.0, 8.0, 3.5), 0.55, (4.0, 3.0, 0.6), (6.0, 3.0, 0.02),
                (9.5, 7.0, 1.5)),
}

TRAINING_ROOMS = (
    Room("train-small", (4.5, 3.8, 2.5), 0.25, (1.5, 1.2, 0.4), (2.4, 1.6, 0.02), (4.2, 3.5, 1.0)),
    Room("train-hall", (7.0, 5.0, 3.0), 0.45, (2.0, 2.0, 0.7), (3.6, 2.4, 0.02), (6.5, 4.5, 1.2)),
    Room("train-studio", (6.0, 6.0, 2.8), 0.35, (3.0, 2.0, 0.5), (3.4, 3.5, 0.02), (0.5, 5.5, 1.0)),
    # bare-walled and farther away, as a gym or a garage is (none the size of the bench's gym)
    Room("train-bare", (8.0, 6.0, 3.0), 0.5, (2.5, 2.5, 0.5), (4.2, 2.0, 0.02), (7.5, 5.5, 1.2)),
    Room("train-sports", (13.0, 9.0, 4.5), 0.6, (5.0, 4.0, 0.6), (7.3, 4.5, 0.02), (12.0, 8.0, 1.5)),
)


@functools.lru_cache(maxsize=4096)
def dry_speech(text: str, voice: str, speed: int) -> np.ndarray:
    """``text`` spoken close to the microphone, silence trimmed (float; shared: do not modify)."""
    clip = synthesize(text, voice, speed, floor_db=None, pad_s=0.0)
    return trim_silence(np.frombuffer(clip.pcm, dtype="<i2")).astype(np.float64)


@functools.lru_cache(maxsize=32)
def impulse_response(room: Room, source: str = "mouth") -> np.ndarray:
    """The room's impulse response from ``source`` (``mouth`` or ``tv``) to the phone (peak 1)."""
    import pyroomacoustics as pra

    absorption, order = pra.inverse_sabine(room.rt60, list(room.dims))
    sim = pra.ShoeBox(list(room.dims), fs=SAMPLE_RATE, materials=pra.Material(absorption),
                      max_order=order)
    sim.add_source(list(getattr(room, source)))
    sim.add_microphone(list(room.phone))
    sim.compute_rir()
    rir = np.asarray(sim.rir[0][0], dtype=np.float64)
    return rir / float(np.max(np.abs(rir)))


def measured_rt60(room: Room) -> float:
    """RT60 (s) of the simulated impulse response, as pyroomacoustics measures it."""
    import pyroomacoustics as pra

    return float(pra.experimental.measure_rt60(impulse_response(room), fs=SAMPLE_RATE))


def reverberate(samples: np.ndarray, room: Room, source: str = "mouth") -> np.ndarray:
    """``samples`` as the phone in ``room`` hears them from ``source`` (float, same length); from
    the mouth, at the level free field gives at that distance relative to 1 m."""
    from scipy.signal import fftconvolve

    dry = samples.astype(np.float64)
    wet = fftconvolve(dry, impulse_response(room, source))[: samples.size]
    if source != "mouth":
        return wet
    distance = float(np.linalg.norm(np.subtract(room.mouth, room.phone)))
    dry_rms, wet_rms = float(np.sqrt(np.mean(dry ** 2))), float(np.sqrt(np.mean(wet ** 2)))
    return wet * (dry_rms / max(distance, 0.3)) / (wet_rms or 1.0)  # quieter with distance


TV_LINES = (
    "and now the weather for the weekend, with showers moving in from the west by saturday",
    "the team held on for a narrow win after a late goal in the second half",
    "stay with us, after the break we will look at the best gardens in the county",
    "prices rose again this month, and shoppers say they are feeling the pinch",
    "she told reporters that the new bridge should open to traffic next spring",
    "coming up next, a recipe for a quick dinner you can make in twenty minutes",
    "yes, that is right, the winning numbers will be announced at nine tonight",
    "police have asked drivers to avoid the ring road while the repairs go on",
    "the museum reopens on monday with a new exhibition of early photographs",
    "hold on to your hats, because the wind will pick up through the evening",
)
"""What the TV says: our own sentences, some with words a command also uses ("next", "yes",
"hold on"), as a real broadcast has."""

TV_VOICES = ("en-gb-x-rp+Mike", "en-029+Linda", "en-gb-scotland+Edward")
"""Voices of the TV in the benchmark and tests; the safety detector never trains on them."""


@functools.lru_cache(maxsize=16)
def _tv_stream(voice: str, seconds: int) -> np.ndarray:
    """``seconds`` of continuous TV speech in ``voice`` (float, unit RMS)."""
    parts, total = [], 0
    i = zlib.crc32(voice.encode()) % len(TV_LINES)
    while total < seconds * SAMPLE_RATE:
        clip = synthesize(TV_LINES[i % len(TV_LINES)], voice, 170, floor_db=None, pad_s=0.12)
        pcm = np.frombuffer(clip.pcm, dtype="<i2").astype(np.float64)
        parts.append(pcm)
        total += pcm.size
        i += 1
    stream = np.concatenate(parts)[: seconds * SAMPLE_RATE]
    return stream / float(np.sqrt(np.mean(stream ** 2)))


def talker(n: int, level_rms: float, room: Room, voice: str, offset_s: float = 0.0) -> np.ndarray:
    """``n`` samples of a TV talking on in ``room`` at RMS ``level_rms`` (as heard at the phone)."""
    stream = _tv_stream(voice, 60)
    start = int(offset_s * SAMPLE_RATE) % stream.size
    dry = np.resize(np.roll(stream, -start), n)  # the programme loops when n is longer
    wet = reverberate(dry, room, "tv")
    return wet * level_rms / float(np.sqrt(np.mean(wet ** 2)) or 1.0)


def phone_path(samples: np.ndarray, shout: bool = False, seed: int = 0) -> np.ndarray:
    """The browser's capture path on a phone: a shouted phrase clips at the microphone, then
    auto-gain brings speech to about -20 dBFS and a spectral gate takes out steady noise.
    Returns int16."""
    x = samples.astype(np.float64)
    if shout:  # a shout peaks well above what the phone's input stage takes
        x = np.clip(x * 32767.0 * 2.5 / (float(np.max(np.abs(x))) or 1.0), -32767, 32767)
    x = _auto_gain(x)
    x = _spectral_gate(x)
    return np.clip(np.round(x), -32768, 32767).astype(np.int16)


def _auto_gain(x: np.ndarray, target_dbfs: float = -20.0, max_gain_db: float = 24.0) -> np.ndarray:
    """A slow auto-gain: the gain follows the 0.5 s RMS envelope, attack fast, release slow."""
    block = SAMPLE_RATE // 50
    target = 32768.0 * 10 ** (target_dbfs / 20)
    gain, out = 1.0, np.empty_like(x)
    for i in range(0, x.size, block):
        seg = x[i:i + block]
        rms = float(np.sqrt(np.mean(seg ** 2))) if seg.size else 0.0
        want = min(10 ** (max_gain_db / 20), target / rms) if rms > 30 else gain
        gain += (want - gain) * (0.5 if want < gain else 0.04)
        out[i:i + block] = seg * gain
    return out


def _spectral_gate(x: np.ndarray, frame: int = 512) -> np.ndarray:
    """Take out steady noise: a per-bin floor from the quietest tenth of frames, subtracted."""
    from scipy.signal import istft, stft

    _, _, spec = stft(x, fs=SAMPLE_RATE, nperseg=frame)
    mag = np.abs(spec)
    floor = np.percentile(mag, 10, axis=1, keepdims=True)
    gain = np.clip(1.0 - 1.5 * floor / np.maximum(mag, 1e-9), 0.1, 1.0)
    _, y = istft(spec * gain, fs=SAMPLE_RATE, nperseg=frame)
    return y[: x.size] if y.size >= x.size else np.pad(y, (0, x.size - y.size))


@dataclass(frozen=True)
class Condition:
    """How a clip reaches the phone: noise (sox pink at ``snr_db``), a ``room``, a TV at
    ``tv_db`` below the speech, the ``phone`` path, and a speaking ``style``."""

    snr_db: Optional[float] = None
    room: Optional[str] = None
    tv_db: Optional[float] = None
    phone: bool = False
    style: Optional[str] = None


CONDITIONS = {
    "clean": Condition(),
    "noisy": Condition(snr_db=15.0),
    "loud": Condition(snr_db=8.0),
    "living": Condition(room="living"),
    "gym": Condition(room="gym"),
    "tv15": Condition(room="living", tv_db=15.0),
    "tv10": Condition(room="living", tv_db=10.0),
    "tv5": Condition(room="living", tv_db=5.0),
    "phone": Condition(room="living", phone=True),
    "styles": Condition(style="varied"),
}
"""The benchmark's conditions; clean, noisy and loud add noise only (lab/bench/voice_bench.py makes them)."""

STYLES = (("fast", 1.35, 0.0), ("quiet", 1.0, -14.0), ("slow", 0.75, 0.0), ("loud", 1.0, 8.0))
"""(name, speed factor, gain dB): strained-fast, quiet, drawn-out and loud speech."""


def render(text: str, voice: str, speed: int, cond: Condition, *, lead_s: float, tail_s: float,
           safety: bool = False, tv_voice: Optional[str] = None) -> bytes:
    """The clip the phone hears: ``lead_s`` of room before the speech, the speech, ``tail_s``
    after; the TV (if any) talks through all of it. 16 kHz mono int16 PCM bytes."""
    seed = zlib.crc32(f"{text}|{voice}|{speed}|{cond}".encode())
    gain_db = 0.0
    if cond.style:
        name, factor, gain_db = STYLES[seed % len(STYLES)]
        speed = int(speed * factor)
    speech = dry_speech(text, voice, speed) * 10 ** (gain_db / 20)
    lead, tail = int(lead_s * SAMPLE_RATE), int(tail_s * SAMPLE_RATE)
    dry = np.concatenate([np.zeros(lead), speech, np.zeros(tail)])
    level = float(np.sqrt(np.mean(speech ** 2))) if speech.size else 1.0
    wet = dry
    if cond.room:
        room = ROOMS[cond.room]
        wet = reverberate(dry, room)
        level = float(np.sqrt(np.mean(wet[lead:lead + speech.size] ** 2))) or level
        if cond.tv_db is not None:
            wet = wet + talker(wet.size, level / 10 ** (cond.tv_db / 20), room,
                               tv_voice or TV_VOICES[seed % len(TV_VOICES)], offset_s=seed % 40)
    rng = np.random.default_rng(seed)
    out = add_noise(wet, rng, snr_db=cond.snr_db, reference=speech, noise="sox-pink")
    if cond.phone:
        out = phone_path(out, shout=safety, seed=seed)
    return out.astype("<i2").tobytes()


def mix_voices(parts: Sequence[np.ndarray]) -> np.ndarray:
    """Sum of float arrays of different lengths (zero-padded to the longest)."""
    n = max(p.size for p in parts)
    return np.sum([np.pad(p, (0, n - p.size)) for p in parts], axis=0)


ROOM_BY_NAME = {r.name: r for r in (*ROOMS.values(), *TRAINING_ROOMS)}


def scene(phrases: Sequence[str], voice: str, speed: int, room_name: str,
          tv_db: Optional[float], tv_voice: str, gap_s: float = 2.0, seed: int = 0
          ) -> tuple[bytes, list[tuple[float, float]]]:
    """One stream as the phone hears it: ``phrases`` said ``gap_s`` apart in a room while a TV
    talks on all the time (``tv_db`` below the speech; None: no TV). Returns the PCM and each
    phrase's (start, end) in seconds."""
    rm = ROOM_BY_NAME[room_name]
    gap = int(gap_s * SAMPLE_RATE)
    pieces, spans, at = [np.zeros(gap)], [], gap
    for text in phrases:
        speech = dry_speech(text, voice, speed)
        pieces += [speech, np.zeros(gap)]
        spans.append((at / SAMPLE_RATE, (at + speech.size) / SAMPLE_RATE))
        at += speech.size + gap
    dry = np.concatenate(pieces)
    wet = reverberate(dry, rm)
    speech_rms = float(np.sqrt(np.mean(np.concatenate(
        [wet[int(a * SAMPLE_RATE):int(b * SAMPLE_RATE)] for a, b in spans]) ** 2)))
    if tv_db is not None:
        wet = wet + talker(wet.size, speech_rms / 10 ** (tv_db / 20), rm, tv_voice, seed % 40)
    out = add_noise(wet, np.random.default_rng(seed))
    return out.astype("<i2").tobytes(), spans
