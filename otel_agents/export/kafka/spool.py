"""A durable, bounded, append-only local spool for Kafka records that could not be delivered.

Layout: one folder holding segment files, named ``<time_ns>-<pid>-<random>`` so that
sorting by name is oldest first. A writer appends to its own ``.part`` segment (holding an
exclusive ``flock`` on it while it lives) and renames it to ``.seg`` when it is full or
closed. A replayer takes sealed segments, and ``.part`` segments whose writer died (the lock
is free), oldest first, under the same lock, and deletes a segment only after every record
in it was acknowledged. Several processes may share one folder.

Segment format: the 8-byte magic ``OASPOOL1``, then records, each ``>II`` (payload length,
CRC-32 of payload) followed by the payload: ``>H`` topic length + topic, ``>i`` key length
(-1 for none) + key, ``>H`` header count + for each ``>H`` name length + name, ``>I`` value
length + value, then the record value. A torn tail (crash mid-write) ends the segment; a
damaged record in the middle is skipped, reported and saved, and the rest is read.

    spool = Spool(Path("/var/lib/app/spool"), max_bytes=256 << 20)
    spool.append(SpoolRecord("agent-outcomes", b"4bf9...", b'{"id": ...}'))
    for segment in spool.claim_segments(): ...
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import struct
import threading
import time
import uuid
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, Literal

_log = logging.getLogger(__name__)

_MAGIC: Final = b"OASPOOL1"
_FRAME: Final = struct.Struct(">II")
_U16: Final = struct.Struct(">H")
_I32: Final = struct.Struct(">i")
_U32: Final = struct.Struct(">I")
_PART: Final = ".part"
_SEALED: Final = ".seg"
#: Interval between fsyncs under the ``interval`` policy.
FSYNC_INTERVAL_S: Final = 1.0
DEFAULT_SEGMENT_BYTES: Final = 4 * 1024 * 1024
# While full, how often the folder is measured again for space other processes freed.
_REMEASURE_FULL_S: Final = 1.0

FsyncPolicy = Literal["always", "interval", "never"]


@dataclass(frozen=True)
class SpoolRecord:
    """One Kafka record, exactly as it would have been produced.

    >>> SpoolRecord.decode(SpoolRecord("t", b"k", b"v").encode()[8:])
    SpoolRecord(topic='t', key=b'k', value=b'v', headers=())
    """

    topic: str
    key: bytes | None
    value: bytes
    headers: Sequence[tuple[str, bytes]] = field(default_factory=tuple)

    def encode(self) -> bytes:
        topic = self.topic.encode()
        parts = [_U16.pack(len(topic)), topic]
        if self.key is None:
            parts.append(_I32.pack(-1))
        else:
            parts += [_I32.pack(len(self.key)), self.key]
        parts.append(_U16.pack(len(self.headers)))
        for name, value in self.headers:
            raw_name = name.encode()
            parts += [_U16.pack(len(raw_name)), raw_name, _U32.pack(len(value)), value]
        parts.append(self.value)
        payload = b"".join(parts)
        return _FRAME.pack(len(payload), zlib.crc32(payload)) + payload

    @classmethod
    def decode(cls, payload: bytes) -> SpoolRecord:
        pos = 0

        def take(n: int) -> bytes:
            nonlocal pos
            chunk = payload[pos : pos + n]
            if len(chunk) != n:
                raise ValueError("truncated spool record")
            pos += n
            return chunk

        topic = take(_U16.unpack(take(2))[0]).decode()
        key_len = _I32.unpack(take(4))[0]
        key = None if key_len < 0 else take(key_len)
        headers = []
        for _ in range(_U16.unpack(take(2))[0]):
            name = take(_U16.unpack(take(2))[0]).decode()
            headers.append((name, take(_U32.unpack(take(4))[0])))
        return cls(topic, key, payload[pos:], tuple(headers))


def _frame_at(data: bytes, pos: int) -> SpoolRecord | None:
    """The record framed at ``pos`` if its length, checksum and fields are intact."""
    if pos + _FRAME.size > len(data):
        return None
    length, crc = _FRAME.unpack_from(data, pos)
    start = pos + _FRAME.size
    if start + length > len(data):
        return None
    payload = data[start : start + length]
    if zlib.crc32(payload) != crc:
        return None
    try:
        return SpoolRecord.decode(payload)
    except (ValueError, UnicodeDecodeError):
        return None


def _next_frame(data: bytes, pos: int) -> int | None:
    """Where the next intact frame starts after damage, or None (torn to the end).

    A CRC-32 match at a wrong offset has odds of 2**-32 per position; most candidate
    lengths exceed what is left, so scanning costs little.
    """
    for candidate in range(pos, len(data) - _FRAME.size + 1):
        if _frame_at(data, candidate) is not None:
            return candidate
    return None


class Segment:
    """A segment claimed by this process for replay; ``done()`` deletes it."""

    def __init__(self, path: Path, fd: int, spool: Spool):
        self.path = path
        self._fd = fd
        self._spool = spool
        #: ``(offset, length)`` of every damaged stretch skipped by the last ``records()``.
        self.damaged: list[tuple[int, int]] = []

    def records(self) -> Iterator[SpoolRecord]:
        """Every intact record, in the order written.

        A damaged record (bad checksum or framing, e.g. a flipped bit on disk) is skipped:
        reading resumes at the next intact frame, the damaged bytes are saved beside the
        ``rejected/`` records and each skip is logged with its offset and recorded in
        ``damaged``. Bytes after the last intact frame are a torn tail (a crash mid-write).
        """
        self.damaged = []
        with os.fdopen(os.dup(self._fd), "rb") as fh:
            fh.seek(0)
            data = fh.read()
        if data[: len(_MAGIC)] != _MAGIC:
            _log.warning("otel-agents spool: %s is not a spool segment; skipped", self.path)
            return
        pos = len(_MAGIC)
        while pos < len(data):
            record = _frame_at(data, pos)
            if record is None:
                resume = _next_frame(data, pos + 1)
                self._note_damage(data, pos, resume)
                if resume is None:
                    return
                pos = resume
                continue
            payload_end = pos + _FRAME.size + _FRAME.unpack_from(data, pos)[0]
            pos = payload_end
            yield record

    def _note_damage(self, data: bytes, start: int, resume: int | None) -> None:
        end = len(data) if resume is None else resume
        if resume is None and self.path.suffix == _PART and not self.damaged:
            # The writer died mid-record: expected after a crash, nothing to keep.
            _log.warning(
                "otel-agents spool: torn record (%d bytes) at the end of %s, offset %d; "
                "dropped (the writer stopped mid-write)",
                end - start,
                self.path,
                start,
            )
            self.damaged.append((start, end - start))
            return
        self.damaged.append((start, end - start))
        kept = self._spool.keep_damaged(self.path, start, data[start:end])
        _log.warning(
            "otel-agents spool: damaged bytes %d..%d of %s (%d bytes, at least one record) "
            "skipped%s; %s",
            start,
            end,
            self.path,
            end - start,
            f" and saved to {kept}" if kept else "",
            "the records after them are replayed" if resume is not None else "end of segment",
        )

    def done(self) -> None:
        """Every record was delivered: delete the segment."""
        with contextlib.suppress(FileNotFoundError):
            size = os.fstat(self._fd).st_size
            self.path.unlink()
            self._spool._forget_bytes(size)
        self.release()

    def release(self) -> None:
        """Give the segment back (unlocked, kept) for a later attempt."""
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


class Spool:
    """Append-only segments in one folder, capped at ``max_bytes`` in total.

    >>> spool = Spool(Path("spool"), max_bytes=256 << 20, fsync="interval")
    >>> spool.append(SpoolRecord("agent-outcomes", b"4bf92f35...", b"{...}"))
    True
    """

    def __init__(
        self,
        directory: Path,
        max_bytes: int,
        fsync: FsyncPolicy = "interval",
        segment_bytes: int = DEFAULT_SEGMENT_BYTES,
    ):
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.max_bytes = max_bytes
        self.fsync = fsync
        self.segment_bytes = segment_bytes
        self.dropped = 0
        self._lock = threading.Lock()
        self._fd = -1
        self._path: Path | None = None
        self._written = 0
        self._dirty = False
        self._last_sync = time.monotonic()
        self._bytes = self._measure()
        self._next_measure = 0.0

    # --- writing -----------------------------------------------------------------------
    def append(self, record: SpoolRecord) -> bool:
        """Write one record; False (and a log line) if the size cap or the disk refused it."""
        data = record.encode()
        with self._lock:
            if self._bytes + len(data) > self.max_bytes:
                # Other processes may have replayed meanwhile. Looked at once a second, not
                # per record: scanning the folder for each one (~50-200 µs) made a full
                # spool slow down the exporter, and through it everything behind it.
                now = time.monotonic()
                if now >= self._next_measure:
                    self._next_measure = now + _REMEASURE_FULL_S
                    self._bytes = self._measure()
                if self._bytes + len(data) > self.max_bytes:
                    return self._drop("the spool is full (%d bytes)", self._bytes)
            try:
                if self._fd < 0 or self._written >= self.segment_bytes:
                    self._seal_locked()
                    self._open_locked()
                os.write(self._fd, data)
            except OSError as exc:
                return self._drop("the spool could not be written (%s)", exc)
            self._written += len(data)
            self._bytes += len(data)
            self._dirty = True
            # Under "interval" the exporter's background thread syncs (maybe_sync): an
            # append may run on an agent's thread, which must not wait on the disk.
            if self.fsync == "always":
                self._sync_locked()
        return True

    def _drop(self, why: str, arg: object) -> bool:
        self.dropped += 1
        # Log the first drop and then every 1000th: a full disk must not flood the log.
        if self.dropped == 1 or self.dropped % 1000 == 0:
            _log.error(
                "otel-agents: dropped %d outcome event(s): %s; raise "
                "OTEL_AGENTS_KAFKA_SPOOL_MAX_BYTES or fix the broker",
                self.dropped,
                why % (arg,),
            )
        return False

    def _open_locked(self) -> None:
        name = f"{time.time_ns():020d}-{os.getpid()}-{uuid.uuid4().hex[:8]}{_PART}"
        path = self.directory / name
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND, 0o600)
        # Held while we live: a replayer that gets this lock knows the writer is gone.
        fcntl.flock(fd, fcntl.LOCK_EX)
        os.write(fd, _MAGIC)
        self._fd, self._path, self._written = fd, path, len(_MAGIC)
        self._bytes += len(_MAGIC)
        if self.fsync != "never":
            self._sync_dir()

    def _sync_locked(self) -> None:
        if self._fd >= 0 and self._dirty:
            os.fsync(self._fd)
        self._dirty = False
        self._last_sync = time.monotonic()

    def _sync_dir(self) -> None:
        # The file's name must be durable too, not only its bytes.
        dir_fd = os.open(self.directory, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)

    def _seal_locked(self) -> None:
        if self._fd < 0 or self._path is None:
            return
        try:
            if self.fsync != "never":
                self._sync_locked()
            sealed = self._path.with_suffix(_SEALED)
            os.rename(self._path, sealed)
            if self.fsync != "never":
                self._sync_dir()
        finally:
            os.close(self._fd)
            self._fd, self._path, self._dirty, self._written = -1, None, False, 0

    @property
    def unsynced(self) -> bool:
        """Appends that ``maybe_sync`` has yet to make durable (``interval`` policy)."""
        return self.fsync == "interval" and self._dirty

    def maybe_sync(self) -> None:
        """Called periodically: under ``interval``, makes recent appends durable."""
        if self.unsynced and time.monotonic() - self._last_sync >= FSYNC_INTERVAL_S:
            with self._lock, contextlib.suppress(OSError):
                self._sync_locked()

    def seal(self) -> None:
        """Close the current segment so it can be replayed."""
        with self._lock, contextlib.suppress(OSError):
            self._seal_locked()

    def close(self) -> None:
        """Make everything durable and seal the current segment."""
        self.seal()

    def after_fork_in_child(self) -> None:
        """The child must not write into the parent's segment: start its own."""
        self._lock = threading.Lock()
        if self._fd >= 0:
            # Closing our copy of the fd leaves the parent's flock in place.
            with contextlib.suppress(OSError):
                os.close(self._fd)
        self._fd, self._path, self._written, self._dirty = -1, None, 0, False

    # --- reading -----------------------------------------------------------------------
    def pending_segments(self) -> list[Path]:
        """Segments that may hold undelivered records, oldest first (our own open one excluded)."""
        own = self._path
        try:
            names = sorted(
                p for p in self.directory.iterdir() if p.suffix in (_SEALED, _PART) and p != own
            )
        except OSError:
            return []
        return names

    def has_pending(self) -> bool:
        return bool(self.pending_segments()) or self._written > len(_MAGIC)

    def claim_segments(self) -> Iterator[Segment]:
        """Lock and yield replayable segments, oldest first; skips those others hold."""
        for path in self.pending_segments():
            try:
                fd = os.open(path, os.O_RDONLY)
            except FileNotFoundError:
                continue
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                # Another replayer may have deleted it between our listing and our lock.
                if os.fstat(fd).st_ino != os.stat(path).st_ino:
                    raise FileNotFoundError(path)
            except OSError:
                os.close(fd)
                continue
            segment = Segment(path, fd, self)
            try:
                yield segment
            finally:
                segment.release()

    def keep_damaged(self, segment: Path, offset: int, data: bytes) -> Path | None:
        """Save damaged bytes of ``segment`` under ``rejected/`` for inspection."""
        folder = self.directory / "rejected"
        target = folder / f"{segment.stem}-at-{offset}.damaged"
        try:
            folder.mkdir(exist_ok=True)
            target.write_bytes(data)
        except OSError:
            return None
        return target

    def _forget_bytes(self, size: int) -> None:
        with self._lock:
            self._bytes = max(0, self._bytes - size)

    def _measure(self) -> int:
        total = 0
        with contextlib.suppress(OSError):
            for entry in os.scandir(self.directory):
                if entry.name.endswith((_SEALED, _PART)):
                    with contextlib.suppress(OSError):
                        total += entry.stat().st_size
        return total

    @property
    def size_bytes(self) -> int:
        """Bytes currently held (approximate across processes)."""
        return self._bytes
