"""The coach's sentences recorded at set-up: what is recorded, and how the speaker uses it.

Real synthesis throughout: espeak-ng for the round trips in a temporary folder (fast), and the
set-up's own Piper recordings in build/speech/ (``scripts/setup.sh`` made them) for coverage.
"""

from __future__ import annotations

import re
import threading
from pathlib import Path

import pytest
import yaml

from stretch_coach.catalogue import default as catalogue
from stretch_voice import sentences as script
from stretch_voice.speaker import Speaker
from stretch_voice.speech_cache import DEFAULT_DIR, CachedSynth, key, record, voice_tag
from stretch_voice.tts import DEFAULT_SPEED, Player, split_sentences, wav_pcm

pytestmark = pytest.mark.voice

ROOT = Path(__file__).resolve().parents[2]

ESPEAK = "espeak:en-us"


def test_the_sentences_are_the_domains_with_the_catalogues_values_filled_in():
    said = script.sentences()
    assert len(said) == len(set(said))
    assert not [s for s in said if "{" in s or "}" in s]
    assert "Stop there." in said and "Partner, release slowly." in said
    cat = catalogue()
    for v in cat.variants.values():
        assert f"Step 1 of {len(v.steps)}." in said
        for step in v.steps:  # every instruction, as the speaker splits it
            for side in v.sides:
                for sentence in split_sentences(step.spoken(side)):
                    assert sentence in said, sentence
        for level in v.levels:
            assert split_sentences(level.safety)[0] in said


def test_a_recorded_sentence_is_read_back_without_loading_the_voice(tmp_path: Path):
    made, kept = record(ESPEAK, DEFAULT_SPEED, ["Stop there.", "Switch legs now."], tmp_path)
    assert (made, kept) == (2, 0)
    assert record(ESPEAK, DEFAULT_SPEED, ["Stop there."], tmp_path) == (0, 1)
    synth = CachedSynth(ESPEAK, tmp_path)
    speech = synth.synthesize("Stop there.", DEFAULT_SPEED)
    on_disk = (tmp_path / voice_tag(ESPEAK) / f"{key('Stop there.', DEFAULT_SPEED)}.wav")
    assert speech.wav == on_disk.read_bytes()
    assert (synth.hits, synth.misses) == (1, 0)
    assert synth._inner is None  # nothing was synthesised, so the voice was never loaded


def test_a_missing_sentence_is_synthesised_and_kept_in_memory(tmp_path: Path):
    synth = CachedSynth(ESPEAK, tmp_path)  # an empty folder: every sentence misses at first
    first = synth.synthesize("About 17 seconds left.", DEFAULT_SPEED)
    pcm, rate, _ = wav_pcm(first.wav)
    assert len(pcm) > rate  # real speech, more than half a second of it
    again = synth.synthesize("About 17 seconds left.", DEFAULT_SPEED)
    assert again.wav == first.wav and (synth.hits, synth.misses) == (1, 1)
    synth.synthesize("About 17 seconds left.", DEFAULT_SPEED + 40)  # another speed: not the same
    assert synth.misses == 2
    assert not list(tmp_path.rglob("*.wav"))  # run time never writes the set-up's folder


def test_the_speaker_plays_recorded_sentences(tmp_path: Path):
    text = "Stop there. Partner, release slowly."
    record(ESPEAK, DEFAULT_SPEED, split_sentences(text), tmp_path)
    synth = CachedSynth(ESPEAK, tmp_path)
    started = threading.Event()
    speaker = Speaker(Player("null", simulate=False), voice=synth,
                      on_start=lambda *_: started.set())
    try:
        speaker.say(text)
        assert started.wait(10)
        assert speaker.wait_idle(10)
    finally:
        speaker.close()
    assert speaker.spoken == [text]
    assert (synth.hits, synth.misses) == (2, 0)


def test_set_up_recorded_every_fixed_sentence_of_the_domain_in_the_default_voice():
    folder = DEFAULT_DIR / voice_tag("piper")
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    fixed = [s for vs in domain["responses"].values() for v in vs
             for s in split_sentences(v.get("text", "")) if not re.search(r"\{\w+\}", s)]
    missing = [s for s in fixed if not (folder / f"{key(s, DEFAULT_SPEED)}.wav").exists()]
    assert fixed and not missing, f"not recorded (run scripts/setup.sh): {missing[:5]}"
