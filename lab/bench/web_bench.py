"""Web page benchmark: end of speech -> first reply audio played in the page, through headless
chromium, the gateway and the real servers; how many pages at once before its median passes 1 s;
pages speaking at the same moment and at random times; one gateway against one that decodes the
utterances waiting for Whisper together (``--batch``) and against two behind HAProxy; and the
gateway's CPU per silent page.

    .venv/bin/python -m lab.bench.web_bench                  # 1, 2, 4, 8, 16 pages, every set-up
    .venv/bin/python -m lab.bench.web_bench --pages 1 --utterances 12 --timing same --setups one

Each page listens (fake microphone, ``--use-file-for-fake-audio-capture``) to the same file:
short commands that each get a short spoken reply and leave the session where it was ("hello",
"thank you", "how long left"), in the Piper voice, several seconds apart. With ``same`` timing all
pages of a round start together, each with its own session, so they speak at the same moments: the
worst case for the gateway. With ``random`` timing each page presses Start after a random delay
within one utterance's period (seeded), so the pages speak at times spread over it, as people do.
With two gateways, two ``python -m stretch_web`` sit behind an HAProxy (WebSockets to the gateway
with the fewest, ``leastconn``), both talking to the same Rasa server. A gateway full for a round's
pages refuses them (``--max-pages``): the bench raises the limit so that every page is served. The page records when it posted each 20 ms microphone chunk with its peak, and when each
reply audio block was scheduled to play (``?trace``). End of speech is where the speech ends in
the file, on the page's capture clock (see :func:`latencies`); the latency runs to the start of
the first reply block played after it (the page's own 20 ms start-up buffer included; the sound
card's input and output latency not). The last loud chunk is reported against it as a check that
file and capture line up (it lands a little before: the quiet tail of a word). Loopback, 2 cores
shared by the browser, the gateway, Rasa and the action server: the browser's audio processing
(echo cancellation, noise suppression, one AudioWorklet per page) competes for the same CPU. The
gateway plays the sentences recorded at set-up (``build/speech/``); a first round with
``--speech-cache none`` (every sentence synthesised) runs side by side (``--synthesised-pages``).
The CPU of a silent page: ``--silent-pages`` pages listen to a quiet room for ``--silent-s``
seconds; the gateways' CPU time (``/proc``) over that time, less the same time with no page, per
page, in % of one core. Prints a table; writes results/web_bench.json.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import requests

from lab.speech import add_noise, synthesize
from lab.stats import percentile
from lab.harness.servers import Gateway, Servers, free_port, free_ports, stop_process, wait_for
from stretch_voice import SAMPLE_RATE
from stretch_voice.audio import write_wav
from stretch_voice.speech_cache import DEFAULT_DIR

ROOT = Path(__file__).resolve().parents[2]

PHRASES = ("hello", "thank you", "how long left")
LOUD = 2000          # a chunk peak above this (of 32768) is speech; the file's floor is ~30
CHUNK = 320          # samples per microphone chunk the page sends
CHUNK_MS = 20
LIMIT_MS = 1000      # the concurrency limit: median past this


def speech_file(path: Path, n: int, gap_s: float) -> tuple[Path, list[int]]:
    """The file the pages hear, and the sample where each utterance's speech ends."""
    import numpy as np

    rng = np.random.default_rng(3)

    def quiet(seconds: float) -> bytes:
        zeros = np.zeros(int(seconds * SAMPLE_RATE), dtype=np.int16)
        return add_noise(zeros, rng, floor_db=-60.0).astype("<i2").tobytes()

    parts, ends, at = [quiet(0.5)], [], int(0.5 * SAMPLE_RATE)
    for i in range(n):
        speech = synthesize(PHRASES[i % len(PHRASES)], "piper", pad_s=0.0).pcm
        at += len(speech) // 2
        ends.append(at)
        gap = quiet(gap_s)
        at += len(gap) // 2
        parts += [speech, gap]
    return write_wav(path, b"".join(parts)), ends


