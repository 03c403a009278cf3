"""Voice benchmark: spoken commands through the whole loop, in real time, against the real servers;
the loop before the room work (no safety detector, no foreground gate, no hearing sent with the
text) and the shipped one, or other
variants (``--recognizers``), side by side in one run.

    .venv/bin/python -m lab.bench.voice_bench            # old loop vs new, fast pace, ~60 min
    .venv/bin/python -m lab.bench.voice_bench --pace realtime --recognizers whisper \
        --voices piper@140 --conditions clean loud tv10   # end of speech -> reply audio

Per loop x voice x condition, every phrase of lab/bench/voice_set.yml is synthesised
(espeak-ng, flite or the Piper voice at a given rate: ``piper@190``) and played into a
:class:`stretch_voice.session.VoiceSession`, in real time as a microphone delivers it (or, with
``--pace fast``, as fast as the loop takes it: the same transcripts, no latency). Conditions
(lab/room.py): clean; noisy and loud (sox pink noise at 15 and 8 dB SNR, additive only);
living and gym (pyroomacoustics rooms, RT60 ~0.36 and ~0.8 s, the phone 1.2 and 2 m away); tv15,
tv10, tv5 (the living room with a TV talking on 15, 10, 5 dB below the speaker, through the
clip and 2 s after it); phone (the living room through a phone's auto-gain, noise suppression
and a clipped shout for safety phrases); styles (fast, quiet, drawn-out or loud speech). The
session finds the end of speech, transcribes it, sends the text over socket.io to a real Rasa
server + action server started here (ports 5405/5455, holds scaled x100), and speaks the first
reply into a null player. The intent judged is the server's NLU on the transcript, held back to
the fallback when the coach would (a moving command heard in doubt: ``stretch_coach.doubt``;
lab/bench/voice_judge.py).

Reported per loop and condition (``rates``): commands right; safety phrase -> its own safety
intent, -> any safety intent, and never -> a command that moves the session on (``contract.MOVING_INTENTS``: the
dangerous miss); out-of-scope and partner talk -> not a command and not a moving command;
non-safety speech -> no safety intent (a needless pause); commands and safety phrases answered
(a turn ended and the coach replied, TV or not); in real time, end of speech -> first reply
audio (median, p95) and its parts; memory. The voices are not the tests' (tests/e2e/
test_voice_e2e.py) except Piper's Joe, the only Piper voice installed; the TV voices are
neither. Results go to stdout and results/voice_bench.json, with every clip's row (what was
heard, the NLU's intent, how it was heard), so that ``--rejudge FILE`` can judge a run again
with today's rule for what the coach holds back (``--reparse``: and today's NLU model).
"""

from __future__ import annotations

import argparse
import functools
import json
import statistics
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any, Optional

import requests
import yaml

from lab.speech import synthesize
from lab import room
from lab.bench.voice_judge import judge, summarise
from lab.harness.servers import Servers
from lab.phrases import iter_nlu_examples, normalize
from lab.stats import median_p95
from stretch_coach import contract
from stretch_voice import SAMPLE_RATE
from stretch_voice.client import VoiceClient
from stretch_voice.foreground import ForegroundGate
from stretch_voice.recognizer import Recognizer, RecognizerConfig
from stretch_voice.session import feed_realtime
from stretch_voice.speaker import Speaker
from stretch_voice.speech_cache import cached_voice
from stretch_voice.tts import Player
from stretch_voice.vad import ENGINES as VAD_ENGINES
from stretch_voice.vad import VAD_AGGRESSIVENESS, UtteranceDetector

ROOT = Path(__file__).resolve().parents[2]

SET = ROOT / "lab" / "bench" / "voice_set.yml"
BENCH_VOICES = ("en-us+m3", "en-us+f4", "flite:rms", "flite:awb", "piper@140", "piper@190")
NOISE_ONLY = {"clean": None, "noisy": 15.0, "loud": 8.0}
"""Additive noise only, the speech played straight in: comparable with the older records."""
LEAD_S, TAIL_S = 0.3, 0.6
TV_TAIL_S = 2.0
"""With a TV talking, the clip goes on this long after the speech: the turn must end meanwhile."""


def load_set(path: Path = SET) -> dict[str, list]:
    data = yaml.safe_load(path.read_text())
    commands = {normalize(t) for i, t in iter_nlu_examples() if i != contract.OUT_OF_SCOPE}
    examples = {normalize(t) for _, t in iter_nlu_examples()}
    leaked = [p for p in data["out_of_grammar"] if normalize(p) in commands]
    leaked += [p for p in data.get("partner_talk", []) if normalize(p) in examples]
    if leaked:
        raise SystemExit(f"held-out phrases are examples in the NLU data: {leaked}")
    return data


