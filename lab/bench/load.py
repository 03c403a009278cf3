"""Load: our bot against Rasa's stock `rasa init` bot, side by side in one run, over REST.

    .venv/bin/python -m lab.bench.load
        [--setups stock,sqlite-rasa,sqlite-rasa-store,sqlite-newconn,sqlite,pg,pg-w2,cluster]
        [--users 100] [--rates 10,20] [--senders 20] [--seconds 12] [--length 500]
        [--stock-length 100]

For each set-up (lab/bench/load_setups.py: the stock bot; ours on SQLite as shipped, and without the
cached validator and event types of components/ (Rasa as shipped) for comparison; on PostgreSQL;
on PostgreSQL with SANIC_WORKERS=2 and the Redis lock store; the two-server cluster of
scripts/cluster.sh), one after the other on the same machine:

- **people-paced** (open loop): ``--users`` conversations offering ``--rates`` turns/s in all, each
  person speaking at their own fixed times (no one speaks again before their last reply); latency
  is from the moment a turn was due, so a server that falls behind is charged for the wait;
- **closed loop**: ``--senders`` conversations, each sending its next turn as soon as it has the
  reply: turns/s and latency;
- **conversation length**: lab/bench/turn_cost.py's own ``rest_turns`` (one conversation, ``--length``
  turns, ``--stock-length`` for the stock bot; median of the turns around 10, 100 and the last);
  0 skips it.

Our people follow a coaching session (lab/bench/turn_cost.py's script: "start", "let's do the seated
one", then "next", "how long left", "hold it longer", ... with holds running in real time); the stock
bot's people greet, tell their mood and say goodbye. An error is a failed request, a status other
than 200, an empty answer or one of the coach's fault lines (utter_fault_*: a failed or timed-out
action, a store down). Prints a table (ratios against the stock bot and against the first of our
set-ups) and writes results/load.json. Figures for a shared 2-core machine, where the load
generator runs too: compare within one run, never across runs.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from itertools import cycle
from pathlib import Path
from types import SimpleNamespace

import aiohttp
import yaml

from lab.bench import turn_cost
from lab.bench.load_setups import SETUPS, check_stores, make_stock_bot
from lab.harness.servers import ROOT
from lab.stats import percentile

# The coach's fault lines (the action server failed or took over STRETCH_ACTION_TIMEOUT, a store is
# down): under load, any of them is an error.
FAULT_LINES = {v["text"] for name, variants in yaml.safe_load((ROOT / "domain.yml").read_text())[
    "responses"].items() if name.startswith("utter_fault_") for v in variants}
STOCK_SCRIPT = ["hello", "I am sad", "yes", "great", "are you a bot?", "goodbye"]
RESULTS = Path(__file__).resolve().parents[2] / "results" / "load.json"


class Person:
    """One conversation: its sender id and the next things it will say."""

    def __init__(self, sender: str, bot: str) -> None:
        self.sender = sender
        self.lines = turn_cost.script(10**9) if bot == "ours" else cycle(STOCK_SCRIPT)


async def turn(http: aiohttp.ClientSession, url: str, person: Person, stats: dict) -> float:
    """Say the person's next line; record an error if it failed. Returns when the reply came."""
    text = next(person.lines)
    try:
        async with http.post(f"{url}/webhooks/rest/webhook",
                             json={"sender": person.sender, "message": text}) as r:
            body = await r.json(content_type=None) if r.status == 200 else None
        texts = [m.get("text", "") for m in body or []]
        if r.status != 200:
            stats["errors"][f"HTTP {r.status}"] = stats["errors"].get(f"HTTP {r.status}", 0) + 1
        elif not texts:
            stats["errors"]["silent"] = stats["errors"].get("silent", 0) + 1
        elif FAULT_LINES & set(texts):
            stats["errors"]["fault line"] = stats["errors"].get("fault line", 0) + 1
    except (aiohttp.ClientError, asyncio.TimeoutError) as e:
        name = type(e).__name__
        stats["errors"][name] = stats["errors"].get(name, 0) + 1
    return time.perf_counter()


async def people_paced(url: str, people: list, rate: float, seconds: float) -> dict:
    """Open loop: person i is due at (i / n + k) * n / rate for k = 0, 1, ..."""
    stats: dict = {"latencies": [], "errors": {}}
    period = len(people) / rate
    t0 = time.perf_counter() + 0.5

    async def speak(person: Person, offset: float, http: aiohttp.ClientSession) -> None:
        k = 0
        while (due := offset + k * period) < seconds:
            await asyncio.sleep(max(0.0, t0 + due - time.perf_counter()))
            done = await turn(http, url, person, stats)
            stats["latencies"].append(done - (t0 + due))
            k += 1

    async with session(len(people)) as http:
        await asyncio.gather(*(speak(p, i * period / len(people), http)
                               for i, p in enumerate(people)))
    stats["offered"] = rate
    return stats


