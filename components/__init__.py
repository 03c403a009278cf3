"""Rasa NLU components of ours: thin Rasa glue around `stretch_coach.lexicon` and `stretch_coach.safety`."""
