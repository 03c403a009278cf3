"""The safety detector's data and training (``python -m lab.safety.train``): phrases, voices and
rooms that the benchmark and the tests never use."""