def set_items(data: dict[str, list]) -> list[tuple[str, Optional[str], str]]:
    """(phrase, expected intent or None, kind: command / safety / oog / partner) for every
    phrase of the set."""
    return ([(p, i, "command") for p, i in data["commands"]]
            + [(p, i, "safety") for p, i in data["safety"]]
            + [(p, None, "oog") for p in data["out_of_grammar"]]
            + [(p, None, "partner") for p in data.get("partner_talk", [])])


@functools.lru_cache(maxsize=None)  # every loop of a run hears the very same clips
def bench_clip(phrase: str, voice: str, speed: int, cond: str, kind: str = "command"
               ) -> tuple[bytes, float]:
    """The phrase as the benchmark plays it, and the seconds of room after the speech: room
    noise (or a room, a TV, the phone's path) before, during and after the speech."""
    if cond in NOISE_ONLY:
        clip = synthesize(phrase, voice, speed, snr_db=NOISE_ONLY[cond], noise="sox-pink",
                          pad_s=LEAD_S + TAIL_S)
        return clip.pcm[int(TAIL_S * SAMPLE_RATE) * 2:], LEAD_S + TAIL_S
    how = room.CONDITIONS[cond]
    tail = TV_TAIL_S if how.tv_db is not None else LEAD_S + TAIL_S
    return room.render(phrase, voice, speed, how, lead_s=LEAD_S, tail_s=tail,
                       safety=kind == "safety"), tail


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def voice_and_speed(voice: str, default: int) -> tuple[str, int]:
    name, _, rate = voice.partition("@")
    return name, int(rate) if rate else default


def config(name: str, alt_detector: str = "") -> tuple[str, dict[str, Any]]:
    """``whisper``, with options after dashes: ``-nocache`` (Piper
    synthesises every sentence instead of playing the set-up's recordings),
    ``-specN`` (speculative recognition after N ms of silence instead of the session's default),
    ``-noforget`` (Silero's state never cleared), ``-gateshareN`` (the foreground gate takes
    another voice to talk on at N % of speech frames), ``-nodetector`` (no trained safety
    detector), ``-altdetector`` (the detector weights of
    ``--alt-detector``), ``-gate`` / ``-nogate`` (the foreground gate
    on or off), ``-nodoubt`` (no hearing sent with the text: the coach acts on moving commands
    heard in doubt), ``-retryN`` (an unsure guess made again after N ms of silence, and kept),
    ``-earlyN`` (a sure guess ends the turn after N ms of silence), ``-beamN``
    (Whisper's beam width and n-best size instead of the recogniser's default), ``-carryfixed``
    (webrtcvad carries speech on past Silero's in any noise: no carry check)."""
    base, *opts = name.split("-")
    if base != "whisper":
        raise SystemExit(f"unknown recogniser {name!r}")
    out: dict[str, Any] = {"voice": cached_voice("piper"), "session": {}, "recognizer": {},
                           "detector": {}}
    for opt in opts:
        if opt == "nocache":
            out["voice"] = "piper"
        elif opt == "carryfixed":
            out["detector"]["carry_check"] = 0
        elif opt == "nodoubt":
            out["session"]["hearing"] = False
        elif opt == "nodetector":
            out["recognizer"]["safety_detector"] = False
        elif opt == "altdetector":
            if not alt_detector:
                raise SystemExit(f"{name!r} needs --alt-detector FILE")
            out["recognizer"]["detector_weights"] = alt_detector
        elif opt in ("gate", "nogate"):
            out["detector"]["foreground"] = opt == "gate"
        elif opt == "noforget":
            out["detector"]["forget_ms"] = None
        elif opt.startswith("gateshare") and opt[9:].isdigit():
            out["gate_share"] = int(opt[9:]) / 100
        elif opt.startswith("spec") and opt[4:].isdigit():
            out["session"]["speculate_ms"] = int(opt[4:])
        elif opt.startswith("retry") and opt[5:].isdigit():
            out["session"]["retry_ms"] = int(opt[5:])
        elif opt.startswith("early") and opt[5:].isdigit():
            out["session"]["early_end_ms"] = int(opt[5:])
        elif opt.startswith("beam") and opt[4:].isdigit() and int(opt[4:]) > 0:
            out["recognizer"]["beam_size"] = int(opt[4:])
        else:
            raise SystemExit(f"unknown option {opt!r} in {name!r}")
    return base, out