async def closed_loop(url: str, people: list, seconds: float) -> dict:
    stats: dict = {"latencies": [], "errors": {}}
    t0 = time.perf_counter()

    async def send(person: Person, http: aiohttp.ClientSession) -> None:
        while time.perf_counter() - t0 < seconds:
            start = time.perf_counter()
            stats["latencies"].append(await turn(http, url, person, stats) - start)

    async with session(len(people)) as http:
        await asyncio.gather(*(send(p, http) for p in people))
    stats["turns_per_s"] = len(stats["latencies"]) / (time.perf_counter() - t0)
    return stats


def session(connections: int) -> aiohttp.ClientSession:
    return aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60),
                                 connector=aiohttp.TCPConnector(limit=connections))


async def warm_up(url: str, people: list) -> None:
    """Each conversation says its first line (not measured), a few at a time."""
    stats: dict = {"latencies": [], "errors": {}}
    async with session(8) as http:
        for i in range(0, len(people), 8):
            await asyncio.gather(*(turn(http, url, p, stats) for p in people[i:i + 8]))


def summary(stats: dict) -> dict:
    lat = [s * 1000 for s in stats["latencies"]]
    out = {"turns": len(lat), "p50": percentile(lat, 0.5), "p95": percentile(lat, 0.95),
           "p99": percentile(lat, 0.99),
           "errors": sum(stats["errors"].values()), "error_kinds": stats["errors"]}
    for key in ("turns_per_s", "offered"):
        if key in stats:
            out[key] = stats[key]
    return out


def run_setup(name: str, url: str, bot: str, args, prefix: str) -> dict:
    people = [Person(f"{prefix}{name}-{i}", bot) for i in range(max(args.users, args.senders))]
    asyncio.run(warm_up(url, people[:args.users]))
    result: dict = {}
    for rate in args.rates:
        result[f"paced {rate:g}/s"] = summary(asyncio.run(
            people_paced(url, people[:args.users], rate, args.seconds)))
        print(f"  {name}: paced {rate:g}/s {fmt(result[f'paced {rate:g}/s'])}", file=sys.stderr)
    result["closed"] = summary(asyncio.run(closed_loop(url, people[:args.senders], args.seconds)))
    print(f"  {name}: closed {fmt(result['closed'])}", file=sys.stderr)
    length = min(args.length, args.stock_length) if bot == "stock" else args.length
    if length:
        times = turn_cost.rest_turns(SimpleNamespace(url=url), length,
                                     sender=f"{prefix}{name}-length")
        marks = [t for t in (10, 100, length) if t <= length]
        result["length"] = {str(t): turn_cost.around(times, t) for t in marks}
    return result


def fmt(s: dict) -> str:
    rate = f"{s['turns_per_s']:6.1f}/s " if "turns_per_s" in s else ""
    return f"{rate}{s['p50']:6.0f} {s['p95']:6.0f} {s['p99']:6.0f} ms  err {s['errors']}"


def report(results: dict, args) -> None:
    names = list(results)
    phases = [f"paced {r:g}/s" for r in args.rates] + ["closed"]
    print(f"\nREST turns; {args.users} people paced at {', '.join(f'{r:g}' for r in args.rates)} "
          f"turns/s; {args.senders} closed-loop senders; {args.seconds:g} s each; ms")
    for phase in phases:
        print(f"\n{phase:18}" + ("  turns/s" if phase == "closed" else "")
              + "     p50     p95     p99  errors   turns")
        for n in names:
            s = results[n]["phases"][phase]
            tput = f"{s['turns_per_s']:9.1f}" if phase == "closed" else ""
            print(f"{n:18}{tput}{s['p50']:8.0f}{s['p95']:8.0f}{s['p99']:8.0f}{s['errors']:8d}"
                  f"{s['turns']:8d}")
    base = "stock" if "stock" in results else None
    ours = [n for n in names if n != "stock"]
    for ref in filter(None, (base, ours[0] if ours else None)):
        print(f"\nratios against {ref} (p95: lower is better; turns/s: higher is better)")
        for n in (m for m in names if m != ref):
            cells = []
            for phase in phases:
                a, b = results[n]["phases"][phase], results[ref]["phases"][phase]
                cells.append(f"{phase} p95 x{a['p95'] / b['p95']:.2f}")
            a, b = results[n]["phases"]["closed"], results[ref]["phases"]["closed"]
            cells.append(f"turns/s x{a['turns_per_s'] / b['turns_per_s']:.2f}")
            print(f"  {n:16} " + ", ".join(cells))
    if any("length" in r["phases"] for r in results.values()):
        print("\nconversation length (lab/bench/turn_cost.py rest_turns: median ms around each turn)")
        for n in names:
            length = results[n]["phases"].get("length")
            if length:
                cells = "  ".join(f"turn {t}: {ms:6.1f}" for t, ms in length.items())
                last, first = list(length.values())[-1], list(length.values())[0]
                print(f"  {n:16} {cells}   last/10 {last / first:.2f}")


