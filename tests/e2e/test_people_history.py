"""People and their history through the real Rasa and action servers (docs/history.md): two
sessions a week apart (a fake calendar: STRETCH_CLOCK_OFFSET) where the second greets the person,
starts the sore side gently and asks about a severe pain; holds that progress over pain-free
sessions and drop back after a pain; "forget me" leaving no row of the person in the history tables
or the tracker store, on SQLite and on PostgreSQL (a database of its own), with the partner's
history intact; odd names; the history API refused without the device's secret."""

from __future__ import annotations

import csv
import io
import os
import secrets
import socket
import time

import psycopg2
import pytest
import requests
import sqlalchemy as sa

from lab.harness.servers import Servers, free_ports

TIME_SCALE = "0.05"   # a 15 s hold lasts 0.75 s
DAY = 86400
PG = dict(host=os.environ.get("PGHOST", "127.0.0.1"), port=int(os.environ.get("PGPORT", "5432")),
          user=os.environ.get("PGUSER", "postgres"))


def _pg_down() -> str:
    try:
        socket.create_connection((PG["host"], PG["port"]), timeout=3).close()
    except OSError as e:
        return f"PostgreSQL unreachable: {e}"
    return ""


pytestmark = pytest.mark.e2e


class Device:
    """One device (a secret) talking to the coach over REST, one conversation at a time."""

    def __init__(self, servers: Servers, secret: str | None = None) -> None:
        self.servers, self.secret = servers, secret or secrets.token_urlsafe(32)
        self.new()

    def new(self) -> None:
        self.sender = f"hist-{time.time_ns()}"
        self.senders = getattr(self, "senders", []) + [self.sender]

    def say(self, text: str) -> str:
        r = requests.post(f"{self.servers.url}/webhooks/rest/webhook", timeout=30, json={
            "sender": self.sender, "message": text, "metadata": {"device": self.secret}})
        r.raise_for_status()
        return " ".join(m.get("text", "") for m in r.json())

    def state(self) -> dict:
        r = requests.get(f"{self.servers.url}/conversations/{self.sender}/tracker",
                         params=self.servers.auth, timeout=30)
        r.raise_for_status()
        return r.json()["slots"]["coach"] or {}

    def wait(self, done, timeout: float = 30) -> dict:
        deadline = time.time() + timeout
        while time.time() < deadline:
            state = self.state()
            if done(state):
                return state
            time.sleep(0.2)
        raise AssertionError(f"not reached: {self.state()}")

    def api(self, path: str, secret: str | None = "mine") -> requests.Response:
        headers = {} if secret is None else {
            "X-Stretch-Device": self.secret if secret == "mine" else secret}
        return requests.get(f"{self.servers.url}/webhooks/history{path}", headers=headers, timeout=30)


def days_later(servers: Servers, days: float) -> None:
    """The action server again, its calendar moved ``days`` ahead (hold timing unchanged)."""
    servers.kill_actions()
    servers.env["STRETCH_CLOCK_OFFSET"] = str(days * DAY)
    servers.start_actions()


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    s = Servers(tmp_path_factory.mktemp("history"), *free_ports(2), TIME_SCALE)
    try:
        yield s.start()
    finally:
        s.stop()


def to_hold(d: Device, routine: str = "the seated one") -> None:
    d.say(routine)
    d.say("next")
    d.say("next")


def test_a_week_later_the_coach_remembers_the_sore_side_and_asks_about_the_bad_one(servers):
    days_later(servers, 0)
    d = Device(servers)
    assert "Nice to meet you, Alex." in d.say("I'm Alex, Sam is helping")
    d.say("start")
    to_hold(d)                                  # the right leg's hold
    d.say("ouch")
    assert "gentler" in d.say("2").lower()       # mild: gentler, resume when ready
    d.say("resume")
    d.say("switch legs")
    d.say("next")
    d.say("next")
    d.say("ouch")
    d.say("7")                                   # severe: the stretch ends
    assert d.state()["phase"] == "ended"

    days_later(servers, 7)
    d.new()
    hello = d.say("hello")
    assert ("Welcome back, Alex. Last time your left side hurt, 7 out of ten, in the seated single "
            "leg stretch.") in hello
    d.say("start")
    assert "Your right side hurt last time, so we'll start gently there." in d.say("the seated one")
    asked = d.say("switch legs")
    assert "Alex, your left side hurt badly last time. Is it better today?" in asked
    assert "Step" not in asked                   # the step waits for the answer
    skipped = d.say("no")
    assert "skip your left side today" in skipped and "doctor or physio" in skipped
    assert "Your left side hurt, 7 out of ten." in d.say("how did I do last time?")


