"""The embedded default: OutcomeEvents as JSON lines in a local file.

One event per line (the CloudEvents JSON form), appended. When the file passes
``max_bytes`` it is rotated once to ``<name>.1`` so disk use stays bounded. Lines are
flushed to the OS after every batch and fsync'ed at shutdown.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from otel_agents.events.outcome import OutcomeEvent
from otel_agents.export._jsonl_file import JsonLinesFile


class JsonLinesOutcomeLog:
    """Append OutcomeEvents to ``path`` (an ``OutcomeSink``).

    sink = JsonLinesOutcomeLog(".otel-agents/outcomes.jsonl")
    """

    def __init__(self, path: str | os.PathLike[str], max_bytes: int = 100 * 1024 * 1024) -> None:
        self._file = JsonLinesFile(Path(path), "outcome log", max_bytes)
        self.path = self._file.path

    @property
    def written(self) -> int:
        return self._file.written

    @property
    def failed(self) -> int:
        return self._file.failed

    def export_events(self, events: Sequence[OutcomeEvent]) -> None:
        self._file.append(b"".join(event.to_json_bytes() + b"\n" for event in events), len(events))

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        self._file.flush()
        return True

    def shutdown(self) -> None:
        self._file.close()
