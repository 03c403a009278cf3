"""Command line: recognise WAV files and (optionally) send the text to the NLU server.

    python -m stretch_coach.voice --wav a.wav b.wav            # one JSON line per file
    python -m stretch_coach.voice --wav talk.wav --split       # one JSON line per utterance
    python -m stretch_coach.voice --wav a.wav --no-nlu         # speech recognition only
    python -m stretch_coach.voice --phrases                    # grammar statistics

Each JSON line holds ``file``, ``transcript``, ``rejected``, ``recognition_ms``, ``confidence``,
``safety``, ``source``, and unless ``--no-nlu`` (or the utterance was rejected) ``nlu`` with the
intent, confidence and round-trip ms. If the NLU server is down the command stops with exit
status 2 and a clear message on stderr.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, Dict, Iterable, List, Optional, Sequence

from .audio import read_wav
from .nlu import DEFAULT_PARSE_URL, NLUUnavailable, ParseFn, make_rasa_parse


def transcribe(recognizer: Any, pcm: bytes, parse: Optional[ParseFn] = None,
               **extra: Any) -> Dict[str, Any]:
    """Recognise one utterance and, if accepted and ``parse`` is given, parse its text."""
    res = recognizer.recognize(pcm)
    row: Dict[str, Any] = dict(extra)
    row.update({"transcript": res.text, "rejected": res.rejected,
                "recognition_ms": round(res.ms, 1),
                "confidence": res.as_dict()["confidence"], "safety": res.safety,
                "source": res.source})
    if parse is not None and not res.rejected and res.text:
        nlu = parse(res.text)
        row["nlu"] = {k: nlu.get(k) for k in ("intent", "confidence", "entities", "nlu_ms")}
    return row


def transcribe_files(paths: Iterable[str], recognizer: Any, parse: Optional[ParseFn] = None,
                     split: bool = False) -> Iterable[Dict[str, Any]]:
    """Yield one result row per file (or per utterance with ``split``)."""
    from .vad import split_pcm

    for path in paths:
        pcm = read_wav(path)
        if not split:
            yield transcribe(recognizer, pcm, parse, file=path)
            continue
        for i, utt in enumerate(split_pcm(pcm)):
            yield transcribe(recognizer, utt.pcm, parse, file=path, utterance=i,
                             start_s=round(utt.speech_start_s, 2),
                             end_s=round(utt.speech_end_s, 2))


def main(argv: Optional[Sequence[str]] = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m stretch_coach.voice", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--wav", nargs="+", metavar="FILE", help="WAV files to recognise")
    ap.add_argument("--split", action="store_true",
                    help="split each file into utterances with the VAD first")
    ap.add_argument("--no-nlu", action="store_true", help="do not call the NLU server")
    ap.add_argument("--nlu-url", default=DEFAULT_PARSE_URL, help="Rasa /model/parse URL")
    ap.add_argument("--phrases", action="store_true", help="print grammar statistics and exit")
    args = ap.parse_args(argv)

    from .recognizer import Recognizer

    if args.phrases:
        rec = Recognizer()
        ps = rec.phrase_set
        print(json.dumps({"phrases": len(ps.intents), "in_grammar": len(rec.phrases),
                          "words": len(ps.words), "added_pronunciations": ps.pronunciations,
                          "dropped": ps.dropped, "safety_grammar": rec.safety_phrases}, indent=1))
        return 0
    if not args.wav:
        ap.error("nothing to do: give --wav FILE... or --phrases")

    parse: Optional[ParseFn] = None if args.no_nlu else make_rasa_parse(args.nlu_url)
    recognizer = Recognizer()
    try:
        rows: List[Dict[str, Any]] = []
        for row in transcribe_files(args.wav, recognizer, parse, split=args.split):
            print(json.dumps(row), flush=True)
            rows.append(row)
    except NLUUnavailable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