def latencies(page: dict[str, Any], ends: list[int]) -> tuple[list[float], list[float], int]:
    """Latency (ms) per answered utterance of one page; how far (ms) the last loud chunk lies
    from the end of speech by the file (a check of the alignment); utterances heard.

    Times: the page sends 320-sample chunks from the moment the microphone opens, which is when
    the file starts. A busy page posts some chunks late, so times come from the capture clock:
    chunk i was captured 20 ms * (i + 1) after the start, and the start is placed by the chunk
    posted with the least delay; sample k of the file was captured at start + k / 16 ms.
    Attribution: the first "you" caption after an utterance's end (and before the next's) is
    what the gateway heard of it; its reply is the next coach caption;
    that reply's audio starts with the first audio block after the gateway's ``speaking`` mark for
    it (a reply that comes late is never taken for the next utterance's).
    """
    chunks, events = page["chunks"], page["events"]
    if not chunks:
        return [], [], 0
    start = min(t - (i + 1) * CHUNK_MS for i, (t, _) in enumerate(chunks))
    you = [i for i, e in enumerate(events) if e["type"] == "caption" and e["who"] == "you"]
    t_ends = [start + end * 1000 / SAMPLE_RATE for end in ends] + [float("inf")]
    out, drift, heard = [], [], 0
    for n, end in enumerate(ends):
        t_end = t_ends[n]
        caption = next((i for i in you if t_end < events[i]["t"] < t_ends[n + 1]), None)
        if caption is None:  # not heard as speech, or ignored
            continue
        heard += 1
        after = events[caption + 1:]
        reply = next((e["text"] for e in after if e["type"] == "caption" and e["who"] == "coach"), None)
        k = next((i for i, e in enumerate(after) if e["type"] == "speaking" and e["text"] == reply), None)
        block = next((e for e in after[k + 1:] if e["type"] == "audio"), None) if k is not None else None
        if block is not None:
            out.append(block["t"] + block["at"] - t_end)
        idx = end // CHUNK
        loud = [start + (j + 1) * CHUNK_MS for j in range(max(0, idx - 50), min(len(chunks), idx + 50))
                if chunks[j][1] > LOUD]
        if loud:
            drift.append(loud[-1] - t_end)
    return out, drift, heard


