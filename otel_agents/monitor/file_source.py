"""Follow local JSON-lines logs (the outcome log, the feedback log) as they grow.

    source = FileSource([Path(".otel-agents/outcomes.jsonl")], from_beginning=True)
    for line in source.poll(0.1): state.ingest(line)

Like ``tail -F``: a file that does not exist yet is waited for, and a rotated file (the
outcome log renames itself to ``<name>.1``) is read to its end before the new one is
opened, so no line is lost across a rotation.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import IO

_READ_BYTES = 1 << 20
#: A "line" longer than this without a newline is cut and counted as malformed.
_MAX_LINE = 8 << 20
#: A last line still without its newline after this long was cut off (the writer writes
#: each batch of whole lines in one write): it is handed on, and counts as malformed.
_TORN_AFTER_S = 1.0


class _Follower:
    def __init__(self, path: Path, from_beginning: bool) -> None:
        self.path = path
        # "From now" skips what the file holds at start-up; a file that appears later
        # (first write, rotation) is new data and is read from its start.
        self._skip_existing = not from_beginning and path.exists()
        self._file: IO[bytes] | None = None
        self._inode: int | None = None
        self._partial = b""
        self._partial_since = 0.0
        self.at_eof = False
        self.missing = False
        if self._skip_existing:
            self._open()  # "now" is when the monitor starts, not its first poll

    def read(self, out: list[bytes]) -> None:
        if self._file is None and not self._open():
            self.at_eof = True
            return
        handle = self._file
        assert handle is not None
        chunk = handle.read(_READ_BYTES)
        if chunk:
            self.at_eof = False
            data = self._partial + chunk
            lines = data.split(b"\n")
            self._partial = lines.pop()
            self._partial_since = time.monotonic()
            if len(self._partial) > _MAX_LINE:
                out.append(self._partial[:64])  # decodes as malformed: counted, not kept
                self._partial = b""
            out.extend(line for line in lines if line.strip())
            return
        self.at_eof = True
        if self._partial and time.monotonic() - self._partial_since >= _TORN_AFTER_S:
            self._hand_on_partial(out)
        self._check_rotation(out)

    @property
    def caught_up(self) -> bool:
        return self.at_eof and not self._partial

    def _hand_on_partial(self, out: list[bytes]) -> None:
        if self._partial.strip():
            out.append(self._partial)
        self._partial = b""

    def _open(self) -> bool:
        try:
            handle = open(self.path, "rb")  # noqa: SIM115 - kept open while following
        except OSError:
            self.missing = True
            return False
        self.missing = False
        stat = os.fstat(handle.fileno())
        if self._skip_existing:
            self._skip_existing = False
            handle.seek(stat.st_size)
        self._inode = stat.st_ino
        self._file = handle
        return True

    def _check_rotation(self, out: list[bytes]) -> None:
        try:
            stat = os.stat(self.path)
        except OSError:
            return
        handle = self._file
        if handle is None:
            return
        if stat.st_ino != self._inode or stat.st_size < handle.tell():
            # Replaced or truncated: everything of the old file was read (we are at EOF);
            # a line it ended without a newline was cut off, and is counted.
            handle.close()
            self._file = None
            self._hand_on_partial(out)
            self._open()

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


class FileSource:
    """An event source over one or more JSON-lines files."""

    def __init__(self, paths: Sequence[Path], from_beginning: bool = False) -> None:
        self.paths = [Path(p) for p in paths]
        self._followers = [_Follower(p, from_beginning) for p in self.paths]

    def poll(self, timeout: float) -> list[bytes]:
        """New complete lines from every file; waits up to ``timeout`` when there are none."""
        out: list[bytes] = []
        deadline = time.monotonic() + timeout
        while True:
            for follower in self._followers:
                follower.read(out)
            if out or time.monotonic() >= deadline:
                return out
            time.sleep(min(0.05, max(0.0, deadline - time.monotonic())))

    def caught_up(self) -> bool:
        return all(f.caught_up for f in self._followers)

    def describe(self) -> str:
        return "file " + ", ".join(str(p) for p in self.paths)

    def status(self) -> str:
        # Only the first file matters here: a feedback log is absent until feedback is given.
        first = self._followers[0] if self._followers else None
        return f"waiting for {first.path}" if first is not None and first.missing else ""

    def close(self) -> None:
        for follower in self._followers:
            follower.close()
