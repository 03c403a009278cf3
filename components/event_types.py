"""Rasa's lookup of an event class by its type name, from a map instead of a walk over classes.

Every event read from the tracker store (and every event an action returns) is turned back into
its class by ``Event.resolve_by_type`` (``rasa/shared/core/events.py``), which walks all the
subclasses of ``Event`` (``all_subclasses``, recursively) for every event: a profile of the Rasa
server under load put a tenth of its time there (docs/load.md). :func:`resolve_by_type` keeps a
name -> class map built from the same walk, in the same order, so the first class with that
``type_name`` is the one returned, as in Rasa. A name not in the map walks the subclasses again (a
class imported since) before giving Rasa's answer (``default``, ``None`` for the old "topic"
event, or ``ValueError``).

Importing this changes nothing: components/rasa_patches.py puts it on ``Event`` when the server
starts.
"""

from __future__ import annotations

from typing import Dict, Optional, Text, Type

from rasa.shared.core.events import Event
from rasa.shared.utils.common import all_subclasses

# Rasa's own function, even if this module is imported again while ours is on Event (ours carries
# Rasa's as ``rasa_original``).
RASA_RESOLVE = getattr(Event.resolve_by_type, "rasa_original", Event.resolve_by_type)
_classes: Dict[Text, Type[Event]] = {}


def _rebuild() -> None:
    """The map from every subclass of Event, first class per type name (Rasa's order)."""
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
