"""components/event_types.py: the cached ``Event.resolve_by_type`` answers exactly as Rasa's, and
Rasa's events deserialise through it once the patches are on (components/rasa_patches.py)."""

from __future__ import annotations

import pytest
from rasa.shared.core.events import Event, SlotSet, UserUttered
from rasa.shared.utils.common import all_subclasses

from components import event_types, rasa_patches


def test_rasa_resolve_is_rasas_own():
    assert event_types.RASA_RESOLVE.__module__ == "rasa.shared.core.events"


@pytest.mark.parametrize("name", sorted({c.type_name for c in all_subclasses(Event)}))
def test_every_event_type_resolves_as_in_rasa(name):
    assert event_types.resolve_by_type(name) is event_types.RASA_RESOLVE(name)


def test_unknown_names_as_in_rasa():
    assert event_types.resolve_by_type("topic") is None
    assert event_types.resolve_by_type("no-such-event", SlotSet) is SlotSet
    with pytest.raises(ValueError, match="Unknown event name"):
        event_types.resolve_by_type("no-such-event")


def test_a_class_defined_later_is_found():
    class LateEvent(UserUttered):
        type_name = "stretch_test_late_event"

    assert event_types.resolve_by_type("stretch_test_late_event") is LateEvent


def test_events_deserialise_through_it_when_patched():
    rasa_patches.apply(("cached_event_types",))
    try:
        assert Event.resolve_by_type is event_types.resolve_by_type
        event = Event.from_parameters({"event": "slot", "name": "coach", "value": {"phase": "idle"}})
    finally:
        rasa_patches.restore()
    assert event == SlotSet("coach", {"phase": "idle"})
    assert Event.resolve_by_type is event_types.RASA_RESOLVE
