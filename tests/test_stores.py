"""Our SQL tracker store (components/stores.py): on an SQLite file, kept connections in WAL mode
with synchronous=NORMAL (commits don't wait for the disk), SQLite as Rasa opens it with the tuning
off, conversations saved and read back either way; the plain SQL reading, counting and writing
exactly what Rasa's store does; and the Rasa code it re-implements unchanged since it was written."""

from __future__ import annotations

import asyncio
import json
import sqlite3

import pytest
import rasa

from components import rasa_patches
from components.stores import RASA_CODE, CheckedSQLTrackerStore
from lab.bench.as_shipped import RasaSQLTrackerStore


def _store(db: str, tune_sqlite: bool = True, plain_sql: bool = True) -> CheckedSQLTrackerStore:
    """Our store on ``db``, with its SQLite tuning and plain SQL on or off (as the lab turns them
    off: lab/bench/as_shipped.py)."""
    cls = type("Store", (CheckedSQLTrackerStore,),
               {"TUNE_SQLITE": tune_sqlite, "PLAIN_SQL": plain_sql})
    return cls(dialect="sqlite", db=db)


def test_the_rasa_code_the_store_relies_on_is_as_recorded():
    assert rasa.__version__ == "3.6.21"
    changed = {d: rasa_patches.fingerprint(d) for d in RASA_CODE
               if rasa_patches.fingerprint(d) != RASA_CODE[d]}
    assert changed == {}, "Rasa's store changed: check components/stores.py against it"


def _pragmas(store: CheckedSQLTrackerStore) -> tuple[str, int]:
    with store.engine.connect() as conn:
        mode = conn.exec_driver_sql("PRAGMA journal_mode").scalar()
        sync = conn.exec_driver_sql("PRAGMA synchronous").scalar()
    return mode, sync


def _round_trip(store: CheckedSQLTrackerStore) -> list[str]:
    from rasa.shared.core.events import BotUttered, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    tracker = DialogueStateTracker.from_events(
        "t-1", [UserUttered("start", {"name": "start_session", "confidence": 1.0}),
                BotUttered("Let's warm up first.")])

    async def go() -> list[str]:
        await store.save(tracker)
        again = await store.retrieve("t-1")
        return [type(e).__name__ for e in again.events]

    return asyncio.run(go())


def test_sqlite_store_writes_in_wal_mode_without_waiting_for_the_disk(tmp_path):
    db = tmp_path / "tracker.db"
    store = CheckedSQLTrackerStore(dialect="sqlite", db=str(db))
    assert _pragmas(store) == ("wal", 1)            # 1 = NORMAL
    assert type(store.engine.pool).__name__ == "QueuePool"  # connections kept
    assert _round_trip(store) == ["UserUttered", "BotUttered"]
    assert (tmp_path / "tracker.db-wal").exists()   # the write went to the log
    with sqlite3.connect(db) as other:              # another reader sees it committed
        assert other.execute("SELECT COUNT(*) FROM events").fetchone() == (2,)


def test_sqlite_store_is_opened_as_rasa_does_when_turned_off(tmp_path):
    store = RasaSQLTrackerStore(dialect="sqlite", db=str(tmp_path / "tracker.db"))  # the lab's
    assert _pragmas(store) == ("delete", 2)         # rollback journal, FULL
    assert type(store.engine.pool).__name__ == "NullPool"  # a new connection each time
    assert _round_trip(store) == ["UserUttered", "BotUttered"]
    assert not (tmp_path / "tracker.db-wal").exists()


class _NoOrmRows:
    """``SQLEvent`` for the store under test: its table and columns, but making a row object
    (what Rasa's save does per event) fails."""

    def __init__(self, cls: type) -> None:
        self._cls = cls

    def __getattr__(self, name: str) -> object:
        return getattr(self._cls, name)

    def __call__(self, *args: object, **kwargs: object) -> None:
        pytest.fail("an ORM row was made")


def _sessions(store: CheckedSQLTrackerStore) -> tuple[list[str], list[str], list[tuple]]:
    """Two Rasa sessions of one conversation, saved turn by turn as Rasa does (read, add, save):
    what ``retrieve`` (the latest session) and ``retrieve_full_tracker`` give back, and how many
    rows were stored (every column)."""
    from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    turns = [[ActionExecuted("action_session_start"), SessionStarted(),
              ActionExecuted("action_listen")],
             [UserUttered("start", {"name": "start_session", "confidence": 1.0}),
              ActionExecuted("action_start_session"), BotUttered("one"),
              ActionExecuted("action_listen")],
             [UserUttered("next"), BotUttered("two"), ActionExecuted("action_listen")],
             [ActionExecuted("action_session_start"), SessionStarted(),
              ActionExecuted("action_listen")],
             [UserUttered("again"), BotUttered("three"), ActionExecuted("action_listen")]]

    async def go() -> tuple[list[str], list[str], list[tuple]]:
        for events in turns:
            tracker = await store.retrieve("t-2") or DialogueStateTracker("t-2", [])
            for event in events:
                tracker.update(event)
            await store.save(tracker)
        latest = await store.retrieve("t-2")
        full = await store.retrieve_full_tracker("t-2")
        table = type(store).SQLEvent
        with store.session_scope() as session:
            rows = [(r.sender_id, r.type_name, r.timestamp, r.intent_name, r.action_name, r.data)
                    for r in session.query(table).order_by(table.id)]
        return ([getattr(e, "text", None) or e.type_name for e in latest.events],
                [getattr(e, "text", None) or e.type_name for e in full.events], rows)

    return asyncio.run(go())


def test_plain_sql_reads_counts_and_writes_the_events_as_rasas_store_does(tmp_path):
    got = {}
    for plain in ("1", "0"):
        store = _store(str(tmp_path / f"{plain}.db"), plain_sql=plain == "1")
        if plain == "1":  # the plain statements alone: Rasa's ORM query and rows are never made
            store._event_query = lambda *a, **k: pytest.fail("Rasa's _event_query was used")
            store.SQLEvent = _NoOrmRows(store.SQLEvent)
        got[plain] = _sessions(store)
    latest, full, rows = got["1"]
    assert latest == ["session_started", "action", "again", "three", "action"]
    assert full[:4] == ["action", "session_started", "action", "start"] and len(full) == 16
    assert len(rows) == 16                         # every event stored once
    assert ("t-2", "user", rows[3][2], "start_session", None) == rows[3][:5]
    assert ("t-2", "action", rows[4][2], None, "action_start_session") == rows[4][:5]
    assert _untimed(got["1"]) == _untimed(got["0"])  # exactly what Rasa's own store gives


def _untimed(result: tuple) -> tuple:
    """``_sessions``' result without the times (each run makes its events anew)."""
    latest, full, rows = result
    rows = [(*r[:2], *r[3:5], {k: v for k, v in json.loads(r[5]).items() if k != "timestamp"})
            for r in rows]
    return latest, full, rows
