"""An append-only JSON-lines file: the outcome log and the feedback log both use it.

Each batch is written in one ``write`` and flushed, so a follower (``otel-agents monitor``)
never sees half a record. Past ``max_bytes`` the file is rotated to ``<name>.1`` (older
ones shift to ``.2`` … ``.<keep>``; the oldest is deleted), so disk use stays bounded at
about ``(keep + 1) * max_bytes``; rotations and the records deleted with old files are
counted. ``close()`` fsyncs.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import weakref
from typing import IO

_logger = logging.getLogger("otel_agents")


class JsonLinesFile:
    """Thread-safe appender of newline-terminated records.

    log = JsonLinesFile(".otel-agents/outcomes.jsonl", "outcome log")
    log.append(b'{"a":1}\\n', records=1)
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        what: str,
        max_bytes: int = 100 * 1024 * 1024,
        keep: int = 1,
    ) -> None:
        # A string, not a Path: the outcome log is made at start-up, where pathlib costs
        # ~6 M instructions.
        self.path = os.fspath(path)
        self._what = what
        self._max_bytes = max_bytes
        self._keep = max(1, keep)
        self._lock = threading.Lock()
        self._file: IO[bytes] | None = None
        self.written = 0
        self.failed = 0
        self.rotations = 0
        self._failing = False
        #: Records of this process that left the disk with the oldest rotated file.
        self.rotated_away = 0
        # Records this process wrote into the live file and each rotated one (newest first).
        self._records_in: list[int] = [0]
        _FILES.add(self)

    # A fork copies the lock as it is: taken by a writing thread that does not exist in
    # the child, it would hang the child's first write or flush forever. So fork waits
    # for the lock (no write is then half done), and the child gets a fresh one.
    def _before_fork(self) -> None:
        self._lock.acquire()

    def _after_fork_in_parent(self) -> None:
        self._lock.release()

    def _after_fork_in_child(self) -> None:
        self._lock = threading.Lock()

    def append(self, lines: bytes | memoryview, records: int) -> bool:
        """Write ``records`` complete lines; False (counted, logged once) if the disk refused.

        Unbuffered: a refused write (disk full) leaves no bytes queued in a buffer to merge
        with later lines; a line cut short by it is ended with a newline before the next
        write, so readers see one malformed line and every later event whole.
        """
        with self._lock:
            done = 0
            try:
                if self._file is None:
                    folder = os.path.dirname(self.path)
                    if folder:
                        os.makedirs(folder, exist_ok=True)
                    self._file = open(self.path, "ab", buffering=0)  # noqa: SIM115 - kept open
                    if self._failing:
                        # Only after our own failed write: another process's write in
                        # progress also looks like a line without its newline.
                        self._end_torn_line()
                view = memoryview(lines)
                while done < len(view):
                    done += self._file.write(view[done:]) or 0
                self.written += records
                self._records_in[0] += records
                if self._failing:
                    self._failing = False
                    _logger.warning(
                        "otel-agents: the %s %s is writable again; %d record(s) were lost "
                        "while it was not (counted in stats())",
                        self._what,
                        self.path,
                        self.failed,
                    )
                if self._file.tell() > self._max_bytes:
                    self._rotate()
                return True
            except OSError as exc:
                # The lines that did reach the file.
                whole = bytes(memoryview(lines)[:done]).count(b"\n")
                self.written += whole
                self._records_in[0] += whole
                self.failed += records - whole
                self._close_quietly()  # reopened, and a cut line ended, on the next write
                if not self._failing:
                    self._failing = True
                    _logger.error(
                        "otel-agents: could not write the %s %s (%s); records are counted as "
                        "failed until it is writable again (logged once)",
                        self._what,
                        self.path,
                        exc,
                    )
                return False

    def _end_torn_line(self) -> None:
        assert self._file is not None
        size = os.fstat(self._file.fileno()).st_size
        if size:
            with open(self.path, "rb") as reader:
                reader.seek(size - 1)
                if reader.read(1) != b"\n":
                    self._file.write(b"\n")

    def _close_quietly(self) -> None:
        if self._file is not None:
            with contextlib.suppress(OSError):
                self._file.close()
            self._file = None

    def count_failure(self, why: str) -> None:
        """One record could not be written: counted, and logged the first time."""
        with self._lock:
            self.failed += 1
            first = self.failed == 1
        if first:
            _logger.error("otel-agents: %s; not written to the %s %s", why, self._what, self.path)

    def _rotate(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
        for n in range(self._keep, 0, -1):
            older = self._rotated(n)
            if n == self._keep:
                if os.path.exists(older):
                    os.unlink(older)
                    gone = self._records_in[n] if n < len(self._records_in) else 0
                    self.rotated_away += gone
                    if self.rotated_away == gone and gone:
                        _logger.warning(
                            "otel-agents: the %s rotated away its oldest file (%d records); "
                            "%d file(s) of %d bytes are kept: raise OTEL_AGENTS_OUTCOME_LOG_KEEP "
                            "or OTEL_AGENTS_OUTCOME_LOG_MAX_BYTES to keep more",
                            self._what,
                            gone,
                            self._keep,
                            self._max_bytes,
                        )
                continue
            if os.path.exists(older):
                os.replace(older, self._rotated(n + 1))
        os.replace(self.path, self._rotated(1))
        self._records_in = [0, *self._records_in][: self._keep + 1]
        self.rotations += 1

    def _rotated(self, n: int) -> str:
        return f"{self.path}.{n}"

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


_FILES: weakref.WeakSet[JsonLinesFile] = weakref.WeakSet()


_HELD: list[JsonLinesFile] = []


def _before_fork() -> None:
    _HELD[:] = list(_FILES)
    for log in _HELD:
        log._before_fork()


def _after_fork_in_parent() -> None:
    for log in _HELD:
        log._after_fork_in_parent()
    _HELD.clear()


def _after_fork_in_child() -> None:
    for log in _HELD:
        log._after_fork_in_child()
    _HELD.clear()


os.register_at_fork(
    before=_before_fork, after_in_parent=_after_fork_in_parent, after_in_child=_after_fork_in_child
)
