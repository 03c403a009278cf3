"""components/event_types.py: the cached ``Event.resolve_by_type`` answers exactly as Rasa's."""

from __future__ import annotations

import importlib

import pytest
from rasa.shared.core.events import Event, SlotSet, UserUttered
from rasa.shared.utils.common import all_subclasses

from components import event_types


def test_the_cache_is_on_rasa_event():
    assert Event.resolve_by_type is event_types.resolve_by_type
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


def test_events_deserialise_through_it():
    event = Event.from_parameters({"event": "slot", "name": "coach", "value": {"phase": "idle"}})
    assert event == SlotSet("coach", {"phase": "idle"})


def test_switched_off_from_the_environment(monkeypatch):
    try:
        monkeypatch.setenv("STRETCH_CACHED_EVENT_TYPES", "0")
        importlib.reload(event_types)
        assert Event.resolve_by_type is event_types.RASA_RESOLVE
    finally:
        monkeypatch.delenv("STRETCH_CACHED_EVENT_TYPES")
        event_types.apply()
    assert Event.resolve_by_type is event_types.resolve_by_type
