"""An append-only JSON-lines file: the outcome log and the feedback log both use it.

Each batch is written in one ``write`` and flushed, so a follower (``otel-agents monitor``)
never sees half a record. Past ``max_bytes`` the file is rotated once to ``<name>.1`` so
disk use stays bounded; ``close()`` fsyncs.
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path
from typing import IO

_logger = logging.getLogger("otel_agents")


class JsonLinesFile:
    """Thread-safe appender of newline-terminated records.

    log = JsonLinesFile(Path(".otel-agents/outcomes.jsonl"), "outcome log")
    log.append(b'{"a":1}\\n', records=1)
    """

    def __init__(self, path: Path, what: str, max_bytes: int = 100 * 1024 * 1024) -> None:
        self.path = path
        self._what = what
        self._max_bytes = max_bytes
        self._lock = threading.Lock()
        self._file: IO[bytes] | None = None
        self.written = 0
        self.failed = 0

    def append(self, lines: bytes, records: int) -> bool:
        """Write ``records`` complete lines; False (counted and logged) if the disk refused."""
        with self._lock:
            try:
                if self._file is None:
                    self.path.parent.mkdir(parents=True, exist_ok=True)
                    self._file = open(self.path, "ab")  # noqa: SIM115 - kept open across writes
                self._file.write(lines)
                self._file.flush()
                self.written += records
                if self._file.tell() > self._max_bytes:
                    self._rotate()
                return True
            except OSError:
                self.failed += records
                _logger.exception("otel-agents: could not write the %s %s", self._what, self.path)
                return False

    def _rotate(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
        os.replace(self.path, self.path.with_name(self.path.name + ".1"))

    def flush(self) -> None:
        with self._lock:
            if self._file is not None:
                self._file.flush()

    def close(self) -> None:
        with self._lock:
            if self._file is None:
                return
            try:
                self._file.flush()
                os.fsync(self._file.fileno())
            except OSError:
                _logger.exception("otel-agents: could not sync the %s %s", self._what, self.path)
            finally:
                self._file.close()
                self._file = None
