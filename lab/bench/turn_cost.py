"""Per-turn cost against conversation length: turn 10 against turn 500, over REST and socket.io,
with timed holds running (their cues arrive as Rasa reminders during the conversation).

    .venv/bin/python -m lab.bench.turn_cost [--turns 500] [--modes rolling,one-session]

Starts the real servers (lab/harness/servers.py: SQLite tracker store, one Rasa server, one action
server) once per mode:

- ``rolling``: as shipped: past STRETCH_SESSION_EVENTS events an action starts a new Rasa session
  carrying the coach's slot, so the tracker store loads a bounded number of events per turn;
- ``one-session``: STRETCH_SESSION_EVENTS=0, one Rasa session forever (Rasa's own behaviour with
  ``session_expiration_time: 0``).

and prints the median latency of the turns around 10, 100 and the last, side by side, with the
ratio last/10. A REST turn is timed from the request to the reply; a socket.io turn from the emit to
the first bot message after it (a hold cue pushed at that moment can cut one short: medians).
Figures, never asserted (the machines are shared and noisy): tests/e2e/test_long_session.py checks
the bound on the events instead.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from itertools import cycle
from pathlib import Path

import requests

from lab.harness.servers import Servers
from stretch_chat import Chat

TIME_SCALE = "0.05"  # a 30 s hold lasts 1.5 s, so holds run and cue while the turns go on
OPENING = ["start", "let's do the seated one"]
LOOP = ["next", "how long left", "hold it longer", "repeat", "easier", "harder", "next"]
MODES = {"rolling": None, "one-session": "0"}


def script(turns: int):
    loop = cycle(LOOP)
    for i in range(turns):
        yield OPENING[i] if i < len(OPENING) else next(loop)


def rest_turns(servers: Servers, turns: int, sender: str = "") -> list:
    """The latency (s) of each of ``turns`` REST turns of one conversation (lab/bench/load.py uses it too:
    ``servers`` needs only a ``url``)."""
    sender, times = sender or f"bench-rest-{time.time_ns()}", []
    with requests.Session() as http:
        for text in script(turns):
            t0 = time.perf_counter()
            r = http.post(f"{servers.url}/webhooks/rest/webhook",
                          json={"sender": sender, "message": text}, timeout=60)
            times.append(time.perf_counter() - t0)
            r.raise_for_status()
    return times


def socketio_turns(servers: Servers, turns: int) -> list:
    got = threading.Event()
    chat = Chat(servers.url, f"bench-sio-{time.time_ns()}", on_text=lambda _text: got.set())
    chat.connect()
    times = []
    try:
        for text in script(turns):
            time.sleep(0.05)      # let a reply's later sentences and any pushed cue arrive first
            got.clear()
            t0 = time.perf_counter()
            chat.send(text)
            if not got.wait(60):
                raise RuntimeError(f"no reply to {text!r}")
            times.append(time.perf_counter() - t0)
    finally:
        chat.close()
    return times


def around(times: list, turn: int, half: int = 5) -> float:
    """Median ms of the turns around `turn` (1-based), within the run."""
    lo = max(0, min(turn - half, len(times) - 2 * half))
    return statistics.median(times[lo:lo + 2 * half]) * 1000


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--turns", type=int, default=500)
    ap.add_argument("--modes", default="rolling,one-session")
    args = ap.parse_args()
    marks = [t for t in (10, 100, args.turns) if t <= args.turns]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for mode in args.modes.split(","):
            servers = Servers(Path(tmp) / mode, 5120, 5170, TIME_SCALE)
            if MODES[mode] is not None:
                servers.env["STRETCH_SESSION_EVENTS"] = MODES[mode]
            with servers:
                for channel, run in (("REST", rest_turns), ("socket.io", socketio_turns)):
                    times = run(servers, args.turns)
                    rows.append((mode, channel, [around(times, t) for t in marks]))
                    print(f"  {mode:12} {channel:10} done", file=sys.stderr, flush=True)
    head = "".join(f"{'turn ' + str(t):>11}" for t in marks)
    print(f"\nmedian ms per turn (turns around each mark), {args.turns} turns, holds running")
    print(f"{'mode':12} {'channel':10}{head}{'last/10':>10}")
    for mode, channel, ms in rows:
        cells = "".join(f"{m:11.1f}" for m in ms)
        print(f"{mode:12} {channel:10}{cells}{ms[-1] / ms[0]:10.2f}")
    print(f"\nSTRETCH_SESSION_EVENTS (rolling) = {os.environ.get('STRETCH_SESSION_EVENTS', 'default')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
