"""Our SQL tracker store (SQLite for `make run`, PostgreSQL for `make cluster`): Rasa's
``SQLTrackerStore`` that says when its database is down, reads, counts and writes a
conversation's events with plain SQL, and on SQLite keeps its connections and writes in WAL mode.

Rasa wraps every tracker store in its ``FailSafeTrackerStore``: when the database cannot be read it
logs that and runs the turn on an empty conversation, so the coach would answer as if the session
were new and never say it is in trouble. This store marks the turn (``STORE_DOWN``, a context
variable of the task handling the message) and logs which conversation was hit; the guarded
channels (components/channels.py) then answer with the trouble line instead (REST), or after what
was already sent (socket.io). Each turn tries the database again, so the coach picks up where it was
once the database is back: the turns of the outage were never written to it.

On an SQLite file (`make run`) it keeps its connections and writes in WAL mode. Rasa's store is
synchronous code inside the server's event loop, and on an SQLite file Rasa's engine opens a new
connection for every read and every save (SQLAlchemy 1.4's ``NullPool``) and waits for the disk at
every commit (SQLite's rollback journal, ``synchronous=FULL``). Here the engine keeps a pool of
connections (``QueuePool``, as SQLAlchemy 2.0 does for SQLite files) and each connection writes in
WAL mode with ``synchronous=NORMAL``: a commit appends to the ``-wal`` file beside the database and
waits for nothing. A process that crashes loses nothing committed; a power cut or an OS crash can
lose the last turns (the database stays consistent).

Rasa builds an ORM query for every read of a conversation and for every count of its stored events
(before each save), and an ORM object for every event it saves. Here the two queries are three
plain SQL statements, made once, returning the events' JSON and the count directly, and the new
events go in with one plain INSERT (the same columns). tests/test_stores.py checks that they read
and store what Rasa's store does, over two Rasa sessions; docs/load.md has the profiles and the
measured cost of each change (lab/experiments/store_cost.py).

A confirmed "forget me" (docs/history.md) sets the ``forget`` slot to the conversations that hold
that person's sessions: saving that turn deletes every stored event of them, and this conversation
keeps only what the turn did after the person's "yes" (the slot event itself is never stored).

Both changes are on in the product; the lab's "Rasa as shipped" set-ups turn them off in a
subclass (``TUNE_SQLITE``, ``PLAIN_SQL``: lab/bench/as_shipped.py) to measure them.
"""

from __future__ import annotations

import itertools
import json
import logging
from contextvars import ContextVar
from typing import Any, Iterator, Optional, Text

import sqlalchemy as sa

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY

from stretch_coach import contract as C

logger = logging.getLogger(__name__)
STORE_DOWN: ContextVar[bool] = ContextVar("stretch_store_down", default=False)
# The Rasa code this store re-implements or relies on (Rasa's query, its retrieve and save paths,
# the fail-safe wrapper), with a fingerprint of its source in Rasa 3.6.21
# (components/rasa_patches.fingerprint): tests/test_stores.py fails when an upgrade changes it.
RASA_CODE = {
    "rasa.core.tracker_store.SQLTrackerStore.__init__": "64e704d159dfa35b",
    "rasa.core.tracker_store.SQLTrackerStore.retrieve": "0d99846daced97d3",
    "rasa.core.tracker_store.SQLTrackerStore.retrieve_full_tracker": "22234b03f47fbdd3",
    "rasa.core.tracker_store.SQLTrackerStore._retrieve": "c8adbf6f4b61ddd1",
    "rasa.core.tracker_store.SQLTrackerStore._event_query": "cd44f7901b860bfd",
    "rasa.core.tracker_store.SQLTrackerStore._additional_events": "d22f99eb863acb07",
    "rasa.core.tracker_store.SQLTrackerStore.save": "57165e46eab3de08",
    "rasa.core.tracker_store.FailSafeTrackerStore.retrieve": "35d77318b0cc7977",
    "rasa.core.tracker_store.FailSafeTrackerStore.save": "8426dc08f58d7110",
}


