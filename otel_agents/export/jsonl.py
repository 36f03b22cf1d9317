"""The embedded default: OutcomeEvents as JSON lines in a local file.

One event per line (the CloudEvents JSON form), appended. When the file passes
``max_bytes`` it is rotated to ``<name>.1`` … ``<name>.<keep>`` so disk use stays bounded
(``OTEL_AGENTS_OUTCOME_LOG_MAX_BYTES``, ``OTEL_AGENTS_OUTCOME_LOG_KEEP``); events deleted
with the oldest file are counted in ``Telemetry.stats()``. Lines are written in whole
lines, up to 256 KiB at a time, after every batch, and fsync'ed at shutdown.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING

from otel_agents.export._jsonl_file import JsonLinesFile

if TYPE_CHECKING:
    from pathlib import Path

    from otel_agents.events.outcome import OutcomeEvent


_BUFFER_BYTES = 256 * 1024
_NEWLINE = ord("\n")


class JsonLinesOutcomeLog:
    """Append OutcomeEvents to ``path`` (an ``OutcomeSink``).

    sink = JsonLinesOutcomeLog(".otel-agents/outcomes.jsonl")

    ``share_json=True`` leaves each event's JSON on the event, for other sinks that
    serialise it too (Kafka); by default it is freed as soon as it is written.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        max_bytes: int = 100 * 1024 * 1024,
        keep: int = 1,
        share_json: bool = False,
    ) -> None:
        self._file = JsonLinesFile(path, "outcome log", max_bytes, keep)
        #: Leave each event's JSON on the event for another sink that serialises it.
        self.share_json = share_json
        # Lines are copied into a buffer kept for the sink's life and written from it
        # whenever it is full: each event's bytes are freed as soon as they are copied.
        # Holding a whole batch of them (~1 MB) made the C allocator grow and trim its heap
        # once per batch: a page fault every few events.
        # A list, not a lock: a concurrent caller (rare) pops none and makes its own, and
        # fork never copies a lock held by a writing thread.
        self._spare_buffers: list[bytearray] = []

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
        spares = self._spare_buffers
        buffer = spares.pop() if spares else bytearray(_BUFFER_BYTES)
        file, keep = self._file, self.share_json
        used = lines = 0
        try:
            for event in events:
                # One by one: an event that cannot be written must not take its batch along.
                try:
                    line = event.to_json_bytes(keep=keep)
                except Exception as exc:
                    file.count_failure(f"an event could not be serialised ({exc!r})")
                    continue
                end = used + len(line) + 1
                if end > _BUFFER_BYTES:
                    if lines:
                        file.append(memoryview(buffer)[:used], lines)
                        used = lines = 0
                    end = len(line) + 1
                    if end > _BUFFER_BYTES:  # larger than the buffer: written by itself
                        file.append(line + b"\n", 1)
                        continue
                buffer[used : end - 1] = line
                buffer[end - 1] = _NEWLINE
                used, lines = end, lines + 1
            if lines:
                file.append(memoryview(buffer)[:used], lines)
        finally:
            spares.append(buffer)

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        self._file.flush()
        return True

    def shutdown(self) -> None:
        self._file.close()
