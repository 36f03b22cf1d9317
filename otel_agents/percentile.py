"""The one percentile rule every figure of otel-agents uses (status, monitor, Kafka stats).

percentile([120.0, 80.0, 95.0], 0.95)   # 120.0
"""

from __future__ import annotations

import math
from collections.abc import Iterable


def percentile(values: Iterable[float], q: float) -> float | None:
    """Nearest-rank percentile (``q`` in 0..1): always a value that was observed."""
    ordered = sorted(values)
    if not ordered:
        return None
    return ordered[max(0, min(len(ordered), math.ceil(q * len(ordered))) - 1)]
