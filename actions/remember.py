"""The actions' side of the history (docs/history.md): who the device is, reading a person's history
once (when they are named or their device's last pair is recognised), writing the session at each
pain report, finished pass and end, and deleting on "forget me".

A failing history database never stops the coaching: each call here logs the failure (its kind,
never a name, a pain or a device id) and the session goes on without history.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Tracker

from components import settings as glue_settings
from components.history_store import HistoryStore, store
from stretch_coach import catalogue, history, machine, people
from stretch_coach import contract as C
from stretch_coach.timing import Clock

from .settings import Settings

logger = logging.getLogger(__name__)
DEVICE_ID = re.compile(r"^[0-9a-f]{64}$")


def device_of(tracker: Tracker) -> Optional[Text]:
    """The device id (the secret's hash, put there by the guarded channels) of the latest message."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            value = (event.get("metadata") or {}).get(C.DEVICE_ID)
            return value if isinstance(value, str) and DEVICE_ID.match(value) else None
    return None


def _store() -> Optional[HistoryStore]:
    try:
        return store(glue_settings.history_url())
    except Exception as e:  # noqa: BLE001 - no history rather than no coach
        logger.error("The history database is unreachable: %s", type(e).__name__)
        return None


def _failed(what: str, e: Exception) -> None:
    logger.error("History: could not %s (%s)", what, type(e).__name__)


def local(moment: dt.datetime) -> dt.datetime:
    """A stored UTC time in the server's time zone (naive), as people count days."""
    return moment.replace(tzinfo=dt.timezone.utc).astimezone().replace(tzinfo=None)


def _local_record(r: history.SessionRecord) -> history.SessionRecord:
    return history.SessionRecord(
        started=local(r.started), ended=local(r.ended) if r.ended else None, end=r.end,
        partner=r.partner, sides=r.sides,
        pains=tuple(history.PainReport(local(p.at), p.rating, p.sharp, p.variant, p.side, p.step,
                                       p.action) for p in r.pains))


def memory_of(db: HistoryStore, person: str, name: str, cfg: Settings) -> Dict[Text, Any]:
    """What the session keeps about a person: one read of their last session and their plans."""
    last = db.last_session(person)
    plans, changes = db.plans(person)
    today = local(cfg.calendar()).date()
    return history.remember(person, name, _local_record(last) if last else None, plans, changes,
                            catalogue.default(), today).to_dict()


def recognise(state: machine.State, device: Optional[Text], cfg: Settings
              ) -> Optional[machine.Event]:
    """At a conversation's first turn from a device: the pair it saw last, with their memory."""
    if state.known or device is None or any(state.people):
        return None
    db = _store()
    found: Dict[Text, Any] = {}
    try:
        if db is not None:
            for partner, entry in enumerate(db.pair(device)):
                if entry:
                    found[str(partner)] = {"name": entry[1],
                                           "memory": memory_of(db, entry[0], entry[1], cfg)}
    except Exception as e:  # noqa: BLE001
        _failed("read the device's pair", e)
    return machine.Event(machine.RECOGNISE, people=found)


def introduce(text: Text, device: Optional[Text], state: machine.State, cfg: Settings
              ) -> machine.Event:
    """The introduce event: the names said (checked), each with their memory when the device lets
    us keep one."""
    names = people.parse(text)
    found: Dict[Text, Any] = {}
    db = _store() if device else None
    for key in ("stretcher", "helper", "turn"):
        name = getattr(names, key)
        if not name:
            continue
        entry: Dict[Text, Any] = {"name": name, "memory": None}
        try:
            if db is not None and device is not None:
                person = db.person(device, name)
                entry["memory"] = memory_of(db, person, name, cfg)
        except Exception as e:  # noqa: BLE001
            _failed("read a person", e)
        found[key] = entry
    return machine.Event(C.INTRODUCE, people=found)


def remember_pair(new: machine.State, device: Optional[Text]) -> None:
    """The device keeps the pair it saw last (after names changed)."""
    db = _store() if device else None
    if db is None or device is None:
        return
    ids = [(m or {}).get("person") for m in new.memory]
    try:
        db.remember_pair(device, ids[0], ids[1])
    except Exception as e:  # noqa: BLE001
        _failed("remember the device's pair", e)


def _wall(coach_time: float, clock: Clock, cfg: Settings) -> dt.datetime:
    real = clock.to_real(coach_time) + cfg.clock_offset
    return dt.datetime.utcfromtimestamp(real).replace(microsecond=0)


def record_of(state: machine.State, partner: int, clock: Clock, cfg: Settings
              ) -> history.SessionRecord:
    """The partner's session as the history keeps it."""
    log = state.log[partner] or {"sides": [], "pains": []}
    ended = state.phase == machine.ENDED
    pains = tuple(history.PainReport(_wall(p[6], clock, cfg), p[0], bool(p[1]), p[2], p[3], p[4],
                                     p[5]) for p in log["pains"])
    end = history.OPEN
    if ended:
        end = history.PAIN if pains and pains[-1].action == history.ENDED else history.STOPPED
    started = state.started if state.started is not None else clock.now()
    return history.SessionRecord(
        started=_wall(started, clock, cfg), ended=cfg.calendar() if ended else None, end=end,
        partner=state.people[1 - partner],
        sides=tuple(history.SideDone(*row) for row in log["sides"]), pains=pains)


def _changed(old: machine.State, new: machine.State, partner: int) -> bool:
    """Worth a write: a pain report, a finished pass, or the end of the session."""
    if new.log[partner] is None:
        return False
    old_pains = (old.log[partner] or {}).get("pains", [])
    ended = new.phase == machine.ENDED and old.phase != machine.ENDED
    return ended or new.log[partner]["pains"] != old_pains or len(new.done) > len(old.done)


def persist(old: machine.State, new: machine.State, conversation: Text, clock: Clock,
            cfg: Settings) -> None:
    """Write each remembered partner's session when it changed in a way worth keeping."""
    for partner in (0, 1):
        mem = new.memory[partner]
        if not mem or not _changed(old, new, partner):
            continue
        db = _store()
        if db is None:
            return
        try:
            record = record_of(new, partner, clock, cfg)
            plans = None
            if record.end != history.OPEN:
                plans = history.next_plans(db.plans(mem["person"])[0], record, catalogue.default())
            db.save(mem["person"], conversation, record, plans)
        except Exception as e:  # noqa: BLE001
            _failed("write a session", e)


def forget(person: Text, conversation: Text) -> Optional[List[Text]]:
    """Delete the person's rows; the conversations whose stored events must go too (None: the
    history could not be reached, nothing was deleted)."""
    db = _store()
    if db is None:
        return None
    try:
        return sorted({*db.forget(person), conversation})
    except Exception as e:  # noqa: BLE001
        _failed("forget a person", e)
        return None


def sessions_of(person: Text) -> Optional[List[history.SessionRecord]]:
    """The person's sessions in local time, or None when the history cannot be read."""
    db = _store()
    try:
        return [_local_record(r) for r in db.sessions(person)] if db else None
    except Exception as e:  # noqa: BLE001
        _failed("read the sessions", e)
        return None
