"""``otel-agents replay`` against a real broker: a damaged or refused record never blocks a spool.

The spool is written as a crashed process would have left it, then replayed by the CLI;
a real consumer counts what arrived.
"""

from __future__ import annotations

import base64
import random
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from otel_agents.export.kafka.exporter import REJECT_REASON_HEADER
from otel_agents.export.kafka.spool import Spool, SpoolRecord
from tests.kafka.broker import create_topic, read_topic

pytestmark = pytest.mark.integration

_ROOT = Path(__file__).resolve().parent.parent


def _value(i: int, size: int = 0) -> bytes:
    # Random padding: zstd must not shrink it below the limits under test.
    pad = base64.b64encode(random.Random(i).randbytes(size))
    return b'{"n": %06d, "pad": "%s"}' % (i, pad)


def _replay(bootstrap: str, spool: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            str(Path(sys.executable).parent / "otel-agents"),
            "replay",
            "--bootstrap-servers",
            bootstrap,
            "--spool-dir",
            str(spool),
            "--timeout",
            "60",
        ],
        cwd=_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _delivered(bootstrap: str, topic: str, expect: int) -> list[bytes]:
    return sorted(m.value() for m in read_topic(bootstrap, topic, expect=expect, timeout=60))  # type: ignore[attr-defined]


def test_replay_skips_a_damaged_record_and_delivers_the_rest(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    topic = create_topic(kafka_bootstrap, f"damaged-{uuid.uuid4().hex[:8]}")
    spool_dir = tmp_path / "spool"
    spool = Spool(spool_dir, max_bytes=1 << 30)
    frame = len(SpoolRecord(topic, b"k", _value(0)).encode())  # every record has this size
    offsets = [8 + frame * i for i in range(2000)]
    for i in range(2000):
        spool.append(SpoolRecord(topic, b"k", _value(i)))
    spool.close()
    (segment,) = spool.pending_segments()
    data = bytearray(segment.read_bytes())
    data[offsets[118] + 20] ^= 0x01  # one flipped bit inside record 118
    segment.write_bytes(bytes(data))

    result = _replay(kafka_bootstrap, spool_dir)

    out = result.stdout + result.stderr
    assert result.returncode == 0, out
    assert "replayed 1999 event(s); 0 segment(s) left" in out
    assert f"damaged bytes {offsets[118]}..{offsets[119]} of {segment}" in out
    assert "1 damaged stretch(es) of the spool skipped" in out
    delivered = _delivered(kafka_bootstrap, topic, 1999)
    assert delivered == sorted(_value(i) for i in range(2000) if i != 118)


def test_replay_moves_records_kafka_refuses_to_rejected_with_the_reason(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    # The topic takes at most ~5 kB: one record is refused by the broker, one (2 MB) is
    # already refused by the producer (message.max.bytes 1 MB). Neither may block the rest.
    topic = create_topic(
        kafka_bootstrap, f"refused-{uuid.uuid4().hex[:8]}", config={"max.message.bytes": "5000"}
    )
    spool_dir = tmp_path / "spool"
    spool = Spool(spool_dir, max_bytes=1 << 30)
    values = [_value(0), _value(1, 2_000_000), _value(2), _value(3, 20_000), _value(4)]
    for value in values:
        spool.append(SpoolRecord(topic, b"k", value, (("traceparent", b"00-a-b-01"),)))
    spool.close()

    result = _replay(kafka_bootstrap, spool_dir)

    out = result.stdout + result.stderr
    assert result.returncode == 0, out
    assert "replayed 3 event(s); 0 segment(s) left" in out
    assert "2 event(s) refused by Kafka moved to" in out
    assert out.count("MSG_SIZE_TOO_LARGE") >= 2, out
    assert _delivered(kafka_bootstrap, topic, 3) == sorted([values[0], values[2], values[4]])
    rejected = [
        r for s in Spool(spool_dir / "rejected", 1 << 30).claim_segments() for r in s.records()
    ]
    assert sorted(r.value for r in rejected) == sorted([values[1], values[3]])
    for record in rejected:
        reason = dict(record.headers)[REJECT_REASON_HEADER].decode()
        assert reason.startswith("MSG_SIZE_TOO_LARGE"), reason
