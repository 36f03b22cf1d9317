"""Replaying the spool: records kept while the broker was away, oldest first."""

from __future__ import annotations

import threading
from collections.abc import Callable

from confluent_kafka.cimpl import KafkaError, Message, Producer

from otel_agents.export.kafka.spool import Segment


def replay_segment(
    producer: Producer, segment: Segment, stop: threading.Event, on_replayed: Callable[[int], None]
) -> bool:
    """Produce every record of ``segment`` and delete it once all are acknowledged.

    Returns False (segment kept, to be tried again) if any record failed or ``stop`` was set.
    """
    state = {"outstanding": 0, "failed": 0, "acked": 0}
    lock = threading.Lock()

    def on_delivery(err: KafkaError | None, _msg: Message) -> None:
        with lock:
            state["outstanding"] -= 1
            state["failed" if err is not None else "acked"] += 1

    for record in segment.records():
        while True:
            if stop.is_set():
                return False
            try:
                with lock:
                    state["outstanding"] += 1
                producer.produce(
                    record.topic,
                    record.value,
                    record.key,
                    headers=list(record.headers),
                    on_delivery=on_delivery,
                )
                break
            except BufferError:
                with lock:
                    state["outstanding"] -= 1
                producer.poll(0.05)
            except Exception:
                with lock:
                    state["outstanding"] -= 1
                    state["failed"] += 1
                break
        if state["failed"]:
            break
    while state["outstanding"] > 0 and not stop.is_set():
        producer.poll(0.1)
    on_replayed(state["acked"])
    if state["failed"] or state["outstanding"]:
        return False
    segment.done()
    return True
