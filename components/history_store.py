"""The history's tables (docs/history.md): people, the devices that know them, and per session and
person the sides done and the pain reports. SQLAlchemy Core on the coach's own database (the SQLite
file of ``STRETCH_DB``, or PostgreSQL), the schema versioned with Alembic
(components/history_migrations/) and upgraded when a server first opens the store.

Used by the action server (read a person once when they are named or their device is recognised,
write at pain reports and when a session ends, delete on "forget me") and by the Rasa server's
history API (components/history_api.py). Logs no name, no pain and no device id.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import secrets
import threading
from pathlib import Path
from typing import Iterator, Optional

import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from stretch_coach.history import Plan, SessionRecord

from . import history_rows as rows
from .history_rows import T

MIGRATIONS = Path(__file__).with_name("history_migrations")
_stores: dict[str, "HistoryStore"] = {}
_lock = threading.Lock()


def _sqlite_connect(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def make_engine(url: str) -> sa.engine.Engine:
    if url.startswith("sqlite"):
        engine = sa.create_engine(url, poolclass=sa.pool.QueuePool,
                                  connect_args={"check_same_thread": False, "timeout": 10})
        sa.event.listen(engine, "connect", _sqlite_connect)
        return engine
    return sa.create_engine(url, pool_pre_ping=True, pool_size=2, max_overflow=2)


@contextlib.contextmanager
def _migration_lock(engine: sa.engine.Engine) -> Iterator[sa.engine.Connection]:
    """One process at a time upgrades: a PostgreSQL advisory lock, or a lock file beside the
    SQLite file (servers of a cluster, or the Rasa and action servers, start together)."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT pg_advisory_lock(727272)"))
            try:
                yield conn
            finally:
                conn.execute(sa.text("SELECT pg_advisory_unlock(727272)"))
        return
    path = engine.url.database
    lock_path = f"{path}.migrate-lock" if path and path != ":memory:" else None
    handle = open(lock_path, "w") if lock_path else None
    try:
        if handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
        with engine.connect() as conn:
            yield conn
    finally:
        if handle:
            handle.close()


def migrate(engine: sa.engine.Engine, revision: str = "head") -> None:
    """Bring the history tables to ``revision`` (Alembic ``upgrade``), under a lock."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with _migration_lock(engine) as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
        if hasattr(conn, "commit") and conn.in_transaction():
            conn.commit()


def _now() -> dt.datetime:
    return dt.datetime.utcnow().replace(microsecond=0)


class HistoryStore:
    """The history tables of one database."""

    def __init__(self, url: str, upgrade: bool = True) -> None:
        self.engine = make_engine(url)
        if upgrade:
            migrate(self.engine)

    # --- people and devices ---------------------------------------------------------------------
    def pair(self, device: str) -> list[Optional[tuple[str, str]]]:
        """The pair the device saw last: [(person id, name) or None] * 2."""
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(T.devices.c.last_first, T.devices.c.last_second)
                               .where(T.devices.c.id == device)).first()
            if row is None:
                return [None, None]
            names = dict(conn.execute(sa.select(T.people.c.id, T.people.c.name).where(
                T.people.c.id.in_([p for p in row if p]))).all())
        return [(p, names[p]) if p in names else None for p in row]

    def person(self, device: str, name: str) -> str:
        """The person of this name on this device: found, or made and linked to it."""
        key = name.casefold()[:30]
        with self.engine.begin() as conn:
            found = conn.execute(sa.select(T.person_devices.c.person_id).where(
                T.person_devices.c.device_id == device, T.person_devices.c.name_key == key)).first()
            if found:
                return found[0]
            self._touch(conn, device)
            person = secrets.token_hex(16)
            conn.execute(T.people.insert().values(id=person, name=name, created_at=_now()))
            conn.execute(T.person_devices.insert().values(person_id=person, device_id=device,
                                                          name_key=key))
            return person

    def remember_pair(self, device: str, first: Optional[str], second: Optional[str]) -> None:
        with self.engine.begin() as conn:
            self._touch(conn, device)
            conn.execute(T.devices.update().where(T.devices.c.id == device).values(
                last_first=first, last_second=second, seen_at=_now()))

    @staticmethod
    def _touch(conn: sa.engine.Connection, device: str) -> None:
        if conn.execute(sa.select(T.devices.c.id).where(T.devices.c.id == device)).first() is None:
            conn.execute(T.devices.insert().values(id=device, created_at=_now(), seen_at=_now()))

    def people(self, device: str) -> list[dict]:
        """The people this device knows, the last pair first (the API's list)."""
        with self.engine.connect() as conn:
            return rows.people_of(conn, device)

    def name_on(self, device: str, person: str) -> Optional[str]:
        """The person's name when this device knows them, else None."""
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(T.people.c.name).select_from(
                T.people.join(T.person_devices, T.person_devices.c.person_id == T.people.c.id))
                .where(T.people.c.id == person, T.person_devices.c.device_id == device)).first()
        return row[0] if row else None

    # --- sessions ---------------------------------------------------------------------------------
    def last_session(self, person: str) -> Optional[SessionRecord]:
        with self.engine.connect() as conn:
            found = rows.sessions_of(conn, person, latest=1)
        return found[-1] if found else None

    def sessions(self, person: str, since: Optional[dt.datetime] = None) -> list[SessionRecord]:
        """The person's sessions, oldest first (from ``since``, UTC, when given)."""
        with self.engine.connect() as conn:
            return rows.sessions_of(conn, person, since=since)

    def plans(self, person: str) -> tuple[dict[str, Plan], dict[str, str]]:
        with self.engine.connect() as conn:
            found = conn.execute(sa.select(T.plans).where(T.plans.c.person_id == person)).all()
        return ({r.variant: Plan(r.seconds, r.reps) for r in found},
                {r.variant: r.change for r in found if r.change})

    def save(self, person: str, conversation: str, record: SessionRecord,
             new_plans: Optional[tuple[dict, dict]] = None) -> bool:
        """Write this session of this person (again: the rows are replaced). ``new_plans`` when it
        has just ended. True when the session was stored as open before (or not at all)."""
        with self.engine.begin() as conn:
            was_open = rows.replace_session(conn, person, conversation, record)
            if new_plans is not None and was_open:
                rows.store_plans(conn, person, *new_plans, now=_now())
        return was_open

    def forget(self, person: str) -> list[str]:
        """Delete the person and everything kept about them; the conversations their sessions
        were in (the tracker store deletes those)."""
        with self.engine.begin() as conn:
            return rows.delete_person(conn, person)


def store(url: str) -> HistoryStore:
    """One store per database URL and process, upgraded on first use."""
    with _lock:
        if url not in _stores:
            _stores[url] = HistoryStore(url)
        return _stores[url]
