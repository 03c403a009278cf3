"""Our SQL tracker store on SQLite (components/stores.py): WAL mode with synchronous=NORMAL on
every connection it opens (commits don't wait for the disk), SQLite's default with
STRETCH_SQLITE_TUNED=0, and conversations saved and read back either way."""

from __future__ import annotations

import asyncio
import sqlite3

from components.stores import CheckedSQLTrackerStore


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


def test_sqlite_store_writes_in_wal_mode_without_waiting_for_the_disk(tmp_path, monkeypatch):
    monkeypatch.delenv("STRETCH_SQLITE_TUNED", raising=False)
    db = tmp_path / "tracker.db"
    store = CheckedSQLTrackerStore(dialect="sqlite", db=str(db))
    assert _pragmas(store) == ("wal", 1)            # 1 = NORMAL
    assert type(store.engine.pool).__name__ == "QueuePool"  # connections kept
    assert _round_trip(store) == ["UserUttered", "BotUttered"]
    assert (tmp_path / "tracker.db-wal").exists()   # the write went to the log
    with sqlite3.connect(db) as other:              # another reader sees it committed
        assert other.execute("SELECT COUNT(*) FROM events").fetchone() == (2,)


def test_sqlite_store_is_opened_as_rasa_does_when_turned_off(tmp_path, monkeypatch):
    monkeypatch.setenv("STRETCH_SQLITE_TUNED", "0")
    store = CheckedSQLTrackerStore(dialect="sqlite", db=str(tmp_path / "tracker.db"))
    assert _pragmas(store) == ("delete", 2)         # rollback journal, FULL
    assert type(store.engine.pool).__name__ == "NullPool"  # a new connection each time
    assert _round_trip(store) == ["UserUttered", "BotUttered"]
    assert not (tmp_path / "tracker.db-wal").exists()
