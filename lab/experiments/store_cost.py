"""The tracker store's share of a turn on SQLite: Rasa's ``SQLTrackerStore`` as Rasa opens an
SQLite file (a new connection per read and per save, rollback journal) against ours
(components/stores.py: kept connections, WAL, ``synchronous=NORMAL``, plain SQL statements for
reading, counting and writing the events), and parts of ours alone, interleaved turn by turn in
one run.

    .venv/bin/python -m lab.experiments.store_cost [--turns 120] [--conversations 12]

A turn here is what the Rasa server does with the store in one REST turn: read the conversation,
add the user's message, an action, the bot's answer and ``action_listen``, save it. Each way has
its own database file in a temp dir; the conversations grow to ``4 * turns / conversations``
events. Prints wall time per turn (median, p95) and this process's CPU time per turn. Figures,
never asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path



def open_store(way: str, path: str) -> object:
    """The store for ``way``: ours with its SQLite tuning and plain SQL each on or off (as Rasa:
    lab/bench/as_shipped.py), and the WAL-only and kept-connections-only variants of Rasa's."""
    import sqlalchemy as sa

    from components.stores import CheckedSQLTrackerStore, _wal

    store_class = type("Store", (CheckedSQLTrackerStore,), {
        "TUNE_SQLITE": way.startswith("ours"), "PLAIN_SQL": way in ("ours", "plain SQL only")})
    store = store_class(dialect="sqlite", db=path)
    if way == "WAL only":  # a new connection each time, as Rasa, in WAL mode
        sa.event.listen(store.engine, "connect", _wal)
    elif way == "kept connections only":  # Rasa's journal
        store.keep_connections(wal=False)
    return store


async def turn(store: object, sender: str) -> None:
    from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    tracker = await store.retrieve(sender) or DialogueStateTracker(sender, [])
    tracker.update(UserUttered("next", {"name": "next_step", "confidence": 1.0}))
    tracker.update(ActionExecuted("action_next_step"))
    tracker.update(BotUttered("Next: hold it for thirty seconds."))
    tracker.update(ActionExecuted("action_listen"))
    await store.save(tracker)


async def measure(stores: dict, turns: int, conversations: int) -> dict:
    wall: dict = {k: [] for k in stores}
    cpu = dict.fromkeys(stores, 0.0)
    warm = 2 * conversations
    for i in range(turns + warm):
        order = list(stores) if i % 2 else list(reversed(stores))
        for way in order:
            c0, t0 = time.process_time(), time.perf_counter()
            await turn(stores[way], f"c{i % conversations}")
            t1, c1 = time.perf_counter(), time.process_time()
            if i >= warm:
                wall[way].append((t1 - t0) * 1000)
                cpu[way] += (c1 - c0) * 1000 / turns
    return {k: (sorted(wall[k]), cpu[k]) for k in stores}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--turns", type=int, default=120)
    ap.add_argument("--conversations", type=int, default=12)
    args = ap.parse_args()
    ways = ["Rasa", "WAL only", "kept connections only", "plain SQL only",
            "ours, Rasa's queries", "ours"]
    with tempfile.TemporaryDirectory() as tmp:
        stores = {w: open_store(w, str(Path(tmp) / f"{i}.db")) for i, w in enumerate(ways)}
        results = asyncio.run(measure(stores, args.turns, args.conversations))
    print(f"{args.turns} turns each, interleaved, over {args.conversations} conversations; "
          f"ms per turn")
    print(f"{'':24s} {'wall p50':>9s} {'wall p95':>9s} {'CPU':>7s}")
    for way, (wall, cpu) in results.items():
        print(f"{way:24s} {statistics.median(wall):9.2f} {wall[int(0.95 * len(wall))]:9.2f} "
              f"{cpu:7.2f}")


if __name__ == "__main__":
    main()
