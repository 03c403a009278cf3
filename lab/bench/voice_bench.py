"""Voice benchmark: spoken commands through the whole loop, in real time, against the real servers;
the shipped loop and variants of it (``--recognizers``) side by side in one run.

    .venv/bin/python -m lab.bench.voice_bench            # the full run, ~60 min
    .venv/bin/python -m lab.bench.voice_bench --voices piper@140 --conditions clean

Per loop x voice x condition (clean; noisy = sox pink noise at 15 dB SNR; loud = 8 dB):
every phrase of lab/bench/voice_set.yml is synthesised (espeak-ng, flite or the Piper voice at a
given rate: ``piper@190``; 0.3 s lead-in) and played into a
:class:`stretch_voice.session.VoiceSession` at real-time pace, as a microphone would deliver it,
followed by 0.6 s of room noise (the noise runs through the lead-in and the pause after the
speech, as a fan or traffic would). The session finds the end of speech (the VAD), transcribes
it, sends the text over socket.io to a real Rasa server + action server started here (ports
5405/5455, their own SQLite store, holds scaled x100 so that no timed cue lands inside the
measurement), and speaks the first reply (Piper: the set-up's recording of the sentence,
``build/speech/``, or synthesis if it has none; ``whisper-nocache`` always synthesises) and hands
it to the player (a null device:
a sound card would add its output buffer, ~10-50 ms).

Reported per loop:
* intent accuracy on commands: the intent the server's NLU gives the transcript
  (``/model/parse``, outside the timed path) equals the expected intent; unclear = wrong;
* safety recall: a safety phrase ends up as its expected safety intent; any safety intent
  (stop vs pause) counts separately as "handled safely";
* false commands on out-of-scope speech: parsed as neither out_of_scope nor nlu_fallback;
* latency, end of speech -> first reply audio: the end of speech is where the synthetic audio ends
  (known exactly), the first reply audio is when its first block is handed to the player. Median,
  p95; and the parts (end of turn, recognition, socket.io turn, synthesis);
* the voice process's memory (RSS) and the recogniser's load time.
The voices are not the ones the tests use (tests/e2e/test_voice_e2e.py), except Piper's Joe, the
only Piper voice installed. Results go to stdout and results/voice_bench.json.
"""

from __future__ import annotations

import argparse
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
from lab.harness.servers import Servers
from lab.phrases import iter_nlu_examples, normalize
from lab.stats import median_p95
from stretch_coach import contract
from stretch_voice import SAMPLE_RATE
from stretch_voice.client import VoiceClient
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
CONDITIONS = {"clean": None, "noisy": 15.0, "loud": 8.0}
NOT_COMMANDS = {contract.OUT_OF_SCOPE, contract.NLU_FALLBACK, None}
LEAD_S, TAIL_S = 0.3, 0.6


def load_set(path: Path = SET) -> dict[str, list]:
    data = yaml.safe_load(path.read_text())
    commands = {normalize(t) for i, t in iter_nlu_examples() if i != contract.OUT_OF_SCOPE}
    leaked = [p for p in data["out_of_grammar"] if normalize(p) in commands]
    if leaked:
        raise SystemExit(f"out-of-grammar phrases are command examples in the NLU data: {leaked}")
    return data


def set_items(data: dict[str, list]) -> list[tuple[str, Optional[str], str]]:
    """(phrase, expected intent or None, kind: command / safety / oog) for every phrase of the set."""
    return ([(p, i, "command") for p, i in data["commands"]]
            + [(p, i, "safety") for p, i in data["safety"]]
            + [(p, None, "oog") for p in data["out_of_grammar"]])


def bench_clip(phrase: str, voice: str, speed: int, cond: str) -> bytes:
    """The phrase as the benchmark plays it: room noise before, during and after the speech
    (``LEAD_S`` before, ``TAIL_S`` after), as in a real room."""
    clip = synthesize(phrase, voice, speed, snr_db=CONDITIONS[cond], noise="sox-pink",
                      pad_s=LEAD_S + TAIL_S)
    return clip.pcm[int(TAIL_S * SAMPLE_RATE) * 2:]


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def voice_and_speed(voice: str, default: int) -> tuple[str, int]:
    name, _, rate = voice.partition("@")
    return name, int(rate) if rate else default


