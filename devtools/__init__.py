"""Development harness and evaluation code: real servers for tests and benchmarks, synthetic
speech, NLU evaluation, and the retired pocketsphinx recogniser kept as the benchmark baseline.
Not part of the product: nothing in stretch_coach, actions, components or the clients imports it."""
