"""Rasa's event lookup by type name, cached: measured as about a tenth of a turn's time.

Every event read from the tracker store (and every event an action returns) is turned back into
its class by ``Event.resolve_by_type`` (``rasa/shared/core/events.py``), which walks all the
subclasses of ``Event`` (``all_subclasses``, recursively, with an ``inspect.isabstract`` check each)
for every event: py-spy put it at 11 % of the Rasa server's time under load (lab/bench/load.py, our
bot on SQLite). This keeps a name -> class map built from the same walk, in the same order, so the
first class with that ``type_name`` is the one returned, as in Rasa. A name not in the map walks the
subclasses again (a class imported since) before giving Rasa's answer (``default``, ``None`` for
the old "topic" event, or ``ValueError``). ``STRETCH_CACHED_EVENT_TYPES=0`` turns it off
(lab/bench/load.py measures both). Applied on import: components.channels imports it.
"""

from __future__ import annotations

import os
from typing import Dict, Optional, Text, Type

from rasa.shared.core.events import Event
from rasa.shared.utils.common import all_subclasses

# Rasa's own function (also when this module is reloaded after patching it)
RASA_RESOLVE = getattr(Event.resolve_by_type, "rasa_original", Event.resolve_by_type)
_classes: Dict[Text, Type[Event]] = {}


def _rebuild() -> None:
    found: Dict[Text, Type[Event]] = {}
    for cls in all_subclasses(Event):
        found.setdefault(cls.type_name, cls)
    _classes.clear()
    _classes.update(found)


def resolve_by_type(type_name: Text, default: Optional[Type[Event]] = None) -> Optional[Type[Event]]:
    """``Event.resolve_by_type`` from a map instead of walking the subclasses each time."""
    cls = _classes.get(type_name)
    if cls is None:
        _rebuild()
        cls = _classes.get(type_name)
    if cls is not None:
        return cls
    return RASA_RESOLVE(type_name, default)


resolve_by_type.rasa_original = RASA_RESOLVE  # type: ignore[attr-defined]


def apply() -> None:
    """Put the cached lookup on Rasa's Event (unless STRETCH_CACHED_EVENT_TYPES=0)."""
    cached = os.environ.get("STRETCH_CACHED_EVENT_TYPES", "1") != "0"
    Event.resolve_by_type = staticmethod(resolve_by_type if cached else RASA_RESOLVE)


apply()