def _session(d: Device, pain: bool = False) -> tuple[dict, str]:
    """A standing double leg session: the hold as it starts, what was said, and all 4 reps done
    (or a mild pain in the first)."""
    said = d.say("start") + " " + d.say("the standing double leg")
    said += " " + d.say("next") + " " + d.say("next")
    timer = d.state()["timer"]
    if pain:
        d.say("ouch")
        d.say("1")
    else:
        d.wait(lambda s: s.get("question") == "routine_done")
    d.say("stop")
    return timer, said


def test_holds_grow_after_sessions_without_pain_and_drop_back_after_pain(servers):
    days_later(servers, 20)
    d = Device(servers)
    d.say("I'm Kim")
    seen = []
    for n in range(3):
        if n:
            days_later(servers, 20 + n)
            d.new()
        timer, said = _session(d)
        seen.append((timer["seconds"], timer["reps"], said))
    assert [(s, r) for s, r, _ in seen] == [(15, 4), (20, 4), (25, 4)]
    assert "You've done well: holds are 20 seconds now." in seen[1][2]
    assert "You've done well: holds are 25 seconds now." in seen[2][2]
    days_later(servers, 24)
    d.new()
    timer, _ = _session(d, pain=True)
    assert (timer["seconds"], timer["reps"]) == (30, 4)
    days_later(servers, 25)
    d.new()
    timer, said = _session(d)
    assert "Back to 15 second holds, 4 times, after last time's pain." in said
    assert (timer["seconds"], timer["reps"]) == (15, 4)


@pytest.mark.parametrize("odd", ["I'm 🙂🙂", "I'm " + "a" * 500, "I'm <b>Alex</b>",
                                 "I'm /restart", "my name is {name}"])
def test_odd_names_are_never_taken_or_repeated(servers, odd):
    d = Device(servers)
    said = d.say(odd)
    assert d.state().get("people", [None, None]) == [None, None]
    assert "<b>" not in said and "{" not in said and "aaaa" not in said


def test_the_history_api_refuses_every_request_without_the_right_secret(servers):
    d = Device(servers)
    d.say("I'm Robin")
    d.say("start")
    to_hold(d)
    d.say("ouch")
    d.say("3")
    people = d.api("/people")
    assert people.status_code == 200
    person = people.json()["people"][0]
    assert person["name"] == "Robin" and person["sessions"] == 1
    path = f"/people/{person['id']}"
    stranger = secrets.token_urlsafe(32)
    for secret in (None, "", "short", stranger, "x" * 200, d.secret + "!"):
        for p in ("/people", path, path + "/export.csv", path + "/export.json"):
            r = d.api(p, secret)
            if p == "/people" and secret == stranger:
                assert r.status_code == 200 and r.json() == {"people": []}
            else:
                assert r.status_code == 403, (p, secret)
                assert "Robin" not in r.text
    assert d.api("/people/" + "0" * 32).status_code == 403
    assert d.api(path + "/export.xml").status_code == 404
    assert d.api(path + "/export.xml", stranger).status_code == 403
    doc = d.api(path).json()
    assert doc["person"]["name"] == "Robin"
    assert doc["sessions"][0]["pains"][0]["rating"] == 3
    assert doc["sessions"][0]["pains"][0]["side"] == "right"
    assert d.api(path).headers["Cache-Control"] == "no-store"
    rows = list(csv.DictReader(io.StringIO(d.api(path + "/export.csv").text)))
    assert [r["rating"] for r in rows if r["kind"] == "pain"] == ["3"]
    assert "attachment" in d.api(path + "/export.json").headers["Content-Disposition"]


# --- forget me, on SQLite and on PostgreSQL ---------------------------------------------------
def forget_alex(servers: Servers) -> tuple[Device, str, str]:
    """Alex and Sam each report a pain, in two conversations; then Alex says forget me, yes."""
    d = Device(servers)
    d.say("I'm Alex, Sam is helping")
    d.say("start")
    to_hold(d)
    d.say("ouch")
    d.say("3")
    d.say("stop")
    d.new()
    d.say("start")
    d.say("the seated one")
    d.say("it's Sam's turn")
    d.say("next")
    d.say("next")
    d.say("ouch")
    d.say("2")
    ids = {p["name"]: p["id"] for p in d.api("/people").json()["people"]}
    d.say("resume")
    d.say("it's Alex's turn")
    assert "Delete everything I keep about Alex?" in d.say("forget me")
    assert "deleted everything" in d.say("yes")
    return d, ids["Alex"], ids["Sam"]


