"""The SQL tracker store of `make cluster`, saying when its database is down.

Rasa wraps every tracker store in its ``FailSafeTrackerStore``: when the database cannot be read it
logs that and runs the turn on an empty conversation, so the coach would answer as if the session
were new and never say it is in trouble. This store marks the turn (``STORE_DOWN``, a context
variable of the task handling the message) and logs which conversation was hit; the guarded
channels (components/channels.py) then answer with the trouble line instead (REST), or after what
was already sent (socket.io). Each turn tries the database again, so the coach picks up where it was
once the database is back: the turns of the outage were never written to it.
"""

from __future__ import annotations

import logging
from contextvars import ContextVar
from typing import Optional, Text

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.trackers import DialogueStateTracker

logger = logging.getLogger(__name__)
STORE_DOWN: ContextVar[bool] = ContextVar("stretch_store_down", default=False)


class CheckedSQLTrackerStore(SQLTrackerStore):
    """``SQLTrackerStore`` (same endpoint settings) that marks the turn when the database fails."""

    def _down(self, what: Text, sender_id: Text, error: Exception) -> None:
        STORE_DOWN.set(True)
        logger.error("The tracker store's database is unreachable: could not %s conversation %s. %s",
                     what, sender_id, str(error).strip().splitlines()[0] if str(error) else error)

    async def retrieve(self, sender_id: Text) -> Optional[DialogueStateTracker]:
        try:
            return await super().retrieve(sender_id)
        except Exception as e:
            self._down("read", sender_id, e)
            raise

    async def save(self, tracker: DialogueStateTracker) -> None:
        try:
            await super().save(tracker)
        except Exception as e:
            self._down("save", tracker.sender_id, e)
            raise