def gateway_cpu_s(pids: list[int]) -> float:
    """CPU seconds (user + system) the gateway processes have used so far."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


def browse(url: str, wav: Path, pages: int, listen_ms: int, work: Path,
           offsets_ms: list[int]) -> list[dict[str, Any]]:
    """Open ``pages`` pages, press Start on each after its offset, listen; their traces."""
    cfg = work / "cfg.json"
    cfg.write_text(json.dumps({"url": url, "wav": str(wav), "pages": pages,
                               "listen_ms": listen_ms, "offsets_ms": offsets_ms}))
    res = subprocess.run(["node", str(ROOT / "lab" / "bench" / "web_bench.mjs"), str(cfg)],
                         capture_output=True, text=True, check=True)
    return json.loads(res.stdout)["pages"]


def one_round(setup: dict[str, Any], n: int, timing: str, wav: Path, ends: list[int],
              period_ms: int, listen_ms: int, work: Path) -> dict[str, Any]:
    rng = random.Random(7 + n)
    offsets = [0] * n if timing == "same" else [rng.randrange(period_ms) for _ in range(n)]
    found, lat = 0, []
    for page in browse(setup["url"], wav, n, listen_ms + max(offsets), work, offsets):
        ms, _drift, heard = latencies(page, ends)
        lat += ms
        found += len(ends)
        if heard != len(ends):
            print(f"  a page heard {heard} utterances of {len(ends)}", flush=True)
    gw = [ms for url in setup["gateway_urls"]
          for row in requests.get(url + "status", timeout=5).json()["pages"]
          for ms in row["latency_ms"]]
    row = {"speech": setup["speech"], "gateways": len(setup["gateway_urls"]),
           "batch": setup["batch"], "timing": timing,
           "pages": n, "utterances": found, "answered": len(lat), "unanswered": found - len(lat),
           "median_ms": round(statistics.median(lat)) if lat else None,
           "p95_ms": round(percentile(lat, 0.95)) if lat else None,
           "gateway_median_ms": round(statistics.median(gw)) if gw else None}
    print(f"{row['speech']}, {row['gateways']} gateway(s), batch {row['batch']}, {timing}, {n} page(s): "
          f"{row['answered']}/{row['utterances']} answered, median {row['median_ms']} ms, "
          f"p95 {row['p95_ms']} ms (in the gateway: {row['gateway_median_ms']} ms)", flush=True)
    time.sleep(10)  # the round's sessions are freed (linger 8 s)
    return row


def silent_cpu(setup: dict[str, Any], pages: int, seconds: float, work: Path) -> dict[str, Any]:
    """The gateways' CPU per silent page, in % of one core (see the module doc)."""
    quiet = work / "quiet.wav"
    write_wav(quiet, add_noise(np.zeros(int((seconds + 15) * SAMPLE_RATE), dtype=np.int16),
                               np.random.default_rng(5), floor_db=-60.0).astype("<i2").tobytes())
    pids = setup["pids"]
    idle0 = gateway_cpu_s(pids)
    time.sleep(seconds)
    idle = gateway_cpu_s(pids) - idle0
    box: dict[str, float] = {}

    def measure() -> None:  # while the pages listen: from 3 s after they are all attached
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and sum(
                requests.get(u + "status", timeout=5).json()["attached"]
                for u in setup["gateway_urls"]) < pages:
            time.sleep(0.2)
        time.sleep(3)
        c0 = gateway_cpu_s(pids)
        time.sleep(seconds)
        box["busy"] = gateway_cpu_s(pids) - c0

    import threading

    t = threading.Thread(target=measure)
    t.start()
    browse(setup["url"], quiet, pages, int((seconds + 6) * 1000), work, [0] * pages)
    t.join()
    per_page = (box["busy"] - idle) / seconds / pages * 100
    row = {"gateways": len(pids), "batch": setup["batch"], "silent_pages": pages, "seconds": seconds,
           "idle_cpu_pct": round(idle / seconds * 100, 2),
           "cpu_per_silent_page_pct": round(per_page, 2)}
    print(f"{len(pids)} gateway(s), {pages} silent pages for {seconds:.0f} s: "
          f"{row['cpu_per_silent_page_pct']} % of a core per page "
          f"(the gateways idle: {row['idle_cpu_pct']} %)", flush=True)
    time.sleep(10)
    return row


