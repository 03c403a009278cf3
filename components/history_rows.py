"""The history tables as SQLAlchemy Core tables (their schema is made by the migrations in
components/history_migrations/, which these must match: tests/test_history_store.py checks it),
and the statements components/history_store.py runs on them."""

from __future__ import annotations

import datetime as dt
from typing import Optional

import sqlalchemy as sa

from stretch_coach.history import OPEN, PainReport, Plan, SessionRecord, SideDone


class T:
    """The tables."""

    meta = sa.MetaData()
    devices = sa.Table("devices", meta, sa.Column("id", sa.String(64), primary_key=True),
                       sa.Column("created_at", sa.DateTime), sa.Column("seen_at", sa.DateTime),
                       sa.Column("last_first", sa.String(32)), sa.Column("last_second", sa.String(32)))
    people = sa.Table("people", meta, sa.Column("id", sa.String(32), primary_key=True),
                      sa.Column("name", sa.String(30)), sa.Column("created_at", sa.DateTime))
    person_devices = sa.Table("person_devices", meta,
                              sa.Column("person_id", sa.String(32), primary_key=True),
                              sa.Column("device_id", sa.String(64), primary_key=True),
                              sa.Column("name_key", sa.String(30)))
    sessions = sa.Table("history_sessions", meta,
                        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
                        sa.Column("person_id", sa.String(32)), sa.Column("conversation", sa.String(128)),
                        sa.Column("started_at", sa.DateTime), sa.Column("ended_at", sa.DateTime),
                        sa.Column("end", sa.String(16)), sa.Column("partner", sa.String(30)),
                        sa.Column("holds", sa.Integer), sa.Column("seconds", sa.Integer))
    sides = sa.Table("history_sides", meta,
                     sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
                     sa.Column("session_id", sa.Integer), sa.Column("variant", sa.String(40)),
                     sa.Column("side", sa.String(8)), sa.Column("holds", sa.Integer),
                     sa.Column("seconds", sa.Integer), sa.Column("level", sa.Integer))
    pains = sa.Table("history_pains", meta,
                     sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
                     sa.Column("session_id", sa.Integer), sa.Column("at", sa.DateTime),
                     sa.Column("rating", sa.Integer), sa.Column("sharp", sa.Boolean),
                     sa.Column("variant", sa.String(40)), sa.Column("side", sa.String(8)),
                     sa.Column("step", sa.Integer), sa.Column("action", sa.String(16)))
    plans = sa.Table("history_plans", meta,
                     sa.Column("person_id", sa.String(32), primary_key=True),
                     sa.Column("variant", sa.String(40), primary_key=True),
                     sa.Column("seconds", sa.Integer), sa.Column("reps", sa.Integer),
                     sa.Column("change", sa.String(8)), sa.Column("updated_at", sa.DateTime))


def people_of(conn: sa.engine.Connection, device: str) -> list[dict]:
    pair = conn.execute(sa.select(T.devices.c.last_first, T.devices.c.last_second)
                        .where(T.devices.c.id == device)).first() or (None, None)
    count = sa.func.count(T.sessions.c.id)
    query = (sa.select(T.people.c.id, T.people.c.name, count.label("n"),
                       sa.func.max(T.sessions.c.started_at).label("last"))
             .select_from(T.people.join(T.person_devices, T.person_devices.c.person_id == T.people.c.id)
                          .outerjoin(T.sessions, T.sessions.c.person_id == T.people.c.id))
             .where(T.person_devices.c.device_id == device)
             .group_by(T.people.c.id, T.people.c.name))
    found = conn.execute(query).all()
    order = {p: i for i, p in enumerate(pair) if p}
    found.sort(key=lambda r: (order.get(r.id, 2), -(r.last.timestamp() if r.last else 0)))
    return [{"id": r.id, "name": r.name, "sessions": r.n, "last": r.last} for r in found]


