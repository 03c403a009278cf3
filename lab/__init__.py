"""The lab: benchmarks (``lab/bench``, behind the ``make bench*`` targets), experiments worth
re-running (``lab/experiments``), the test and benchmark harness (``lab/harness``), synthetic speech
(``lab/speech``) and the shared figures helpers. Not the product: nothing outside ``lab/`` and
``tests/`` imports it."""
