"""The history API (docs/history.md): a Rasa input channel that only serves GET requests under
``/webhooks/history/``, so the page (through its gateway) can read and export one person's
history. Every request must carry the device secret in ``X-Stretch-Device``; without it, with a
malformed one, or for a person the device does not know, the answer is 403, the same whether the
person exists or not. Registered in credentials.yml; it takes no messages.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import time
from typing import Any, Awaitable, Callable, Optional, Text

from rasa.core.channels.channel import InputChannel
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from stretch_coach import catalogue, export
from stretch_coach.history import PainReport, SessionRecord

from . import settings
from .channels import device_id
from .history_store import HistoryStore, store

logger = logging.getLogger(__name__)
HEADER = "X-Stretch-Device"
PERSON = re.compile(r"^[0-9a-f]{32}$")
NO_STORE = {"Cache-Control": "no-store"}
EXPORTS = {"export.json": "json", "export.csv": "csv"}


def _aware(moment: Optional[dt.datetime]) -> Optional[dt.datetime]:
    """A stored UTC time in the server's time zone, with its offset."""
    return moment.replace(tzinfo=dt.timezone.utc).astimezone() if moment else None


def _aware_record(r: SessionRecord) -> SessionRecord:
    return SessionRecord(started=_aware(r.started), ended=_aware(r.ended), end=r.end,
                         partner=r.partner, sides=r.sides,
                         pains=tuple(PainReport(_aware(p.at), p.rating, p.sharp, p.variant, p.side,
                                                p.step, p.action) for p in r.pains))


def refused(reason: Text) -> HTTPResponse:
    return response.json({"error": reason}, status=403, headers=NO_STORE)


class HistoryInput(InputChannel):
    """``/webhooks/history/...``: people, one person's history, its JSON and CSV export."""

    @classmethod
    def name(cls) -> Text:
        return "history"

    def __init__(self) -> None:
        self._store: Optional[HistoryStore] = None

    def history(self) -> HistoryStore:
        """The store, opened (and upgraded) at the first request if the start could not."""
        if self._store is None:
            self._store = store(settings.history_url())
        return self._store

    def blueprint(self, on_new_message: Callable[[Any], Awaitable[Any]]) -> Blueprint:
        try:
            self.history()   # upgrade the schema as the server starts
        except Exception as e:  # noqa: BLE001 - the chat must start even so
            logger.error("The history database is unreachable at start: %s", type(e).__name__)
        api = Blueprint("stretch_history", __name__)

        @api.route("/people", methods=["GET"])
        async def people(request: Request) -> HTTPResponse:
            device = device_id(request.headers.get(HEADER))
            if device is None:
                return refused("this device's secret is required")
            found = self.history().people(device)
            for p in found:
                p["last"] = _aware(p["last"]).isoformat() if p["last"] else None
            return response.json({"people": found}, headers=NO_STORE)

        @api.route("/people/<person>", methods=["GET"])
        async def one(request: Request, person: Text) -> HTTPResponse:
            return self.answer(request, person, None)

        @api.route("/people/<person>/<file>", methods=["GET"])
        async def download(request: Request, person: Text, file: Text) -> HTTPResponse:
            return self.answer(request, person, EXPORTS.get(file, "unknown"))

        return api

    def answer(self, request: Request, person: Text, kind: Optional[Text]) -> HTTPResponse:
        """One person's history as JSON, or an export (``json`` or ``csv``) to download."""
        device = device_id(request.headers.get(HEADER))
        if device is None:
            return refused("this device's secret is required")
        db = self.history()
        name = db.name_on(device, person) if PERSON.match(person) else None
        if name is None:
            return refused("this device does not know that person")
        sessions = [_aware_record(r) for r in db.sessions(person)]
        if kind == "csv":
            return response.text(export.csv_text(sessions), content_type="text/csv; charset=utf-8",
                                 headers={**NO_STORE, "Content-Disposition":
                                          'attachment; filename="stretch-history.csv"'})
        now = dt.datetime.fromtimestamp(time.time() + settings.clock_offset()).astimezone()
        doc = export.document(person, name, sessions, db.plans(person)[0], catalogue.default(),
                              now.replace(microsecond=0))
        headers = dict(NO_STORE)
        if kind == "json":
            headers["Content-Disposition"] = 'attachment; filename="stretch-history.json"'
        elif kind is not None:
            return response.json({"error": "the exports are export.json and export.csv"},
                                 status=404, headers=NO_STORE)
        return response.json(doc, headers=headers)