class Run(VoiceClient):
    """One voice x condition: a session, a socket.io connection, a fresh conversation."""

    def __init__(self, url: str, recognizer: Any, name: str, vad: int, engine: str,
                 options: dict[str, Any]) -> None:
        super().__init__(url, f"bench-{name}-{time.time_ns()}", recognizer,
                         Speaker(Player("null", simulate=False), voice=options["voice"]),
                         detector=UtteranceDetector(aggressiveness=vad, engine=engine,
                                                    **options["detector"]),
                         **options["session"])
        if "gate_share" in options and self.session.detector.gate is not None:
            self.session.detector.gate = ForegroundGate(talk_share=options["gate_share"])
        self.connect()

    def hear(self, pcm: bytes, tail_s: float, fast: bool = False) -> tuple[Any, float]:
        """Play ``pcm`` (lead-in + speech + ``tail_s`` of room) in real time, or as fast as the
        loop takes it; return the turn and the clock time at which the speech ended."""
        n_before = len(self.session.turns)
        t0 = time.monotonic()
        speech_end_offset = len(pcm) / (2 * SAMPLE_RATE) - tail_s
        if fast:
            self.session.feed(pcm)
        else:
            feed_realtime(self.session, pcm)
        # no turn by the end of the clip: none is coming, so nothing to wait for
        deadline = time.monotonic() + (3.0 if self.session.turns[n_before:] else 0.0)
        while time.monotonic() < deadline:  # wait for the reply audio (or no reply at all)
            turns = self.session.turns[n_before:]
            if turns and (turns[-1].sent is None or turns[-1].first_audio is not None):
                break
            time.sleep(0.005)
        while time.monotonic() - self.last_message_at < 0.25:  # let the rest arrive
            time.sleep(0.02)
        self.speaker.wait_idle(5)
        turns = self.session.turns[n_before:]
        return (turns[-1] if turns else None), t0 + speech_end_offset


def record_latency(turn: Any, speech_end: float, cond: str, latency: dict, parts: dict) -> None:
    """End of speech -> first reply audio of one turn, and its parts."""
    latency[cond].append((turn.first_audio - speech_end) * 1000)
    parts["endpoint_ms"].append((turn.endpoint - speech_end) * 1000)
    parts["recognition_ms"].append(turn.recognition_ms)
    if turn.first_reply is not None and turn.sent is not None:
        parts["reply_ms"].append((turn.first_reply - turn.sent) * 1000)
        parts["synth_to_audio_ms"].append((turn.first_audio - turn.first_reply) * 1000)