def _wal(dbapi_connection: Any, _record: Any) -> None:
    """Every new SQLite connection: WAL journal, no wait for the disk at commit."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


# Rasa's own event query (SQLTrackerStore._event_query: the events since the latest session start,
# or all of them when there is none, in id order) as one plain SQL statement.
_SINCE_SESSION_START = (
    "(e.timestamp >= (SELECT max(s.timestamp) FROM {t} s WHERE s.sender_id = :sender"
    " AND s.type_name = :started) OR (SELECT max(s.timestamp) FROM {t} s"
    " WHERE s.sender_id = :sender AND s.type_name = :started) IS NULL)")


class CheckedSQLTrackerStore(SQLTrackerStore):
    """``SQLTrackerStore`` (same endpoint settings) that marks the turn when the database fails,
    reads, counts and writes events with plain SQL, and on an SQLite file keeps its connections
    and writes in WAL mode."""

    TUNE_SQLITE = True   # on an SQLite file: kept connections, WAL, synchronous=NORMAL
    PLAIN_SQL = True     # plain SQL statements instead of Rasa's ORM queries and rows

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        url = self.engine.url
        if (self.TUNE_SQLITE and self.engine.dialect.name == "sqlite"
                and url.database not in (None, "", ":memory:")):
            self.keep_connections(wal=True)
        table = self.SQLEvent.__tablename__
        since = _SINCE_SESSION_START.format(t=table)
        self._sql = {
            "session": sa.text(f"SELECT e.data FROM {table} e WHERE e.sender_id = :sender"
                               f" AND {since} ORDER BY e.id"),
            "all": sa.text(f"SELECT e.data FROM {table} e WHERE e.sender_id = :sender"
                           " ORDER BY e.id"),
            "count": sa.text(f"SELECT count(*) FROM {table} e WHERE e.sender_id = :sender"
                             f" AND {since}"),
        }

    def keep_connections(self, wal: bool) -> None:
        """Replace Rasa's engine on an SQLite file by one that keeps its connections
        (``QueuePool``), each in WAL mode with ``synchronous=NORMAL`` if ``wal``."""
        url = self.engine.url
        self.engine.dispose()
        self.engine = sa.create_engine(url, poolclass=sa.pool.QueuePool,
                                       connect_args={"check_same_thread": False})
        if wal:
            sa.event.listen(self.engine, "connect", _wal)
        self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)

    async def _retrieve(self, sender_id: Text, fetch_events_from_all_sessions: bool
                        ) -> Optional[DialogueStateTracker]:
        """Rasa's ``_retrieve``, reading the events' JSON with one plain SQL statement."""
        if not self.PLAIN_SQL:
            return await super()._retrieve(sender_id, fetch_events_from_all_sessions)
        query = self._sql["all" if fetch_events_from_all_sessions else "session"]
        with self.session_scope() as session:
            rows = session.execute(query, {"sender": sender_id,
                                           "started": SessionStarted.type_name}).scalars().all()
        events = [json.loads(data) for data in rows]
        if self.domain and events:
            return DialogueStateTracker.from_dict(sender_id, events, self.domain.slots)
        return None

    def _additional_events(self, session: Any, tracker: DialogueStateTracker) -> Iterator:
        """Rasa's ``_additional_events`` (the tracker's events past those stored since the
        latest session start), counting with one plain SQL statement."""
        if not self.PLAIN_SQL:
            return super()._additional_events(session, tracker)
        stored = session.execute(self._sql["count"], {
            "sender": tracker.sender_id, "started": SessionStarted.type_name}).scalar()
        return itertools.islice(tracker.events, stored, len(tracker.events))

    def _rows(self, sender_id: Text, events: Any) -> list:
        """Rows of the events table (the columns Rasa writes) for these events."""
        rows = []
        for event in events:
            data = event.as_dict()
            rows.append({"sender_id": sender_id, "type_name": event.type_name,
                         "timestamp": data.get("timestamp"),
                         "intent_name": data.get("parse_data", {}).get("intent", {}).get(
                             INTENT_NAME_KEY),
                         "action_name": data.get("name"), "data": json.dumps(data)})
        return rows

    async def _save(self, tracker: DialogueStateTracker) -> None:
        """Rasa's ``save``, inserting the new events with one plain INSERT (the same columns)
        instead of an ORM object per event."""
        if not self.PLAIN_SQL:
            return await super().save(tracker)
        await self.stream_events(tracker)
        with self.session_scope() as session:
            rows = self._rows(tracker.sender_id, self._additional_events(session, tracker))
            if rows:
                session.execute(self.SQLEvent.__table__.insert(), rows)
            session.commit()
        return None

    def _forget(self, tracker: DialogueStateTracker) -> bool:
        """A confirmed "forget me" in this turn: delete the stored events of its conversations and
        keep of this one only what the turn did after the person's answer, without the request.
        False when the turn asked for nothing."""
        events = list(tracker.events)
        user, at = 0, None
        for i in range(len(events) - 1, -1, -1):
            if isinstance(events[i], UserUttered):
                user = i + 1
                break
            if isinstance(events[i], SlotSet) and events[i].key == C.SLOT_FORGET:
                at = i
        if at is None or not isinstance(events[at].value, list):
            return False
        gone = {str(c) for c in events[at].value} | {tracker.sender_id}
        kept = [e for i, e in enumerate(events) if i >= user and i != at]
        table = self.SQLEvent.__table__
        with self.session_scope() as session:
            session.execute(table.delete().where(table.c.sender_id.in_(sorted(gone))))
            rows = self._rows(tracker.sender_id, kept)
            if rows:
                session.execute(table.insert(), rows)
            session.commit()
        return True

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
            if not self._forget(tracker):
                await self._save(tracker)
        except Exception as e:
            self._down("save", tracker.sender_id, e)
            raise