def check_forgotten(d: Device, url: str, alex: str, sam: str) -> None:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        def count(sql: str, **params) -> int:
            return conn.execute(sa.text(sql), params).scalar()

        for table, column in (("people", "id"), ("person_devices", "person_id"),
                              ("history_sessions", "person_id"), ("history_plans", "person_id")):
            assert count(f"SELECT count(*) FROM {table} WHERE {column} = :p", p=alex) == 0, table
        assert count("SELECT count(*) FROM devices WHERE last_first = :p OR last_second = :p",
                     p=alex) == 0
        assert count("SELECT count(*) FROM history_sessions WHERE person_id = :p", p=sam) == 1
        assert count("SELECT count(*) FROM history_pains p JOIN history_sessions s ON "
                     "p.session_id = s.id WHERE s.person_id = :p", p=sam) == 1
        assert count("SELECT count(*) FROM history_pains p LEFT JOIN history_sessions s ON "
                     "p.session_id = s.id WHERE s.id IS NULL") == 0
        assert count("SELECT count(*) FROM events WHERE sender_id = :s", s=d.senders[0]) == 0
        assert count("SELECT count(*) FROM events WHERE sender_id = :s AND data LIKE :a",
                     s=d.senders[1], a="%Alex%") == 0
        assert count("SELECT count(*) FROM events WHERE sender_id = :s AND type_name = 'user'",
                     s=d.senders[1]) == 0
    engine.dispose()
    assert [p["name"] for p in d.api("/people").json()["people"]] == ["Sam"]
    assert d.api(f"/people/{alex}").status_code == 403
    assert d.state()["people"] == [None, "Sam"]


def test_forget_me_on_sqlite(servers):
    days_later(servers, 40)
    d, alex, sam = forget_alex(servers)
    check_forgotten(d, servers.env["STRETCH_HISTORY_URL"], alex, sam)


@pytest.mark.skipif(bool(_pg_down()), reason=_pg_down())
def test_forget_me_on_postgresql(tmp_path):
    name = f"stretch_t_{secrets.token_hex(6)}"
    admin = psycopg2.connect(dbname="postgres", **PG)
    admin.autocommit = True
    admin.cursor().execute(f"CREATE DATABASE {name}")
    url = f"postgresql://{PG['user']}@{PG['host']}:{PG['port']}/{name}"
    stores = ("tracker_store:\n  type: components.stores.CheckedSQLTrackerStore\n"
              f"  dialect: postgresql\n  url: {PG['host']}\n  port: {PG['port']}\n"
              f"  db: {name}\n  username: {PG['user']}\n")
    s = Servers(tmp_path, *free_ports(2), TIME_SCALE, stores=stores, history_url=url)
    try:
        s.start()
        d, alex, sam = forget_alex(s)
        check_forgotten(d, url, alex, sam)
    finally:
        s.stop()
        admin.cursor().execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.close()


@pytest.mark.skipif(bool(_pg_down()), reason=_pg_down())
def test_the_schema_upgrades_on_postgresql_with_its_data():
    from components import history_store
    from components.history_rows import T

    name = f"stretch_t_{secrets.token_hex(6)}"
    admin = psycopg2.connect(dbname="postgres", **PG)
    admin.autocommit = True
    admin.cursor().execute(f"CREATE DATABASE {name}")
    url = f"postgresql://{PG['user']}@{PG['host']}:{PG['port']}/{name}"
    try:
        engine = history_store.make_engine(url)
        history_store.migrate(engine, "0001")
        start = time.strftime("%Y-%m-%d %H:%M:%S")
        with engine.begin() as conn:
            conn.execute(T.people.insert().values(id="p" * 32, name="Alex", created_at=start))
            conn.execute(T.sessions.insert().values(person_id="p" * 32, conversation="c1",
                                                    started_at=start, end="stopped", holds=2,
                                                    seconds=60))
        assert "history_plans" not in sa.inspect(engine).get_table_names()
        engine.dispose()
        store = history_store.HistoryStore(url)
        assert "history_plans" in sa.inspect(store.engine).get_table_names()
        assert [s.end for s in store.sessions("p" * 32)] == ["stopped"]
        store.engine.dispose()
    finally:
        admin.cursor().execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.close()
