"""The embedded default: OutcomeEvents as JSON lines in a local file.

One event per line (the CloudEvents JSON form), appended. When the file passes
``max_bytes`` it is rotated to ``<name>.1`` … ``<name>.<keep>`` so disk use stays bounded
(``OTEL_AGENTS_OUTCOME_LOG_MAX_BYTES``, ``OTEL_AGENTS_OUTCOME_LOG_KEEP``); events deleted
with the oldest file are counted in ``Telemetry.stats()``. Lines are
flushed to the OS after every batch and fsync'ed at shutdown.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING

from otel_agents.export._jsonl_file import JsonLinesFile

if TYPE_CHECKING:
    from pathlib import Path

    from otel_agents.events.outcome import OutcomeEvent


class JsonLinesOutcomeLog:
    """Append OutcomeEvents to ``path`` (an ``OutcomeSink``).

    sink = JsonLinesOutcomeLog(".otel-agents/outcomes.jsonl")
    """

    def __init__(
        self, path: str | os.PathLike[str], max_bytes: int = 100 * 1024 * 1024, keep: int = 1
    ) -> None:
        self._file = JsonLinesFile(path, "outcome log", max_bytes, keep)

    @property
    def path(self) -> Path:
        """Where the log is written (made on first read: ``configure()`` runs at start-up,
        where pathlib is not loaded otherwise)."""
        from pathlib import Path

        return Path(self._file.path)

    @property
    def rotations(self) -> int:
        return self._file.rotations

    @property
    def rotated_away(self) -> int:
        """Events of this process deleted with the oldest rotated file."""
        return self._file.rotated_away

    @property
    def written(self) -> int:
        return self._file.written

    @property
    def failed(self) -> int:
        return self._file.failed

    def export_events(self, events: Sequence[OutcomeEvent]) -> None:
        lines: list[bytes] = []
        for event in events:
            # One by one: an event that cannot be written must not take its batch along.
            try:
                lines.append(event.to_json_bytes())
            except Exception as exc:
                self._file.count_failure(f"an event could not be serialised ({exc!r})")
        if lines:
            lines.append(b"")  # the last line's newline: one join, no copy per line
            self._file.append(b"\n".join(lines), len(lines) - 1)

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        self._file.flush()
        return True

    def shutdown(self) -> None:
        self._file.close()
