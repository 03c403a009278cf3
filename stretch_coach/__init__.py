"""Stretch Coach: the coach itself (catalogue, state machine, timing, safety). No Rasa imports."""
