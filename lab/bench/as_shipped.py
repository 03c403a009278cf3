"""Parts of our server put back to Rasa as shipped, for the A/B set-ups of lab/bench/load.py and
lab/experiments/store_cost.py. The product has no switch for these: the lab builds the
alternatives here, from the product's own classes.

- :class:`RestInput`: our REST channel, putting only the patches its credentials name on Rasa
  (components/rasa_patches.py), e.g. ``patches: [bounded_wait]``.
- :class:`RasaSQLTrackerStore`: our tracker store opening SQLite and querying as Rasa's does.
- :func:`credentials` and :func:`sqlite_store`: the YAML that starts a Rasa server with them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, Iterable, Optional, Text

from components import rasa_patches
from components.channels import GuardedRestInput
from components.stores import CheckedSQLTrackerStore


class RestInput(GuardedRestInput):
    """Our REST channel with the Rasa patches its credentials name (``patches``; all if absent)."""

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> "RestInput":
        channel = cls()
        channel.patches = tuple((credentials or {}).get("patches", rasa_patches.ALL))
        return channel


class RasaSQLTrackerStore(CheckedSQLTrackerStore):
    """Our store with SQLite opened as Rasa opens it (a new connection per read and save,
    rollback journal) and Rasa's ORM queries and rows."""

    TUNE_SQLITE = False
    PLAIN_SQL = False


def credentials(patches: Iterable[str]) -> str:
    """credentials.yml for a Rasa server whose only channel is REST, with these patches on."""
    names = ", ".join(patches)
    return f"{__name__}.RestInput:\n  patches: [{names}]\n"


def sqlite_store(db: Path) -> str:
    """The tracker store part of endpoints.yml: Rasa's way of using an SQLite file at ``db``."""
    return (f"tracker_store:\n  type: {__name__}.RasaSQLTrackerStore\n"
            f"  dialect: sqlite\n  db: {db}\n")
