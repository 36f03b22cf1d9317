"""Column expressions the metrics and learning records share."""

from __future__ import annotations

from pyspark.sql import Column
from pyspark.sql import functions as F

from otel_agents.analytics.records import ID_SEPARATOR

#: How window bounds are written: RFC 3339, UTC (the session's time zone), milliseconds.
TIME_FORMAT = "yyyy-MM-dd'T'HH:mm:ss.SSS'Z'"


def window_id_column(label: str, *parts: Column | str) -> Column:
    """SQL twin of ``records.window_id``: 32 hex digits of SHA-256 over label and parts."""
    texts = [
        F.coalesce((F.col(p) if isinstance(p, str) else p).cast("string"), F.lit("")) for p in parts
    ]
    return F.substring(F.sha2(F.concat_ws(ID_SEPARATOR, F.lit(label), *texts), 256), 1, 32)
