"""The Rasa glue that plugs into Rasa itself: our NLU components, the fault policy, the guarded
channels, the tracker store, and our patches to Rasa's internals (rasa_patches.py)."""
