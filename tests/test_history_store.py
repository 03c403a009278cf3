"""The history tables on SQLite (components/history_store.py): the Alembic schema upgraded from the
previous version with its data kept, the tables as the code reads them, a session written again
in place, plans moved once per ended session, "forget me" deleting one person and nothing of the
partner, and the tracker store deleting the conversations a "forget me" names. PostgreSQL gets
the same in tests/e2e/test_people_history.py."""

from __future__ import annotations

import asyncio
import datetime as dt

import sqlalchemy as sa

from components import history_store
from components.history_rows import T
from components.stores import CheckedSQLTrackerStore
from stretch_coach import contract as C
from stretch_coach.history import PainReport, Plan, SessionRecord, SideDone

START = dt.datetime(2026, 11, 24, 18)


def record(end="open", pains=1) -> SessionRecord:
    return SessionRecord(started=START, ended=START if end != "open" else None, end=end,
                         partner="Sam", sides=(SideDone("seated_single_leg", "left", 2, 60, 1),),
                         pains=tuple(PainReport(START, 3, False, "seated_single_leg", "left", 3,
                                                "gentler") for _ in range(pains)))


def test_the_schema_upgrades_from_the_previous_version_with_its_data(tmp_path):
    engine = history_store.make_engine(f"sqlite:///{tmp_path / 'h.db'}")
    history_store.migrate(engine, "0001")
    assert "history_plans" not in sa.inspect(engine).get_table_names()
    with engine.begin() as conn:
        conn.execute(T.people.insert().values(id="p" * 32, name="Alex", created_at=START))
        conn.execute(T.sessions.insert().values(person_id="p" * 32, conversation="c1",
                                                started_at=START, end="stopped", holds=2,
                                                seconds=60))
    store = history_store.HistoryStore(f"sqlite:///{tmp_path / 'h.db'}")   # upgrades to head
    assert "history_plans" in sa.inspect(store.engine).get_table_names()
    assert [(s.started, s.end) for s in store.sessions("p" * 32)] == [(START, "stopped")]
    with store.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT version_num FROM history_schema_version")).scalar() == "0002"


def test_the_tables_are_as_the_code_reads_them(tmp_path):
    store = history_store.HistoryStore(f"sqlite:///{tmp_path / 'h.db'}")
    inspector = sa.inspect(store.engine)
    for table in T.meta.sorted_tables:
        assert {c["name"] for c in inspector.get_columns(table.name)} == set(table.c.keys())
    indexed = {tuple(i["column_names"]) for i in inspector.get_indexes("history_sessions")}
    assert ("person_id", "started_at") in indexed


def test_a_session_is_written_again_in_place_and_plans_move_once(tmp_path):
    store = history_store.HistoryStore(f"sqlite:///{tmp_path / 'h.db'}")
    alex = store.person("d" * 64, "Alex")
    assert store.person("d" * 64, "alex") == alex and store.person("e" * 64, "Alex") != alex
    store.save(alex, "c1", record(pains=1))
    store.save(alex, "c1", record(pains=2))
    plans = ({"seated_single_leg": Plan(30, 3)}, {"seated_single_leg": "reps"})
    assert store.save(alex, "c1", record("stopped", pains=2), plans) is True
    assert store.save(alex, "c1", record("stopped", pains=2), ({}, {})) is False   # ended already
    sessions = store.sessions(alex)
    assert len(sessions) == 1 and len(sessions[0].pains) == 2 and sessions[0].end == "stopped"
    assert store.plans(alex) == plans


def test_forget_deletes_the_person_and_leaves_the_partner(tmp_path):
    store = history_store.HistoryStore(f"sqlite:///{tmp_path / 'h.db'}")
    device = "d" * 64
    alex, sam = store.person(device, "Alex"), store.person(device, "Sam")
    store.remember_pair(device, alex, sam)
    store.save(alex, "c1", record())
    store.save(alex, "c2", record("stopped"), ({"seated_single_leg": Plan(30, 3)}, {}))
    store.save(sam, "c2", record())
    assert store.forget(alex) == ["c1", "c2"]
    with store.engine.connect() as conn:
        for table, column in ((T.people, T.people.c.id), (T.sessions, T.sessions.c.person_id),
                              (T.plans, T.plans.c.person_id),
                              (T.person_devices, T.person_devices.c.person_id)):
            assert conn.execute(sa.select(table).where(column == alex)).first() is None
        assert conn.execute(sa.select(sa.func.count()).select_from(T.pains)).scalar() == 1
    assert store.pair(device) == [None, (sam, "Sam")]
    assert len(store.sessions(sam)) == 1 and len(store.sessions(sam)[0].pains) == 1


def test_the_tracker_store_deletes_the_conversations_a_forget_names(tmp_path):
    from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    store = CheckedSQLTrackerStore(dialect="sqlite", db=str(tmp_path / "tracker.db"))
    pain = [UserUttered("ouch, Alex here", {"name": "discomfort", "confidence": 1.0}),
            BotUttered("How bad is it?")]
    old, other = (DialogueStateTracker.from_events(s, pain) for s in ("old", "other"))
    now = DialogueStateTracker.from_events("now", [
        *pain, UserUttered("yes", {"name": "affirm", "confidence": 1.0}),
        ActionExecuted("action_affirm"), BotUttered("Done."), SlotSet(C.SLOT_COACH, {"x": 1}),
        SlotSet(C.SLOT_FORGET, ["old"]), ActionExecuted("action_listen")])

    async def go():
        for tracker in (old, other):
            await store.save(tracker)
        await store.save(now)
        return [await store.retrieve(s) for s in ("old", "other", "now")]

    gone, kept, after = asyncio.run(go())
    assert gone is None and len(kept.events) == 2
    assert [type(e).__name__ for e in after.events] == [
        "ActionExecuted", "BotUttered", "SlotSet", "ActionExecuted"]
    assert not any(isinstance(e, SlotSet) and e.key == C.SLOT_FORGET for e in after.events)
    assert all("Alex" not in str(e.as_dict()) for e in after.events)


def test_the_channels_keep_the_secrets_hash_and_the_hearing_and_nothing_else():
    import hashlib

    from components.channels import safe_metadata

    secret = "s" * 43
    kept = safe_metadata({"device": secret, "device_id": "f" * 64, "other": "x",
                          "heard": {"safety_p": 0.3, "logprob": -0.5, "room_talk": True, "x": 1}})
    assert kept == {"device_id": hashlib.sha256(secret.encode()).hexdigest(),
                    "heard": {"safety_p": 0.3, "logprob": -0.5, "room_talk": True}}
    for bad in ("short", "x" * 129, "has space" * 5, 42, None, "é" * 30):
        assert safe_metadata({"device": bad, "device_id": "f" * 64}) == {}
    assert safe_metadata(["device", secret]) == {} and safe_metadata(None) == {}