def sessions_of(conn: sa.engine.Connection, person: str, since: Optional[dt.datetime] = None,
                latest: Optional[int] = None) -> list[SessionRecord]:
    """Sessions oldest first: all (from ``since``), or the ``latest`` few. Three indexed reads."""
    query = sa.select(T.sessions).where(T.sessions.c.person_id == person)
    if since is not None:
        query = query.where(T.sessions.c.started_at >= since)
    if latest is not None:
        query = query.order_by(T.sessions.c.started_at.desc()).limit(latest)
    heads = sorted(conn.execute(query).all(), key=lambda r: r.started_at)
    ids = [h.id for h in heads]
    sides: dict[int, list] = {i: [] for i in ids}
    pains: dict[int, list] = {i: [] for i in ids}
    if ids:
        for r in conn.execute(sa.select(T.sides).where(T.sides.c.session_id.in_(ids))
                              .order_by(T.sides.c.id)):
            sides[r.session_id].append(SideDone(r.variant, r.side, r.holds, r.seconds, r.level))
        for r in conn.execute(sa.select(T.pains).where(T.pains.c.session_id.in_(ids))
                              .order_by(T.pains.c.id)):
            pains[r.session_id].append(PainReport(r.at, r.rating, bool(r.sharp), r.variant, r.side,
                                                  r.step, r.action))
    return [SessionRecord(started=h.started_at, ended=h.ended_at, end=h.end, partner=h.partner,
                          sides=tuple(sides[h.id]), pains=tuple(pains[h.id])) for h in heads]


def replace_session(conn: sa.engine.Connection, person: str, conversation: str,
                    record: SessionRecord) -> bool:
    """Write the session's rows in place of what was stored for it; True when it was open."""
    key = (T.sessions.c.person_id == person, T.sessions.c.conversation == conversation,
           T.sessions.c.started_at == record.started)
    old = conn.execute(sa.select(T.sessions.c.id, T.sessions.c.end).where(*key)).first()
    values = dict(ended_at=record.ended, end=record.end, partner=record.partner,
                  holds=record.holds, seconds=record.seconds)
    if old is None:
        session_id = conn.execute(T.sessions.insert().values(
            person_id=person, conversation=conversation, started_at=record.started, **values)
        ).inserted_primary_key[0]
    else:
        session_id = old.id
        conn.execute(T.sessions.update().where(T.sessions.c.id == session_id).values(**values))
        conn.execute(T.sides.delete().where(T.sides.c.session_id == session_id))
        conn.execute(T.pains.delete().where(T.pains.c.session_id == session_id))
    if record.sides:
        conn.execute(T.sides.insert(), [dict(session_id=session_id, variant=s.variant, side=s.side,
                                             holds=s.holds, seconds=s.seconds, level=s.level)
                                        for s in record.sides])
    if record.pains:
        conn.execute(T.pains.insert(), [dict(session_id=session_id, at=p.at, rating=p.rating,
                                             sharp=p.sharp, variant=p.variant, side=p.side,
                                             step=p.step, action=p.action) for p in record.pains])
    return old is None or old.end == OPEN


def store_plans(conn: sa.engine.Connection, person: str, plans: dict[str, Plan],
                changes: dict[str, str], now: dt.datetime) -> None:
    """The plans after a session: each routine's hold and what changed (cleared elsewhere)."""
    conn.execute(T.plans.update().where(T.plans.c.person_id == person).values(change=None))
    for variant, plan in plans.items():
        values = dict(seconds=plan.seconds, reps=plan.reps, change=changes.get(variant),
                      updated_at=now)
        done = conn.execute(T.plans.update().where(T.plans.c.person_id == person,
                                                   T.plans.c.variant == variant).values(**values))
        if done.rowcount == 0:
            conn.execute(T.plans.insert().values(person_id=person, variant=variant, **values))


def delete_person(conn: sa.engine.Connection, person: str) -> list[str]:
    """Delete every row about the person; the conversations their sessions were in."""
    heads = conn.execute(sa.select(T.sessions.c.id, T.sessions.c.conversation)
                         .where(T.sessions.c.person_id == person)).all()
    ids = [h.id for h in heads]
    if ids:
        conn.execute(T.sides.delete().where(T.sides.c.session_id.in_(ids)))
        conn.execute(T.pains.delete().where(T.pains.c.session_id.in_(ids)))
    conn.execute(T.sessions.delete().where(T.sessions.c.person_id == person))
    conn.execute(T.plans.delete().where(T.plans.c.person_id == person))
    conn.execute(T.person_devices.delete().where(T.person_devices.c.person_id == person))
    conn.execute(T.people.delete().where(T.people.c.id == person))
    for column in (T.devices.c.last_first, T.devices.c.last_second):
        conn.execute(T.devices.update().where(column == person).values({column.name: None}))
    return sorted({h.conversation for h in heads})