def patch_costs(calls: int = 200) -> dict:
    """ms per call, Rasa's own against our cached one: validating one of our action responses
    (components/action_calls.py, Rasa issue #11717) and turning 100 stored events back into
    events (components/event_types.py)."""
    from rasa.core.actions.action import RemoteAction

    from components import action_calls, event_types

    action = RemoteAction("action_next_step", None)
    response = {"events": [
        {"event": "slot", "name": "coach", "value": {"phase": "active", "step": 2}, "timestamp": None},
        {"event": "reminder", "intent": "EXTERNAL_hold_cue", "date_time": "2026-01-01T00:00:00",
         "name": "hold", "kill_on_user_message": False}],
        "responses": [{"response": "utter_hold", "seconds": 30}]}
    stored = [{"event": e} for e in ("user", "action", "bot", "slot", "action", "user_featurization",
                                     "action", "reminder", "action", "bot")] * 10

    def events(resolve):
        for e in stored:
            resolve(e["event"])

    cases = {"validate one action response": (lambda: action_calls.RASA_VALIDATE(action, response),
                                              lambda: action_calls.validate_action_result(action, response)),
             "look up 100 event types": (lambda: events(event_types.RASA_RESOLVE),
                                         lambda: events(event_types.resolve_by_type))}
    cost = {}
    for case, fns in cases.items():
        cost[case] = []
        for fn in fns:
            t0 = time.perf_counter()
            for _ in range(calls):
                fn()
            cost[case].append((time.perf_counter() - t0) / calls * 1000)
    return cost


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--setups", default=",".join(SETUPS))
    ap.add_argument("--users", type=int, default=100)
    ap.add_argument("--rates", default="10,20")
    ap.add_argument("--senders", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=12)
    ap.add_argument("--length", type=int, default=500)
    ap.add_argument("--stock-length", type=int, default=100,
                    help="conversation length for the stock bot: its turns grow with the "
                         "conversation (2.8 s at turn 500, one run), so 500 turns take minutes")
    ap.add_argument("--stock-dir", help="reuse a stock bot made by an earlier run (its folder)")
    args = ap.parse_args()
    args.rates = [float(r) for r in args.rates.split(",")]
    setups = args.setups.split(",")
    unknown = set(setups) - set(SETUPS)
    if unknown:
        ap.error(f"unknown set-ups {sorted(unknown)}; known: {', '.join(SETUPS)}")
    why = check_stores() if any(s.startswith(("pg", "cluster")) for s in setups) else ""
    if why:
        print(f"PostgreSQL or Redis unreachable, skipping their set-ups: {why}", file=sys.stderr)
        setups = [s for s in setups if not s.startswith(("pg", "cluster"))]
    prefix = f"load-{time.time_ns():x}-"
    results: dict = {}
    failed: dict = {}
    with tempfile.TemporaryDirectory(prefix="stretch-load-") as tmp:
        bot = None
        if "stock" in setups:
            if args.stock_dir:
                bot = Path(args.stock_dir)
            else:
                print("making the stock bot (rasa init --no-prompt) ...", file=sys.stderr)
                bot = make_stock_bot(Path(tmp) / "stock-bot")
        for name in setups:
            kind, start, kwargs, what = SETUPS[name]
            workdir = Path(tmp) / name
            workdir.mkdir()
            print(f"{name}: {what}", file=sys.stderr, flush=True)
            try:
                with start(workdir=workdir, bot=bot, prefix=prefix, **kwargs) as url:
                    results[name] = {"what": what,
                                     "phases": run_setup(name, url, kind, args, prefix)}
            except Exception as e:  # noqa: BLE001 - report it, go on with the other set-ups
                failed[name] = f"{type(e).__name__}: {e}"[:2000]
                print(f"{name} FAILED: {failed[name]}", file=sys.stderr, flush=True)
    report(results, args)
    for name, why in failed.items():
        print(f"\n{name}: FAILED, not measured: {why.splitlines()[0]}")
    cost = patch_costs()
    print("\nper call, Rasa's own against the cached one (components/action_calls.py, event_types.py)")
    for case, (rasa, cached) in cost.items():
        print(f"  {case:30} Rasa {rasa:7.2f} ms   cached {cached:6.2f} ms   x{rasa / cached:.0f}")
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps({"args": {k: v for k, v in vars(args).items()},
                                   "results": results, "failed": failed, "patch_ms": cost}, indent=1))
    print(f"\n{RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
