"""Answers about a person's history ("how did I do last time?", "how am I doing this week?", "how
many sessions this month?") as a domain response and its arguments, and the weeks and streak the
page charts. Pure: the sessions and today's date come in as arguments."""

from __future__ import annotations

import datetime as dt
from typing import Optional, Sequence

from .catalogue import Catalogue
from .history import SIDE_WORDS, SessionRecord, when

LAST, WEEK, MONTH = "last", "week", "month"


def period_of(text: str) -> str:
    """Which question: this week, this month, or (by default) last time."""
    words = (text or "").lower()
    if "month" in words:
        return MONTH
    if "week" in words or "streak" in words or "in a row" in words:
        return WEEK
    return LAST


def monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def last_time(sessions: Sequence[SessionRecord], cat: Catalogue, today: dt.date
              ) -> tuple[str, dict]:
    """One or two sentences about the latest session."""
    if not sessions:
        return "utter_history_none", {}
    last = sessions[-1]
    args = {"when": when(last.started.date(), today), "seconds": last.seconds}
    pain = last.worst_pain
    if pain is None:
        return "utter_history_last", args
    args["where"] = SIDE_WORDS.get(pain.side or "both", "legs")
    if pain.sharp:
        return "utter_history_last_sharp", args
    if pain.rating is None:
        return "utter_history_last_unrated", args
    return "utter_history_last_pain", {**args, "rating": pain.rating}


def this_week(sessions: Sequence[SessionRecord], today: dt.date) -> list[tuple[str, dict]]:
    """This week's sessions and seconds held, and the streak when it is two weeks or more."""
    start = monday(today)
    week = [s for s in sessions if start <= s.started.date() <= today]
    said: list[tuple[str, dict]] = []
    seconds = sum(s.seconds for s in week)
    if not week:
        said.append(("utter_history_week_none", {}))
    elif len(week) == 1:
        said.append(("utter_history_week_once", {"seconds": seconds}))
    else:
        said.append(("utter_history_week", {"count": len(week), "seconds": seconds}))
    run = streak(weeks([s.started.date() for s in sessions], today))
    if run >= 2:
        said.append(("utter_history_streak", {"weeks": run}))
    return said


def this_month(sessions: Sequence[SessionRecord], today: dt.date) -> tuple[str, dict]:
    count = sum(1 for s in sessions
                if (s.started.year, s.started.month) == (today.year, today.month)
                and s.started.date() <= today)
    if count == 0:
        return "utter_history_month_none", {}
    if count == 1:
        return "utter_history_month_once", {}
    return "utter_history_month", {"count": count}


def weeks(days: Sequence[dt.date], today: dt.date) -> list[dict]:
    """Every ISO week from the first session's to today's, with its session count."""
    if not days:
        return []
    counts: dict[dt.date, int] = {}
    for day in days:
        counts[monday(day)] = counts.get(monday(day), 0) + 1
    out = []
    week = monday(min(days))
    last: Optional[dt.date] = max(monday(today), monday(max(days)))
    while last is not None and week <= last:
        year, number, _ = week.isocalendar()
        out.append({"week": f"{year}-W{number:02d}", "monday": week.isoformat(),
                    "sessions": counts.get(week, 0)})
        week += dt.timedelta(days=7)
    return out


def streak(week_counts: Sequence[dict]) -> int:
    """Weeks in a row with a session, ending this week (or last week if this one has none yet)."""
    counts = [w["sessions"] for w in week_counts]
    if counts and counts[-1] == 0:
        counts = counts[:-1]
    run = 0
    for c in reversed(counts):
        if c == 0:
            break
        run += 1
    return run


def answer(period: str, sessions: Sequence[SessionRecord], cat: Catalogue, today: dt.date
           ) -> list[tuple[str, dict]]:
    """The sentences that answer a question about ``period``."""
    if period == WEEK:
        return this_week(sessions, today)
    if period == MONTH:
        return [this_month(sessions, today)]
    return [last_time(sessions, cat, today)]
