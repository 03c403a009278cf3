"""Offline speech layer for Stretch Coach: recognition, end-of-utterance detection and speech output.

Everything here runs offline on the CPU with models that ship inside installed packages
(pocketsphinx's bundled US English model, webrtcvad, espeak-ng, sox). Nothing is downloaded at run
time and nothing in this package imports Rasa: the dialogue server is reached only over HTTP /
socket.io by the caller.

Modules:
    audio      -- WAV <-> 16 kHz mono 16-bit PCM helpers shared by the other modules.
    phrases    -- the command phrases the recogniser knows (NLU examples + lexicon + core words).
    recognizer -- pocketsphinx grammar recogniser with out-of-grammar rejection.
    vad        -- webrtcvad end-of-utterance detection and WAV splitting.
    tts        -- espeak-ng synthesis and an interruptible (barge-in) player.
    audio_gen  -- synthetic test audio: espeak voices, resampling, noise.
    nlu        -- pluggable ``parse(text) -> dict``; default POSTs to Rasa's /model/parse.
    cli        -- ``python -m stretch_voice --wav FILE...`` (one JSON line per file).
    measure    -- accuracy / safety recall / rejection / latency on synthetic speech.
"""

from __future__ import annotations

SAMPLE_RATE = 16_000
"""Sample rate (Hz) of all PCM handled by this package."""

SAMPLE_WIDTH = 2
"""Bytes per sample (signed 16-bit little endian, mono)."""
