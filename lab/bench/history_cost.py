"""Cost of a turn with no stored history against 1,000 stored sessions (docs/history.md).

    .venv/bin/python -m lab.bench.history_cost [--sessions 1000] [--turns 60] [--rounds 3]

Starts the real servers (lab/harness/servers.py: SQLite, one Rasa server, one action server) once.
Two devices talk to them over REST, each a named pair: one whose person has no session stored, one
whose person has ``--sessions`` sessions written beforehand straight into the history tables (two
sides and a pain report each). Each conversation's first turn reads the pair's history (the
device's pair, the last session, the plans); the turns after it read none, and pain reports and
finished passes write. Prints the first turn and the median and 90th percentile of the other
turns, side by side, with the ratio. Figures, never asserted.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import secrets
import statistics
import sys
import tempfile
import time
from itertools import cycle
from pathlib import Path

import requests

from components.history_store import HistoryStore
from lab.harness.servers import Servers, free_ports
from stretch_coach.history import PainReport, SessionRecord, SideDone

TIME_SCALE = "0.05"
LOOP = ["next", "how long left", "repeat", "easier", "harder", "next", "ouch", "2", "resume",
        "switch legs", "next", "next"]


def fill(db: HistoryStore, secret: str, sessions: int) -> None:
    """``sessions`` stored sessions of one person (Alex) on the device of ``secret``."""
    device = hashlib.sha256(secret.encode()).hexdigest()
    alex, sam = db.person(device, "Alex"), db.person(device, "Sam")
    db.remember_pair(device, alex, sam)
    start = dt.datetime(2020, 1, 1, 18)
    for n in range(sessions):
        at = start + dt.timedelta(days=2 * n)
        db.save(alex, f"old-{n}", SessionRecord(
            started=at, ended=at + dt.timedelta(minutes=20), end="stopped", partner="Sam",
            sides=(SideDone("seated_single_leg", "right", 2, 60, 1),
                   SideDone("seated_single_leg", "left", 2, 60, 0)),
            pains=(PainReport(at, 2, False, "seated_single_leg", "left", 3, "gentler"),)))


def conversation(url: str, secret: str, turns: int) -> tuple[float, list[float]]:
    """The first turn's latency and the others', in seconds."""
    sender, times = f"bench-history-{time.time_ns()}", []
    script = ["I'm Alex, Sam is helping", "start", "the seated one"]
    loop = cycle(LOOP)
    with requests.Session() as http:
        for i in range(turns):
            text = script[i] if i < len(script) else next(loop)
            t0 = time.perf_counter()
            r = http.post(f"{url}/webhooks/rest/webhook", timeout=60, json={
                "sender": sender, "message": text, "metadata": {"device": secret}})
            times.append(time.perf_counter() - t0)
            r.raise_for_status()
    return times[0], times[1:]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sessions", type=int, default=1000)
    ap.add_argument("--turns", type=int, default=60)
    ap.add_argument("--rounds", type=int, default=3, help="conversations per device, alternating")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        servers = Servers(Path(tmp), *free_ports(2), TIME_SCALE)
        empty, full = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        t0 = time.perf_counter()
        fill(HistoryStore(servers.env["STRETCH_HISTORY_URL"]), full, args.sessions)
        print(f"stored {args.sessions} sessions in {time.perf_counter() - t0:.1f} s", flush=True)
        results: dict[str, tuple[list, list]] = {"none": ([], []), "full": ([], [])}
        with servers:
            for _ in range(args.rounds):
                for key, secret in (("none", empty), ("full", full)):
                    first, rest = conversation(servers.url, secret, args.turns)
                    results[key][0].append(first)
                    results[key][1].extend(rest)
    report(results, args.sessions)
    return 0


def report(results: dict, sessions: int) -> None:
    def ms(values: list, q: float) -> float:
        values = sorted(values)
        return 1000 * values[min(len(values) - 1, int(q * len(values)))]

    rows = [("first turn (median)", lambda v: ms(v[0], 0.5)),
            ("other turns, median", lambda v: ms(v[1], 0.5)),
            ("other turns, p90", lambda v: ms(v[1], 0.9)),
            ("other turns, mean", lambda v: 1000 * statistics.mean(v[1]))]
    print(f"\n{'ms per turn':24} {'0 sessions':>12} {f'{sessions} sessions':>15} {'ratio':>7}")
    for label, pick in rows:
        a, b = pick(results["none"]), pick(results["full"])
        print(f"{label:24} {a:12.1f} {b:15.1f} {b / a:7.2f}")
    print(f"turns: {len(results['none'][1])} and {len(results['full'][1])} (first turns apart)")


if __name__ == "__main__":
    sys.exit(main())
