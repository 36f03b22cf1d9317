"""A damaged spool segment loses only its damaged record: the rest is read, the skip is told."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from otel_agents.export.kafka.spool import Spool, SpoolRecord


def _record(i: int) -> SpoolRecord:
    return SpoolRecord("agent-outcomes", f"{i:032x}".encode(), b'{"n": %06d}' % i)


def _spool_of(tmp_path: Path, n: int) -> tuple[Spool, Path, list[int]]:
    spool = Spool(tmp_path, max_bytes=1 << 30)
    for i in range(n):
        assert spool.append(_record(i))
    spool.close()
    (segment,) = spool.pending_segments()
    # Offsets of every frame, from the encoding itself.
    offsets, pos = [], 8
    for i in range(n):
        offsets.append(pos)
        pos += len(_record(i).encode())
    return spool, segment, offsets


def _flip(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x40
    path.write_bytes(bytes(data))


def _read(spool: Spool) -> tuple[list[SpoolRecord], list[tuple[int, int]]]:
    records, damaged = [], []
    for segment in spool.claim_segments():
        records.extend(segment.records())
        damaged.extend(segment.damaged)
    return records, damaged


@pytest.mark.parametrize("where", ["payload", "length field", "checksum"])
def test_flipped_byte_mid_segment_skips_one_record_and_keeps_the_rest(
    tmp_path: Path, where: str, caplog: pytest.LogCaptureFixture
) -> None:
    spool, segment, offsets = _spool_of(tmp_path, 2000)
    bad = 1000
    shift = {"payload": 20, "length field": 1, "checksum": 6}[where]
    _flip(segment, offsets[bad] + shift)
    with caplog.at_level(logging.WARNING, logger="otel_agents.export.kafka.spool"):
        records, damaged = _read(spool)
    assert [r.value for r in records] == [_record(i).value for i in range(2000) if i != bad]
    assert damaged == [(offsets[bad], offsets[bad + 1] - offsets[bad])]
    # Said what was skipped, and where; the bytes are kept for inspection.
    assert f"damaged bytes {offsets[bad]}..{offsets[bad + 1]} of {segment}" in caplog.text
    (kept,) = (tmp_path / "rejected").glob("*.damaged")
    assert kept.read_bytes() == segment.read_bytes()[offsets[bad] : offsets[bad + 1]]


def test_two_damaged_records_are_each_reported(tmp_path: Path) -> None:
    spool, segment, offsets = _spool_of(tmp_path, 100)
    _flip(segment, offsets[10] + 12)
    _flip(segment, offsets[60] + 12)
    records, damaged = _read(spool)
    assert len(records) == 98
    assert [offset for offset, _ in damaged] == [offsets[10], offsets[60]]


def test_damage_in_the_last_record_of_a_sealed_segment_is_reported(tmp_path: Path) -> None:
    spool, segment, offsets = _spool_of(tmp_path, 10)
    _flip(segment, offsets[9] + 12)
    records, damaged = _read(spool)
    assert len(records) == 9
    assert damaged == [(offsets[9], segment.stat().st_size - offsets[9])]
