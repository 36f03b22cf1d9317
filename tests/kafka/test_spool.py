"""The durable spool: records survive, come back oldest first, and the cap is enforced."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from otel_agents.export.kafka.spool import Spool, SpoolRecord


def _record(i: int) -> SpoolRecord:
    return SpoolRecord(
        "agent-outcomes",
        f"{i:032x}".encode(),
        b'{"n": %d}' % i,
        (("traceparent", b"00-abc-def-01"), ("schema-version", b"1.0")),
    )


def _read_all(spool: Spool) -> list[SpoolRecord]:
    out: list[SpoolRecord] = []
    for segment in spool.claim_segments():
        out.extend(segment.records())
    return out


def test_records_round_trip_exactly(tmp_path: Path) -> None:
    spool = Spool(tmp_path, max_bytes=1 << 20)
    records = [_record(i) for i in range(50)] + [SpoolRecord("t", None, b"", ())]
    for r in records:
        assert spool.append(r)
    spool.close()
    assert _read_all(Spool(tmp_path, max_bytes=1 << 20)) == records


def test_segments_come_back_oldest_first(tmp_path: Path) -> None:
    spool = Spool(tmp_path, max_bytes=1 << 20, segment_bytes=200)
    for i in range(30):
        spool.append(_record(i))
    spool.close()
    assert len(spool.pending_segments()) > 3
    assert [r.value for r in _read_all(spool)] == [_record(i).value for i in range(30)]


def test_done_deletes_segment_and_frees_space(tmp_path: Path) -> None:
    spool = Spool(tmp_path, max_bytes=1 << 20)
    spool.append(_record(1))
    spool.seal()
    for segment in spool.claim_segments():
        segment.done()
    assert spool.pending_segments() == []
    assert spool.size_bytes == 0


def test_cap_drops_new_records_and_counts_them(tmp_path: Path) -> None:
    spool = Spool(tmp_path, max_bytes=500)
    results = [spool.append(_record(i)) for i in range(20)]
    assert results[0] is True
    assert results[-1] is False
    assert spool.dropped == results.count(False)
    assert spool.size_bytes <= 500


def test_a_full_spool_takes_records_again_once_another_process_replayed(tmp_path: Path) -> None:
    spool = Spool(tmp_path, max_bytes=2000, segment_bytes=400)
    while spool.append(_record(0)):
        pass
    spool.seal()
    replayer = Spool(tmp_path, max_bytes=2000)  # as another process would
    for segment in replayer.claim_segments():
        segment.done()
    time.sleep(1.1)  # a full spool looks at the folder again at most once a second
    assert spool.append(_record(1)) is True


def test_torn_tail_is_ignored(tmp_path: Path) -> None:
    spool = Spool(tmp_path, max_bytes=1 << 20)
    for i in range(3):
        spool.append(_record(i))
    spool.close()
    (segment,) = spool.pending_segments()
    with open(segment, "ab") as fh:
        fh.write(b"\x00\x00\x01\x00garbage")
    assert len(_read_all(spool)) == 3


def test_open_segment_of_a_live_writer_is_not_claimed(tmp_path: Path) -> None:
    writer = Spool(tmp_path, max_bytes=1 << 20)
    writer.append(_record(1))
    reader = Spool(tmp_path, max_bytes=1 << 20)
    assert _read_all(reader) == []
    writer.close()
    assert len(_read_all(reader)) == 1


def test_segment_of_a_killed_writer_is_replayable(tmp_path: Path) -> None:
    code = textwrap.dedent(f"""
        import os, signal
        from otel_agents.export.kafka.spool import Spool, SpoolRecord
        s = Spool({str(tmp_path)!r}, max_bytes=1 << 20, fsync="never")
        for i in range(10):
            s.append(SpoolRecord("t", b"k", b"v%d" % i))
        os.kill(os.getpid(), signal.SIGKILL)
    """)
    proc = subprocess.run([sys.executable, "-c", code], timeout=60)
    assert proc.returncode == -9
    assert [p.suffix for p in Spool(tmp_path, 1 << 20).pending_segments()] == [".part"]
    assert len(_read_all(Spool(tmp_path, max_bytes=1 << 20))) == 10


def test_forked_child_writes_its_own_segment(tmp_path: Path) -> None:
    spool = Spool(tmp_path, max_bytes=1 << 20)
    spool.append(_record(0))
    pid = os.fork()
    if pid == 0:  # child
        try:
            spool.after_fork_in_child()
            spool.append(_record(1))
            spool.close()
        finally:
            os._exit(0)
    os.waitpid(pid, 0)
    spool.close()
    assert len(spool.pending_segments()) == 2
    assert sorted(r.value for r in _read_all(spool)) == sorted([_record(0).value, _record(1).value])