def balancer(ports: list[int], work: Path) -> tuple[subprocess.Popen, str]:
    """HAProxy in front of the gateways on ``ports``: WebSockets to the one with the fewest."""
    port = free_port()
    servers = "".join(f"  server g{i} 127.0.0.1:{p} check\n" for i, p in enumerate(ports))
    cfg = work / "haproxy.cfg"
    cfg.write_text("defaults\n  mode http\n  timeout connect 3s\n  timeout client 1h\n"
                   "  timeout server 1h\n  timeout tunnel 1h\n"
                   f"frontend pages\n  bind 127.0.0.1:{port}\n  default_backend gateways\n"
                   f"backend gateways\n  balance leastconn\n  option httpchk GET /status\n{servers}")
    proc = subprocess.Popen(["haproxy", "-db", "-f", str(cfg)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}/"
    wait_for(url + "status", proc, cfg, timeout=30)
    return proc, url


def start_setup(servers: Servers, speech: str, cache: str, gateways: int, batch: int,
                max_pages: int, work: Path) -> dict[str, Any]:
    gws = [Gateway(servers.url, work, free_port(), linger=8,
                   extra=["--speech-cache", cache, "--max-pages", str(max_pages),
                          "--batch", str(batch)])
           for _ in range(gateways)]
    setup = {"speech": speech, "batch": batch, "gateways": gws, "gateway_urls": [g.url for g in gws],
             "pids": [g.proc.pid for g in gws if g.proc is not None], "haproxy": None}
    if gateways == 1:
        setup["url"] = gws[0].url
    else:
        setup["haproxy"], setup["url"] = balancer([g.port for g in gws], work)
    return setup


def stop_setup(setup: dict[str, Any]) -> None:
    stop_process(setup["haproxy"])
    for g in setup["gateways"]:
        g.stop()


def counts(ap: argparse.ArgumentParser, text: str, flag: str) -> list[int]:
    """Page counts from "1,2,4" ("" or "0": none); anything else stops with a clear line."""
    try:
        pages = [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        ap.error(f"{flag} takes page counts like 1,2,4; got {text!r}")
    if any(n < 0 for n in pages):
        ap.error(f"{flag}: page counts are 0 or more; got {text!r}")
    return [n for n in pages if n > 0]


def options() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", default="1,2,4,8,16", help="page counts to try, in order "
                    "(each set-up stops after the first whose median passes 1 s)")
    ap.add_argument("--utterances", type=int, default=6)
    ap.add_argument("--gap", type=float, default=5.0, help="seconds between utterances")
    ap.add_argument("--timing", choices=("same", "random", "both"), default="both")
    ap.add_argument("--setups", default="one,batched,two", help="which of: one (one gateway, "
                    "one utterance at a time), batched (one gateway, --batch together), two "
                    "(two gateways behind HAProxy, one at a time)")
    ap.add_argument("--batch", type=int, default=4, help="the batched set-up's batch size")
    ap.add_argument("--synthesised-pages", default="1",
                    help="page counts to try, first, with every sentence synthesised "
                         "(--speech-cache none), one gateway, same timing; '' or 0 skips it")
    ap.add_argument("--silent-pages", type=int, default=4, help="0 skips the silent CPU run")
    ap.add_argument("--silent-s", type=float, default=20.0)
    args = ap.parse_args()
    args.page_counts = counts(ap, args.pages, "--pages")
    args.synth_counts = counts(ap, args.synthesised_pages, "--synthesised-pages")
    return args


def main() -> int:
    args = options()
    work = Path(tempfile.mkdtemp(prefix="web-bench-"))
    wav, ends = speech_file(work / "talk.wav", args.utterances, args.gap)
    period_ms = int((args.gap + 1.2) * 1000)
    listen_ms = int((0.5 + args.utterances * (args.gap + 1.2) + 3) * 1000)
    timings = ["same", "random"] if args.timing == "both" else [args.timing]
    shapes = {"one": (1, 1), "batched": (1, args.batch), "two": (2, 1)}
    most = max(args.page_counts + args.synth_counts + [args.silent_pages])
    plan = [("synthesised", "none", 1, 1, ["same"], args.synth_counts)]
    plan += [("recorded", str(DEFAULT_DIR), *shapes[name], timings, args.page_counts)
             for name in args.setups.split(",") if name in shapes]
    servers = Servers(work / "servers", *free_ports(2), "1").start()
    rows: list[dict[str, Any]] = []
    cpu: list[dict[str, Any]] = []
    try:
        for speech, cache, gateways, batch, timing_list, pages in plan:
            if not pages:
                continue
            setup = start_setup(servers, speech, cache, gateways, batch, most, work)
            try:
                for timing in timing_list:
                    for n in pages:
                        row = one_round(setup, n, timing, wav, ends, period_ms, listen_ms, work)
                        rows.append(row)
                        if row["median_ms"] is None or row["median_ms"] > LIMIT_MS:
                            break
                if speech == "recorded" and batch == 1 and args.silent_pages:
                    cpu.append(silent_cpu(setup, args.silent_pages, args.silent_s, work))
            finally:
                stop_setup(setup)
    finally:
        servers.stop()
    summary(rows, cpu)
    (ROOT / "results").mkdir(exist_ok=True)
    (ROOT / "results" / "web_bench.json").write_text(json.dumps({"rounds": rows, "cpu": cpu},
                                                                indent=2))
    return 0


def summary(rows: list[dict[str, Any]], cpu: list[dict[str, Any]]) -> None:
    print("\nspeech       gateways batch timing  pages  answered  median   p95  (ms)")
    for r in rows:
        print(f"{r['speech']:<12} {r['gateways']:>8} {r['batch']:>5} {r['timing']:<7} {r['pages']:>5} "
              f"{r['answered']:>4}/{r['utterances']:<4} {str(r['median_ms']):>7} "
              f"{str(r['p95_ms']):>5}")
    for c in cpu:
        print(f"{c['gateways']} gateway(s): {c['cpu_per_silent_page_pct']} % of a core per silent "
              f"page ({c['silent_pages']} pages, {c['seconds']:.0f} s)")


if __name__ == "__main__":
    sys.exit(main())