def main(argv: Optional[list[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--voices", nargs="+", default=list(BENCH_VOICES))
    ap.add_argument("--conditions", nargs="+", default=list(room.CONDITIONS),
                    choices=list(room.CONDITIONS))
    ap.add_argument("--pace", default="fast", choices=["realtime", "fast"],
                    help="fast: feed the audio as fast as the loop takes it (same transcripts and "
                         "intents, no latency figures)")
    ap.add_argument("--speed", type=int, default=160)
    ap.add_argument("--vad", type=int, default=VAD_AGGRESSIVENESS, choices=[0, 1, 2, 3],
                    help="webrtcvad aggressiveness")
    ap.add_argument("--vad-engine", default="both", choices=list(VAD_ENGINES),
                    help="end of speech: webrtcvad, Silero VAD, or both (the product's default)")
    ap.add_argument("--recognizers", nargs="+",
                    default=["whisper-nodetector-nogate-nodoubt", "whisper"],
                    help="whisper, or with options: whisper-nocache, whisper-spec60 "
                         "(see config())")
    ap.add_argument("--alt-detector", default="",
                    help="a detector weights file for the loops with -altdetector")
    ap.add_argument("--rejudge", default=None, metavar="FILE",
                    help="judge the rows of an earlier run's --out again, and stop")
    ap.add_argument("--reparse", action="store_true",
                    help="with --rejudge: today's NLU model parses the transcripts again")
    ap.add_argument("--out", default=str(ROOT / "results" / "voice_bench.json"))
    args = ap.parse_args(argv)
    if args.rejudge:
        return rejudge(Path(args.rejudge), Path(args.out), args.reparse)
    items = set_items(load_set())
    print(f"{len(items)} phrases x {len(args.voices)} voices x {len(args.conditions)} "
          f"conditions x {len(args.recognizers)} loops, {args.pace} pace", flush=True)
    rss0 = rss_mb()
    t0 = time.perf_counter()
    speaker_probe = Speaker(Player("null", simulate=False))
    speaker_probe.say("Warm up.")
    speaker_probe.wait_idle(30)
    speaker_probe.close()
    memory = {"rss_before_models_mb": round(rss0, 1),
              "piper_load_ms": round((time.perf_counter() - t0) * 1000),
              "rss_with_piper_mb": round(rss_mb(), 1)}
    report: dict[str, Any] = {}
    loaded: dict[str, Any] = {}
    recognizers: dict[str, Any] = {}
    for name in args.recognizers:
        base, options = config(name, args.alt_detector)
        key = "-".join([base, *(f"{k}={v}" for k, v in sorted(options["recognizer"].items()))])
        if key not in loaded:
            t0 = time.perf_counter()
            loaded[key] = Recognizer(RecognizerConfig(**options["recognizer"]))
            memory[f"{key}_load_ms"] = round((time.perf_counter() - t0) * 1000)
            memory[f"rss_with_{key}_mb"] = round(rss_mb(), 1)
        recognizers[name] = loaded[key]
    with tempfile.TemporaryDirectory() as tmp, \
            Servers(Path(tmp), 5405, 5455, time_scale="100") as servers:
        for name, recognizer in recognizers.items():
            report[name] = measure(servers, recognizer, name, items, args)
    report["memory"] = memory
    return write(report, Path(args.out))


def write(report: dict[str, Any], out: Path) -> int:
    """Keep the whole report in ``out``; print it without the per-clip lists."""
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=1))
    print(json.dumps({name: {k: v for k, v in loop.items() if k not in ("misses", "turns", "rows")}
                      if name != "memory" else loop for name, loop in report.items()}, indent=1))
    print(f"misses and every clip's row listed in {out}")
    return 0


def rejudge(path: Path, out: Path, reparse: bool = False) -> int:
    """An earlier run's rows judged again with today's rule for what the coach holds back (and,
    with ``reparse``, today's NLU model on the same transcripts)."""
    report = json.loads(path.read_text())
    loops = [loop for loop in report.values() if isinstance(loop, dict) and "rows" in loop]
    if reparse:
        with tempfile.TemporaryDirectory() as tmp, \
                Servers(Path(tmp), 5405, 5455, time_scale="100") as servers:
            for loop in loops:
                for row in loop["rows"]:
                    row["nlu"] = parse(servers, row["heard"])
    for loop in loops:
        loop.update(summarise(loop["rows"]))
    return write(report, out)


def parse(servers: Servers, text: str) -> Optional[str]:
    """The server's NLU intent for ``text`` (None for nothing heard)."""
    if not text:
        return None
    return requests.post(servers.url + "/model/parse", json={"text": text},
                         params=servers.auth, timeout=10).json()["intent"]["name"]


def measure(servers: Servers, recognizer: Any, name: str, items: list, args: Any
            ) -> dict[str, Any]:
    """One recogniser over every voice x condition x phrase: what was heard (``rows``), and
    in real time the latency of each answered command and safety phrase."""
    rows: list[dict[str, Any]] = []
    latency: dict[str, list[float]] = defaultdict(list)
    parts: dict[str, list[float]] = defaultdict(list)
    turns: list[dict[str, Any]] = []
    for voice_name in args.voices:
        voice, speed = voice_and_speed(voice_name, args.speed)
        for cond in args.conditions:
            run = Run(servers.url, recognizer, f"{name}-{voice}-{cond}", args.vad,
                      args.vad_engine, config(name, args.alt_detector)[1])
            for phrase, expected, kind in items:
                pcm, tail = bench_clip(phrase, voice, speed, cond, kind)
                turn, speech_end = run.hear(pcm, tail, fast=args.pace == "fast")
                heard = turn.transcript if turn is not None else ""
                row = {"said": phrase, "voice": voice_name, "cond": cond, "kind": kind,
                       "expected": expected, "heard": heard, "nlu": parse(servers, heard),
                       "hearing": turn.metadata if turn is not None else None,
                       "answered": turn is not None and turn.first_reply is not None}
                rows.append(row)
                if turn is not None and turn.first_audio is not None and kind in ("command", "safety") \
                        and args.pace == "realtime":
                    record_latency(turn, speech_end, cond, latency, parts)
                    turns.append({"voice": voice_name, "cond": cond, "said": phrase,
                                  "latency_ms": round((turn.first_audio - speech_end) * 1000),
                                  "recognition_ms": round(turn.recognition_ms),
                                  "early": turn.early, "retried": turn.retried})
                intent, checks = judge(row)
                print(f"{name:7s} {'ok ' if all(checks.values()) else 'MISS'} {voice_name:12s} "
                      f"{cond:6s} {phrase!r:36} -> {heard!r} {intent}", flush=True)
            run.close()
    return {"voices": args.voices, "conditions": args.conditions, "vad": args.vad,
            "vad_engine": args.vad_engine, "pace": args.pace,
            "conditions_made": {c: str(room.CONDITIONS[c]) for c in args.conditions},
            "phrases": {k: sum(1 for i in items if i[2] == k)
                        for k in ("command", "safety", "oog", "partner")},
            **summarise(rows),
            "latency_ms": {c: median_p95(v) for c, v in latency.items()},
            "latency_parts_median_ms": {k: round(statistics.median(v), 1) for k, v in parts.items()},
            "turns": turns, "rows": rows}


if __name__ == "__main__":
    raise SystemExit(main())