def config(name: str) -> tuple[str, dict[str, Any]]:
    """``whisper``, with options after dashes: ``-nocache`` (Piper
    synthesises every sentence instead of playing the set-up's recordings),
    ``-specN`` (speculative recognition after N ms of silence instead of the session's default),
    ``-retryN`` (an unsure guess made again after N ms of silence, and kept), ``-beamN``
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
        elif opt.startswith("spec") and opt[4:].isdigit():
            out["session"]["speculate_ms"] = int(opt[4:])
        elif opt.startswith("retry") and opt[5:].isdigit():
            out["session"]["retry_ms"] = int(opt[5:])
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
        self.connect()

    def hear(self, pcm: bytes, tail_s: float) -> tuple[Any, float]:
        """Play ``pcm`` (lead-in + speech + ``tail_s`` of room) in real time; return the turn
        and the clock time at which the speech ended."""
        n_before = len(self.session.turns)
        t0 = time.monotonic()
        speech_end_offset = len(pcm) / (2 * SAMPLE_RATE) - tail_s
        feed_realtime(self.session, pcm)
        deadline = time.monotonic() + 3.0
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


def main(argv: Optional[list[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--voices", nargs="+", default=list(BENCH_VOICES))
    ap.add_argument("--conditions", nargs="+", default=list(CONDITIONS), choices=list(CONDITIONS))
    ap.add_argument("--speed", type=int, default=160)
    ap.add_argument("--vad", type=int, default=VAD_AGGRESSIVENESS, choices=[0, 1, 2, 3],
                    help="webrtcvad aggressiveness")
    ap.add_argument("--vad-engine", default="both", choices=list(VAD_ENGINES),
                    help="end of speech: webrtcvad, Silero VAD, or both (the product's default)")
    ap.add_argument("--recognizers", nargs="+", default=["whisper"],
                    help="whisper, or with options: whisper-nocache, whisper-spec60 "
                         "(see config())")
    ap.add_argument("--out", default=str(ROOT / "results" / "voice_bench.json"))
    args = ap.parse_args(argv)
    items = set_items(load_set())
    print(f"{len(items)} phrases x {len(args.voices)} voices x {len(args.conditions)} "
          f"conditions x {len(args.recognizers)} recognisers, real time", flush=True)
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
        base, options = config(name)
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
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=1))
    for name in recognizers:
        report[name].pop("misses")
        report[name].pop("turns")
    print(json.dumps(report, indent=1))
    print(f"misses listed in {out}")
    return 0


def measure(servers: Servers, recognizer: Any, name: str, items: list, args: Any
            ) -> dict[str, Any]:
    """One recogniser over every voice x condition x phrase."""
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    by_voice: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    latency: dict[str, list[float]] = defaultdict(list)
    parts: dict[str, list[float]] = defaultdict(list)
    misses: list[dict[str, Any]] = []
    turns: list[dict[str, Any]] = []
    voice_name = ""

    def tally(key: str, ok: bool) -> None:
        for tally_of in (counts[key], by_voice[voice_name][key]):
            tally_of[0] += int(ok)
            tally_of[1] += 1

    parse = servers.url + "/model/parse"
    for voice_name in args.voices:
        voice, speed = voice_and_speed(voice_name, args.speed)
        for cond in args.conditions:
            run = Run(servers.url, recognizer, f"{name}-{voice}-{cond}", args.vad,
                      args.vad_engine, config(name)[1])
            for phrase, expected, kind in items:
                turn, speech_end = run.hear(bench_clip(phrase, voice, speed, cond),
                                            LEAD_S + TAIL_S)
                heard = turn.transcript if turn is not None else ""
                intent = (requests.post(parse, json={"text": heard}, params=servers.auth, timeout=10)
                          .json()["intent"]["name"] if heard else None)
                if kind == "oog":
                    ok = intent in NOT_COMMANDS
                    tally(f"oog_not_command/{cond}", ok)
                elif kind == "safety":
                    ok = intent == expected
                    tally(f"safety_recall/{cond}", ok)
                    tally(f"safety_handled/{cond}", intent in contract.SAFETY_INTENTS)
                else:
                    ok = intent == expected
                    tally(f"command_accuracy/{cond}", ok)
                    tally(f"false_safety/{cond}", intent in contract.SAFETY_INTENTS
                          and expected not in contract.SAFETY_INTENTS)
                if turn is not None and turn.first_audio is not None and kind != "oog":
                    latency_ms = (turn.first_audio - speech_end) * 1000
                    endpoint_ms = (turn.endpoint - speech_end) * 1000
                    latency[cond].append(latency_ms)
                    parts["endpoint_ms"].append(endpoint_ms)
                    parts["recognition_ms"].append(turn.recognition_ms)
                    if turn.first_reply is not None and turn.sent is not None:
                        parts["reply_ms"].append((turn.first_reply - turn.sent) * 1000)
                        parts["synth_to_audio_ms"].append(
                            (turn.first_audio - turn.first_reply) * 1000)
                    tally(f"early_end/{cond}", turn.early)
                    turns.append({"voice": voice_name, "cond": cond, "said": phrase,
                                  "latency_ms": round(latency_ms), "endpoint_ms": round(endpoint_ms),
                                  "recognition_ms": round(turn.recognition_ms),
                                  "early": turn.early, "retried": turn.retried})
                if not ok:
                    misses.append({"said": phrase, "voice": voice_name, "cond": cond,
                                   "heard": heard, "intent": intent,
                                   "expected": expected or "not a command"})
                print(f"{name:7s} {'ok ' if ok else 'MISS'} {voice_name:12s} {cond:5s} "
                      f"{phrase!r:36} -> "
                      f"{heard!r} {intent}", flush=True)
            run.close()
    return {
        "voices": args.voices, "conditions": args.conditions, "vad": args.vad,
        "vad_engine": args.vad_engine,
        "noise": "sox pink; noisy 15 dB SNR, loud 8 dB",
        "phrases": {k: sum(1 for i in items if i[2] == k) for k in ("command", "safety", "oog")},
        "rates": {k: {"ok": v[0], "n": v[1], "rate": round(v[0] / v[1], 3)}
                  for k, v in sorted(counts.items())},
        "latency_ms": {c: median_p95(v) for c, v in latency.items()},
        "latency_parts_median_ms": {k: round(statistics.median(v), 1) for k, v in parts.items()},
        "by_voice": {v: {k: f"{ok}/{n}" for k, (ok, n) in sorted(c.items())}
                     for v, c in by_voice.items()},
        "misses": misses,
        "turns": turns,
    }


if __name__ == "__main__":
    raise SystemExit(main())
