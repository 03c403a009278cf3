"""Whisper over several utterances at once: the page gateway's pages speak together, and
CTranslate2's Whisper encodes and decodes a batch in one call.

:class:`BatchRecognizer` is the :class:`.recognizer.Recognizer` with :meth:`transcribe_many`:
the utterances' mel features go through the encoder as one batch and the decoder's beam search
runs over all of them at once (each with its own prompt); then each utterance is judged exactly as
:meth:`.recognizer.Recognizer.transcribe` judges one (the safety ear, the detector, noise, the
rating sound-alikes), by handing ``transcribe`` the batch's result for it in place of its own
decoding (the recogniser's ``_decode`` step). The decoder takes together only utterances with the
same prompt (CTranslate2 needs one prompt length per batch); the decoding cap is the longest
utterance's (a shorter one alone would be cut earlier; only a runaway repetition reaches it).
"""

from __future__ import annotations

import dataclasses
import threading
import time
from typing import Any, Optional

import numpy as np

from . import SAMPLE_RATE
from .recognizer import Recognizer, Transcript, clean

Decoded = tuple[Any, list[tuple[str, float]], float]  # what Recognizer._decode gives


class BatchRecognizer(Recognizer):
    """A :class:`.recognizer.Recognizer` that also transcribes a batch of utterances at once."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._given = threading.local()  # the batch's decoding of the utterance being judged
        super().__init__(*args, **kwargs)

    def _decode(self, pcm: bytes, prompt: list[int]) -> Decoded:
        given = getattr(self._given, "decoded", None)
        if given is None:
            return super()._decode(pcm, prompt)
        self._given.decoded = None
        return given

    def transcribe_many(self, items: list[tuple[bytes, Optional[str]]]) -> list[Transcript]:
        """Transcribe each (pcm, expect) of ``items``, as :meth:`transcribe` would one by one."""
        if len(items) <= 1:
            return [self.transcribe(pcm, expect) for pcm, expect in items]
        t0 = time.perf_counter()
        decoded = self._decode_many(items)
        shared_ms = (time.perf_counter() - t0) * 1000
        out = []
        for (pcm, expect), one in zip(items, decoded, strict=True):
            self._given.decoded = one
            try:
                res = self.transcribe(pcm, expect=expect)
            finally:
                self._given.decoded = None
            out.append(dataclasses.replace(res, ms=res.ms + shared_ms))
        return out

    def _decode_many(self, items: list[tuple[bytes, Optional[str]]]) -> list[Decoded]:
        """The encoder over all of ``items`` at once, then the decoder over each group of them
        with the same prompt (CTranslate2 decodes a batch only with prompts of one length)."""
        mels = np.concatenate([np.asarray(self._features(pcm)) for pcm, _expect in items])
        groups: dict[Optional[str], list[int]] = {}
        for i, (_pcm, expect) in enumerate(items):
            groups.setdefault(expect if expect in self._prompts else None, []).append(i)
        out: list[Optional[Decoded]] = [None] * len(items)
        with self._lock:
            enc = np.asarray(self._wm.model.encode(self._ct2.StorageView.from_array(mels)))
            for expect, idx in groups.items():
                part = enc[idx]
                results = self._generate(part, self._prompts[expect],
                                         max(len(items[i][0]) for i in idx))
                for k, (i, result) in enumerate(zip(idx, results, strict=True)):
                    hyps = [(clean(self._tok.decode(ids)), score)
                            for ids, score in zip(result.sequences_ids, result.scores, strict=True)]
                    out[i] = (part[k:k + 1], hyps, float(result.no_speech_prob))
        return out  # type: ignore[return-value]

    def _generate(self, enc: np.ndarray, prompt: list[int], longest_bytes: int) -> list[Any]:
        """Beam search over the encoded utterances ``enc``, all with ``prompt``, as
        :meth:`.recognizer.Recognizer._decode` runs it for one (the cap: the longest's)."""
        cfg = self.config
        seconds = longest_bytes / (2 * SAMPLE_RATE)
        max_new = 10 + int(cfg.tokens_per_second * min(seconds, cfg.window_s))
        return self._wm.model.generate(
            self._ct2.StorageView.from_array(np.ascontiguousarray(enc)), [prompt] * len(enc),
            beam_size=cfg.beam_size, num_hypotheses=cfg.beam_size,
            max_length=len(prompt) + max_new, return_scores=True, return_no_speech_prob=True,
            suppress_blank=True, suppress_tokens=[-1])
