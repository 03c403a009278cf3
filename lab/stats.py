"""The one percentile the lab reports: nearest rank on the sorted values, so that a p95 is a value
that was measured, not an interpolation between two."""

from __future__ import annotations

from typing import Iterable, Optional


def percentile(values: Iterable[float], q: float) -> Optional[float]:
    """The ``q`` quantile (0..1) of ``values`` by nearest rank; None when there are none."""
    xs = sorted(values)
    if not xs:
        return None
    return xs[min(len(xs) - 1, int(round(q * (len(xs) - 1))))]


def median_p95(values: Iterable[float], digits: int = 1) -> dict[str, Optional[float]]:
    """``{"median", "p95", "n"}`` of ``values``, rounded to ``digits``."""
    xs = list(values)
    out: dict[str, Optional[float]] = {"n": len(xs)}
    for name, q in (("median", 0.5), ("p95", 0.95)):
        v = percentile(xs, q)
        out[name] = None if v is None else round(v, digits)
    return out
