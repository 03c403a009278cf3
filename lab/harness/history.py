"""A made-up history for the page's tests and its benchmark: a person's sessions on a regular
calendar (Monday, Wednesday, Friday evenings), written straight into the history tables
(components/history_store.py) under a device's secret, as the coach would have written them."""

from __future__ import annotations

import datetime as dt
import random
from typing import Optional

from components.channels import device_id
from components.history_store import HistoryStore
from stretch_coach import catalogue
from stretch_coach.history import ENDED, GENTLER, PAIN, STOPPED, PainReport, SessionRecord, SideDone

ROUTINES = [("seated_single_leg", ("right", "left")), ("single_leg_kneeling", ("right", "left")),
            ("standing_double_leg", ("both",)), ("wrist_pull", ("both",))]
DAYS = (0, 2, 4)  # Monday, Wednesday, Friday
PAIN_EVERY = 7    # one session in about seven has a pain report


def session(started: dt.datetime, n: int, rng: random.Random) -> SessionRecord:
    """The ``n``-th session: two routines, every side of each, now and then a pain report."""
    sides, pains = [], []
    cat = catalogue.default()
    for variant, its_sides in (ROUTINES[n % 4], ROUTINES[(n + 1) % 4]):
        for side in its_sides:
            holds = rng.randint(2, 3)
            level = min(cat[variant].top_level, n // 20 + rng.randint(0, 1))
            sides.append(SideDone(variant, side, holds, holds * rng.choice((15, 20, 30)), level))
    if rng.randrange(PAIN_EVERY) == 0:
        variant, side = sides[0].variant, sides[-1].side
        rating = rng.randint(1, 6)
        sharp = rng.random() < 0.2
        pains.append(PainReport(started + dt.timedelta(minutes=9), rating, sharp, variant, side,
                                rng.randint(2, 3), ENDED if sharp or rating >= 4 else GENTLER))
    end = PAIN if any(p.action == ENDED for p in pains) else STOPPED
    return SessionRecord(started=started, ended=started + dt.timedelta(minutes=20), end=end,
                         partner="Sam", sides=tuple(sides), pains=tuple(pains))


def fill(url: str, secret: str, name: str, weeks: int, per_week: int = 3,
         now: Optional[dt.datetime] = None, seed: int = 7) -> str:
    """Write ``weeks`` weeks of ``per_week`` sessions for ``name`` on the device of ``secret``
    (its partner Sam is named too), ending this week; returns the person's id."""
    db = HistoryStore(url)
    device = device_id(secret)
    assert device is not None, "not a device secret"
    person, partner = db.person(device, name), db.person(device, "Sam")
    db.remember_pair(device, person, partner)
    now = now or dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    monday = (now - dt.timedelta(days=now.weekday())).replace(hour=18, minute=0, second=0,
                                                               microsecond=0)
    rng = random.Random(seed)
    n = 0
    for week in range(weeks - 1, -1, -1):
        for day in DAYS[:per_week]:
            started = monday - dt.timedelta(weeks=week) + dt.timedelta(days=day)
            if started < now:
                db.save(person, f"made-up-{person[:8]}-{n}", session(started, n, rng))
                n += 1
    db.engine.dispose()
    return person
