"""The embedded default: OutcomeEvents as JSON lines in a local file.

One event per line (the CloudEvents JSON form), appended. When the file passes
``max_bytes`` it is rotated once to ``<name>.1`` so disk use stays bounded. Lines are
flushed to the OS after every batch and fsync'ed at shutdown.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import IO

from otel_agents.event import OutcomeEvent

_logger = logging.getLogger("otel_agents")


class JsonLinesOutcomeLog:
    """Append OutcomeEvents to ``path`` (an ``OutcomeSink``).

    sink = JsonLinesOutcomeLog(".otel-agents/outcomes.jsonl")
    """

    def __init__(self, path: str | os.PathLike[str], max_bytes: int = 100 * 1024 * 1024) -> None:
        self.path = Path(path)
        self._max_bytes = max_bytes
        self._lock = threading.Lock()
        self._file: IO[bytes] | None = None
        self.written = 0
        self.failed = 0

    def _open(self) -> IO[bytes]:
        if self._file is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._file = open(self.path, "ab")  # noqa: SIM115 - kept open across batches
        return self._file

    def export_events(self, events: Sequence[OutcomeEvent]) -> None:
        lines = b"".join(event.to_json_bytes() + b"\n" for event in events)
        with self._lock:
            try:
                handle = self._open()
                handle.write(lines)
                handle.flush()
                self.written += len(events)
                if handle.tell() > self._max_bytes:
                    self._rotate()
            except OSError:
                self.failed += len(events)
                _logger.exception("otel-agents: could not write the outcome log %s", self.path)

    def _rotate(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
        os.replace(self.path, self.path.with_name(self.path.name + ".1"))

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        with self._lock:
            if self._file is not None:
                self._file.flush()
        return True

    def shutdown(self) -> None:
        with self._lock:
            if self._file is not None:
                try:
                    self._file.flush()
                    os.fsync(self._file.fileno())
                finally:
                    self._file.close()
                    self._file = None
