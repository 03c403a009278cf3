"""A person's history as the history API gives it (docs/history.md): the JSON document and the
CSV export. Pure: the sessions (times in the server's time zone, with its offset), the plans and
now come in as arguments."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Optional, Sequence

from .catalogue import Catalogue
from .history import Plan, SessionRecord, base_plan
from .summaries import streak, weeks

CSV_COLUMNS = ("kind", "started", "routine", "side", "holds", "seconds", "level", "rating", "sharp",
               "step", "action", "end")


def _iso(moment: Optional[dt.datetime]) -> Optional[str]:
    return moment.isoformat() if moment else None


def _session(s: SessionRecord, cat: Catalogue) -> dict:
    def routine_name(key: Optional[str]) -> Optional[str]:
        return cat[key].name if key in cat.variants else None

    return {
        "started": _iso(s.started), "ended": _iso(s.ended), "end": s.end, "partner": s.partner,
        "holds": s.holds, "seconds": s.seconds,
        "sides": [{"routine": d.variant, "routine_name": routine_name(d.variant), "side": d.side,
                   "holds": d.holds, "seconds": d.seconds, "level": d.level,
                   "top_level": cat[d.variant].top_level if d.variant in cat.variants else None}
                  for d in s.sides],
        "pains": [{"at": _iso(p.at), "rating": p.rating, "sharp": p.sharp, "routine": p.variant,
                   "side": p.side, "step": p.step, "action": p.action} for p in s.pains],
    }


def document(person: str, name: str, sessions: Sequence[SessionRecord], plans: dict[str, Plan],
             cat: Catalogue, now: dt.datetime) -> dict:
    """The JSON document of one person's history, oldest session first."""
    week_counts = weeks([s.started.date() for s in sessions], now.date())
    return {
        "person": {"id": person, "name": name},
        "now": now.isoformat(),
        "sessions": [_session(s, cat) for s in sessions],
        "weeks": week_counts,
        "streak_weeks": streak(week_counts),
        "plan": [{"routine": k, "seconds": p.seconds, "reps": p.reps}
                 for k, p in sorted(plans.items())
                 if k in cat.variants and p != base_plan(k, cat)],
    }


def _cell(value: object) -> str:
    """A CSV cell a spreadsheet will not run as a formula."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def csv_text(sessions: Sequence[SessionRecord]) -> str:
    """One row per side done and per pain report, with a header row."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for s in sessions:
        started = _iso(s.started)
        for d in s.sides:
            writer.writerow([_cell(v) for v in ("side", started, d.variant, d.side, d.holds,
                                                 d.seconds, d.level, None, None, None, None, s.end)])
        for p in s.pains:
            writer.writerow([_cell(v) for v in ("pain", started, p.variant, p.side, None, None,
                                                 None, p.rating, p.sharp, p.step, p.action, s.end)])
    return out.getvalue()
