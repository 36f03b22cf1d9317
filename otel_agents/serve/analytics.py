"""``serve --from-analytics``: the windows the Spark job published, read on a thread.

    analytics = AnalyticsFeed(KafkaSource(servers, ["agent-metrics", "agent-learning"]))
    analytics.start()
    analytics.summary()       # what GET /api/v1/analytics answers

The records go into the monitor's ``AnalyticsView`` (newest window per group, bounded), so
``serve`` and ``monitor --from-analytics`` show the same figures. Reading is on a thread of
its own: the live feed's thread keeps its pace whatever these topics hold.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from otel_agents.monitor.analytics_view import AnalyticsView

_logger = logging.getLogger("otel_agents.serve")


class AnalyticsFeed:
    """Owns a source over the analytics topics and the view of their latest windows."""

    def __init__(self, source: Any, view: AnalyticsView | None = None) -> None:
        self.source = source
        self.view = view or AnalyticsView()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self._read, name="otel-agents-serve-analytics", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10.0)
        self.source.close()

    def _read(self) -> None:
        while not self._stop.is_set():
            try:
                batch = self.source.poll(0.2)
            except Exception:
                _logger.exception("otel-agents serve: reading the analytics topics failed")
                self._stop.wait(1.0)
                continue
            if batch:
                with self._lock:
                    for payload in batch:
                        self.view.ingest(payload)  # never raises: bad records are counted

    def summary(self) -> dict[str, Any]:
        """The latest metrics and learning windows by group, and where they come from."""
        with self._lock:
            summary = self.view.summary()
        summary["source"] = self.source.describe()
        return summary
