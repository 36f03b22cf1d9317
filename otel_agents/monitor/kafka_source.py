"""Read OutcomeEvents and FeedbackEvents from Kafka for the monitor.

    source = KafkaSource("127.0.0.1:9092", ["agent-outcomes", "agent-feedback"])
    for value in source.poll(0.1): state.ingest(value)

Live mode joins a consumer group of its own (never committing offsets: a viewer must not
move anyone's position) and starts from now, or from the beginning. Snapshot mode (for
``--status``) assigns every partition from the beginning and knows it is done when it
reaches the end offsets it saw at start.
"""

from __future__ import annotations

import contextlib
import logging
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

# From cimpl, not ``confluent_kafka``: the confluent-kafka instrumentation replaces the
# package-level Consumer, and a monitor must not trace (and so re-publish) what it reads.
from confluent_kafka.cimpl import Consumer, KafkaError, KafkaException, TopicPartition

from otel_agents.export.kafka.client_errors import explain
from otel_agents.export.kafka.settings import connection_config

_logger = logging.getLogger("otel_agents.monitor.kafka")
# librdkafka logs through this logger; a line on stderr would tear the live screen.
_logger.addHandler(logging.NullHandler())
_logger.propagate = False


class KafkaSource:
    """An event source over Kafka topics (values only; keys and headers are not needed)."""

    def __init__(
        self,
        bootstrap_servers: str,
        topics: Sequence[str],
        *,
        group_id: str | None = None,
        from_beginning: bool = False,
        snapshot: bool = False,
        consumer_config: Mapping[str, Any] | None = None,
    ) -> None:
        self.bootstrap_servers = bootstrap_servers
        self.topics = list(topics)
        self.group_id = group_id or f"otel-agents-monitor-{uuid.uuid4().hex[:12]}"
        self.snapshot = snapshot
        self.errors = 0
        self.last_error = ""
        self.settings_problem = ""
        config: dict[str, Any] = {
            "bootstrap.servers": bootstrap_servers,
            "group.id": self.group_id,
            "client.id": "otel-agents-monitor",
            "enable.auto.commit": False,
            "auto.offset.reset": "earliest" if from_beginning or snapshot else "latest",
            # Notice a topic created after the monitor started within seconds, not minutes.
            "topic.metadata.refresh.interval.ms": 5000,
            "error_cb": self._on_error,
            "logger": _logger,
        }
        # The same login as the exporter's (OTEL_AGENTS_KAFKA_PRODUCER_SASL_*, _SSL_*,
        # OTEL_AGENTS_KAFKA_OAUTH_CB): one set of settings reaches the cluster everywhere.
        config.update(connection_config())
        config.update(consumer_config or {})
        self._consumer = Consumer(config)
        self._ends: dict[tuple[str, int], int] = {}
        self._positions: dict[tuple[str, int], int] = {}
        if snapshot:
            try:
                self._assign_all()
            except KafkaException:
                # error_cb runs only inside poll(): serve it once, so a refused login or
                # an untrusted certificate is named instead of "transport failure".
                self._consumer.poll(1.0)
                if self.settings_problem:
                    self.close()
                    raise KafkaException(self.settings_problem) from None
                raise
        else:
            self._consumer.subscribe(self.topics)

    def _assign_all(self) -> None:
        partitions: list[TopicPartition] = []
        metadata = self._consumer.list_topics(timeout=10)
        for topic in self.topics:
            described = metadata.topics.get(topic)
            if described is None or described.error is not None:
                continue
            for partition in described.partitions:
                low, high = self._consumer.get_watermark_offsets(
                    TopicPartition(topic, partition), timeout=10
                )
                if high > low:
                    self._ends[(topic, partition)] = high
                    partitions.append(TopicPartition(topic, partition, low))
        if partitions:
            self._consumer.assign(partitions)

    def existing_topics(self) -> list[str]:
        """Which of this source's topics the cluster has."""
        metadata = self._consumer.list_topics(timeout=10)
        return [t for t in self.topics if t in metadata.topics and not metadata.topics[t].error]

    def poll(self, timeout: float, max_messages: int = 1000) -> list[bytes]:
        """Values of the messages that arrived, waiting up to ``timeout`` for the first."""
        try:
            messages = self._consumer.consume(num_messages=max_messages, timeout=timeout)
        except (KafkaException, RuntimeError) as exc:
            self._note(str(exc))
            return []
        out: list[bytes] = []
        for message in messages:
            error = message.error()
            if error is not None:
                if error.code() != KafkaError._PARTITION_EOF:
                    self._note(error.str())
                continue
            self.last_error = self.settings_problem = ""
            value = message.value()
            # An empty or null value is still a message: the state counts it as malformed.
            out.append(value if value is not None else b"")
            if self.snapshot:
                topic, partition = message.topic(), message.partition()
                offset = message.offset()
                if topic is not None and partition is not None and offset is not None:
                    self._positions[(topic, partition)] = offset + 1
        return out

    def caught_up(self) -> bool:
        """Snapshot mode: every partition read up to where it ended at start."""
        return all(self._positions.get(key, 0) >= end for key, end in self._ends.items())

    def lag(self) -> int | None:
        """Messages between the read position and the end of the assigned partitions.

        None until the group has assigned partitions. Asks the broker: call it seldom.
        """
        try:
            assignment = self._consumer.assignment()
            if not assignment:
                return None
            total = 0
            for partition in self._consumer.position(assignment):
                low, high = self._consumer.get_watermark_offsets(partition, timeout=1.0)
                # Before the first fetch the position is a logical offset (negative).
                position = partition.offset if partition.offset >= 0 else low
                total += max(0, high - position)
            return total
        except (KafkaException, RuntimeError, TypeError) as exc:
            self._note(str(exc))
            return None

    def describe(self) -> str:
        return f"kafka {self.bootstrap_servers} {','.join(self.topics)}"

    def status(self) -> str:
        return self.last_error

    def _on_error(self, error: KafkaError) -> None:
        problem = explain(error, self.bootstrap_servers)
        if problem is not None:
            # A login or TLS problem stays the headline: the "brokers are down" lines
            # that follow it are its consequence.
            self.settings_problem = problem
        self._note(error.str())

    def _note(self, text: str) -> None:
        self.errors += 1
        self.last_error = self.settings_problem or text[:120]

    def close(self) -> None:
        with contextlib.suppress(KafkaException, RuntimeError):
            self._consumer.close()
