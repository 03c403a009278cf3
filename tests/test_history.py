"""The history's rules (stretch_coach/history.py, summaries.py, export.py): what is remembered,
the greeting, ACSM-style progression, the answers about last time, this week and this month, and
the page's document and CSV. Dates are arguments: no clock."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest

from stretch_coach import catalogue, export, history, summaries
from stretch_coach.history import PainReport, Plan, SessionRecord, SideDone

CAT = catalogue.default()
TODAY = dt.date(2026, 12, 2)   # a Wednesday
SEATED = "seated_single_leg"


def session(day: dt.date, *, pains=(), sides=((SEATED, "left", 2, 60, 0),), end="stopped"):
    start = dt.datetime.combine(day, dt.time(18))
    return SessionRecord(started=start, ended=start + dt.timedelta(minutes=20), end=end,
                         sides=tuple(SideDone(*s) for s in sides),
                         pains=tuple(PainReport(start, *p) for p in pains))


def pain(rating, sharp=False, side="left", variant=SEATED, step=3, action="gentler"):
    return (rating, sharp, variant, side, step, action)


def test_a_mild_pain_makes_a_sore_side_and_a_bad_one_a_side_to_ask_about():
    last = session(TODAY - dt.timedelta(days=7), pains=[pain(3, side="left"), pain(5, side="right")])
    mem = history.remember("p1", "Alex", last, {}, {}, CAT, TODAY)
    assert mem.sore == ["left", "right"] and mem.check == ["right"]


@pytest.mark.parametrize("report", [pain(2, sharp=True), pain(None), pain(4), pain(9)])
def test_sharp_unrated_or_four_and_more_asks_first(report):
    mem = history.remember("p1", "Alex", session(TODAY, pains=[report]), {}, {}, CAT, TODAY)
    assert mem.check == ["left"]


def test_no_history_means_nothing_to_ask_and_a_first_greeting():
    mem = history.remember("p1", "Alex", None, {}, {}, CAT, TODAY)
    assert (mem.sore, mem.check) == ([], [])
    assert mem.greet == ["utter_nice_to_meet", {"name": "Alex"}]


def test_greeting_speaks_of_last_times_worst_pain():
    last = session(TODAY - dt.timedelta(days=7), pains=[pain(2, side="right"), pain(3)])
    response, args = history.greeting("Alex", last, CAT, TODAY)
    assert response == "utter_welcome_back_pain"
    assert args == {"name": "Alex", "where": "left side", "routine": "seated single leg stretch",
                    "rating": 3}
    sharp = session(TODAY, pains=[pain(1, sharp=True, side="both", variant="wrist_pull")])
    assert history.greeting("Sam", sharp, CAT, TODAY)[0] == "utter_welcome_back_sharp"
    assert history.greeting("Sam", sharp, CAT, TODAY)[1]["where"] == "legs"


def test_greeting_without_pain_speaks_of_the_holds():
    response, args = history.greeting("Alex", session(TODAY - dt.timedelta(days=1)), CAT, TODAY)
    assert response == "utter_welcome_back_holds"
    assert args == {"name": "Alex", "seconds": 60, "when": "yesterday"}


@pytest.mark.parametrize("days, words", [(0, "today"), (1, "yesterday"), (2, "on Monday"),
                                         (7, "on 25 November")])
def test_when(days, words):
    assert history.when(TODAY - dt.timedelta(days=days), TODAY) == words


def test_holds_grow_one_step_a_session_toward_30_s_then_reps_to_the_top_never_both():
    variant = "standing_double_leg"   # 15 s x 4 in the catalogue, top 4
    plans: dict = {}
    seen = []
    for _ in range(6):
        record = session(TODAY, sides=((variant, "both", 4, 60, 0),))
        plans, changes = history.next_plans(plans, record, CAT)
        seen.append((plans[variant], changes.get(variant)))
    assert [p for p, _ in seen[:3]] == [Plan(20, 4), Plan(25, 4), Plan(30, 4)]
    assert [c for _, c in seen[:3]] == ["seconds"] * 3
    assert seen[3][0] == Plan(30, 4) and seen[3][1] is None   # both caps reached: no change
    assert all(p.seconds <= 30 and p.reps <= 4 for p, _ in seen)


def test_reps_grow_once_the_hold_is_at_30_s():
    plans = {SEATED: Plan(30, 2)}
    for expected in (Plan(30, 3), Plan(30, 4), Plan(30, 4)):
        plans, _ = history.next_plans(plans, session(TODAY), CAT)
        assert plans[SEATED] == expected


def test_any_pain_sends_every_routine_back_to_the_catalogues_hold():
    plans = {SEATED: Plan(30, 4), "standing_double_leg": Plan(25, 4)}
    record = session(TODAY, pains=[pain(1, variant="standing_double_leg", side="both")])
    new, changes = history.next_plans(plans, record, CAT)
    assert new == {SEATED: Plan(30, 2), "standing_double_leg": Plan(15, 4)}
    assert changes == {SEATED: "back", "standing_double_leg": "back"}


def test_a_session_without_a_completed_hold_does_not_progress():
    new, changes = history.next_plans({}, session(TODAY, sides=((SEATED, "left", 0, 0, 0),)), CAT)
    assert (new, changes) == ({}, {})


def test_a_plan_never_goes_past_the_caps_or_below_the_catalogue():
    assert history.plan_for({"plan": {SEATED: [90, 9]}}, SEATED, CAT) == Plan(30, 4)
    assert history.plan_for({"plan": {SEATED: [5, 1]}}, SEATED, CAT) == Plan(30, 2)
    assert history.plan_for(None, "wrist_pull", CAT) == Plan(15, 3)


def test_last_time_this_week_and_this_month():
    sessions = [session(dt.date(2026, 11, 20)), session(dt.date(2026, 11, 24)),
                session(dt.date(2026, 11, 30), pains=[pain(3)]), session(dt.date(2026, 12, 1))]
    assert summaries.answer("last", sessions, CAT, TODAY) == [
        ("utter_history_last", {"when": "yesterday", "seconds": 60})]
    assert summaries.answer("last", sessions[:3], CAT, TODAY) == [
        ("utter_history_last_pain", {"when": "on Monday", "seconds": 60, "where": "left side",
                                     "rating": 3})]
    assert summaries.answer("week", sessions, CAT, TODAY) == [
        ("utter_history_week", {"count": 2, "seconds": 120}), ("utter_history_streak", {"weeks": 3})]
    assert summaries.answer("month", sessions, CAT, TODAY) == [("utter_history_month_once", {})]
    assert summaries.answer("last", [], CAT, TODAY) == [("utter_history_none", {})]


@pytest.mark.parametrize("text, period", [
    ("how did I do last time", "last"), ("how am I doing this week", "week"),
    ("how many sessions this month", "month"), ("what's my streak", "week")])
def test_period_of(text, period):
    assert summaries.period_of(text) == period


def test_weeks_count_every_week_and_the_streak_ends_this_week_or_last():
    days = [dt.date(2026, 11, 10), dt.date(2026, 11, 24), dt.date(2026, 11, 26)]
    found = summaries.weeks(days, TODAY)
    assert [w["sessions"] for w in found] == [1, 0, 2, 0]
    assert found[0] == {"week": "2026-W46", "monday": "2026-11-09", "sessions": 1}
    assert summaries.streak(found) == 1   # this week has none yet: last week's run counts
    assert summaries.streak(summaries.weeks([dt.date(2026, 11, 10)], TODAY)) == 0


def test_the_document_and_the_csv_of_the_api():
    sessions = [session(dt.date(2026, 11, 24), pains=[pain(3)])]
    now = dt.datetime(2026, 12, 2, 9, tzinfo=dt.timezone.utc)
    doc = export.document("p1", "Alex", sessions, {SEATED: Plan(30, 3)}, CAT, now)
    assert doc["person"] == {"id": "p1", "name": "Alex"}
    assert doc["sessions"][0]["sides"][0] == {
        "routine": SEATED, "routine_name": "seated single leg stretch", "side": "left",
        "holds": 2, "seconds": 60, "level": 0, "top_level": 1}
    assert doc["sessions"][0]["pains"][0]["rating"] == 3
    assert doc["plan"] == [{"routine": SEATED, "seconds": 30, "reps": 3}]
    assert doc["streak_weeks"] == 1
    rows = list(csv.reader(io.StringIO(export.csv_text(sessions))))
    assert rows[0] == list(export.CSV_COLUMNS)
    assert [r[0] for r in rows[1:]] == ["side", "pain"]


def test_csv_cells_never_run_as_formulas():
    record = SessionRecord(started=dt.datetime(2026, 11, 24, 18), end="=cmd|' /C calc'!A0",
                           sides=(SideDone("@SUM(1)", "-left", 1, 30, 0),))
    text = export.csv_text([record])
    row = list(csv.reader(io.StringIO(text)))[1]
    assert row[2] == "'@SUM(1)" and row[3] == "'-left" and row[-1].startswith("'=")
