"""Replaying the spool: records kept while the broker was away, oldest first.

A record the broker can never take (larger than it allows) is handed back with the
reason, to be kept under ``rejected/``, instead of blocking its segment for ever.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Final

from confluent_kafka.cimpl import KafkaError, Message, Producer

from otel_agents.export.kafka.producer import PERMANENT
from otel_agents.export.kafka.spool import Segment, SpoolRecord

RejectRecord = Callable[[SpoolRecord, str], None]
_SIZE_REASON: Final = "MSG_SIZE_TOO_LARGE: the broker refused the record as too large"


def replay_segment(
    producer: Producer,
    segment: Segment,
    stop: threading.Event,
    on_replayed: Callable[[int], None],
    on_rejected: RejectRecord | None = None,
) -> bool:
    """Produce every record of ``segment`` and delete it once all are acknowledged.

    A record the broker can never take is handed to ``on_rejected`` with the reason.
    Returns False (segment kept, to be tried again) if any other record failed or
    ``stop`` was set.
    """
    state = {"outstanding": 0, "failed": 0, "acked": 0}
    lock = threading.Lock()
    # Refused by the broker: maybe only because a batch-mate was too large (the broker
    # refuses a whole batch), so each is tried again alone before it is rejected.
    suspects: list[SpoolRecord] = []
    rejected: list[tuple[SpoolRecord, str]] = []

    def on_delivery(record: SpoolRecord, err: KafkaError | None, _msg: Message) -> None:
        with lock:
            state["outstanding"] -= 1
            if err is None:
                state["acked"] += 1
            elif err.code() in PERMANENT and on_rejected is not None:
                suspects.append(record)
            else:
                state["failed"] += 1

    def send(record: SpoolRecord) -> bool:
        while not stop.is_set():
            try:
                with lock:
                    state["outstanding"] += 1
                producer.produce(
                    record.topic,
                    record.value,
                    record.key,
                    headers=list(record.headers),
                    on_delivery=functools.partial(on_delivery, record),
                )
                return True
            except BufferError:
                with lock:
                    state["outstanding"] -= 1
                producer.poll(0.05)
            except Exception as exc:
                with lock:
                    state["outstanding"] -= 1
                    if _error_code(exc) in PERMANENT and on_rejected is not None:
                        rejected.append((record, _reason(exc.args[0])))
                    else:
                        state["failed"] += 1
                return True
        return False

    def wait() -> None:
        while state["outstanding"] > 0 and not stop.is_set():
            producer.poll(0.1)

    for record in segment.records():
        if not send(record):
            return False
        if state["failed"]:
            break
    wait()
    for record in list(suspects):
        suspects.remove(record)
        if not send(record):
            return False
        wait()
        if record in suspects:  # refused again, alone: it is the record itself
            suspects.remove(record)
            rejected.append((record, f"{_SIZE_REASON} ({len(record.value)} bytes)"))
    on_replayed(state["acked"])
    if state["failed"] or state["outstanding"]:
        return False  # the rejected ones stay too, and are rejected once, next time
    if on_rejected is not None:
        for record, reason in rejected:
            on_rejected(record, reason)
    segment.done()
    return True


def _error_code(exc: BaseException) -> int | None:
    return exc.args[0].code() if exc.args and isinstance(exc.args[0], KafkaError) else None


def _reason(err: KafkaError) -> str:
    return f"{err.name()}: {err.str()}"
