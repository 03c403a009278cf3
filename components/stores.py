"""Our SQL tracker store (SQLite for `make run`, PostgreSQL for `make cluster`), saying when its
database is down.

Rasa wraps every tracker store in its ``FailSafeTrackerStore``: when the database cannot be read it
logs that and runs the turn on an empty conversation, so the coach would answer as if the session
were new and never say it is in trouble. This store marks the turn (``STORE_DOWN``, a context
variable of the task handling the message) and logs which conversation was hit; the guarded
channels (components/channels.py) then answer with the trouble line instead (REST), or after what
was already sent (socket.io). Each turn tries the database again, so the coach picks up where it was
once the database is back: the turns of the outage were never written to it.

On SQLite (`make run`) it also keeps its connections and writes in WAL mode. Rasa's store is
synchronous code inside the server's event loop, and on an SQLite file Rasa's engine opens a new
connection for every read and every save (SQLAlchemy 1.4's ``NullPool``) and waits for the disk at
every commit (SQLite's rollback journal, ``synchronous=FULL``). Here the engine keeps a pool of
connections (``QueuePool``, as SQLAlchemy 2.0 does for SQLite files) and each connection writes in
WAL mode with ``synchronous=NORMAL``: a commit appends to the ``-wal`` file beside the database and
waits for nothing. bench/store_cost.py (a turn's read and save, interleaved): 7.3 against 10.4
ms median, 8.3 against 10.3 ms of CPU. WAL alone, with a new connection each time, was slower
(11.6 ms: closing the last connection checkpoints the log). A process that crashes loses nothing committed; a power cut or an OS crash can lose the
last turns (the database stays consistent). ``STRETCH_SQLITE_TUNED=0`` opens SQLite as Rasa does
(bench/load.py's ``sqlite-journal`` set-up).
"""

from __future__ import annotations

import logging
import os
from contextvars import ContextVar
from typing import Any, Optional, Text

import sqlalchemy as sa

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.trackers import DialogueStateTracker

logger = logging.getLogger(__name__)
STORE_DOWN: ContextVar[bool] = ContextVar("stretch_store_down", default=False)


def _wal(dbapi_connection: Any, _record: Any) -> None:
    """Every new SQLite connection: WAL journal, no wait for the disk at commit."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


class CheckedSQLTrackerStore(SQLTrackerStore):
    """``SQLTrackerStore`` (same endpoint settings) that marks the turn when the database fails,
    and on an SQLite file keeps its connections and writes in WAL mode."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        url = self.engine.url
        if (self.engine.dialect.name == "sqlite" and url.database not in (None, "", ":memory:")
                and os.environ.get("STRETCH_SQLITE_TUNED") != "0"):
            self.engine.dispose()
            self.engine = sa.create_engine(url, poolclass=sa.pool.QueuePool,
                                           connect_args={"check_same_thread": False})
            sa.event.listen(self.engine, "connect", _wal)
            self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)

    def _down(self, what: Text, sender_id: Text, error: Exception) -> None:
        STORE_DOWN.set(True)
        logger.error("The tracker store's database is unreachable: could not %s conversation %s. %s",
                     what, sender_id, str(error).strip().splitlines()[0] if str(error) else error)

    async def retrieve(self, sender_id: Text) -> Optional[DialogueStateTracker]:
        try:
            return await super().retrieve(sender_id)
        except Exception as e:
            self._down("read", sender_id, e)
            raise

    async def save(self, tracker: DialogueStateTracker) -> None:
        try:
            await super().save(tracker)
        except Exception as e:
            self._down("save", tracker.sender_id, e)
            raise
