"""What the analytics job reads, writes and waits for. Plain Python: no Spark needed.

settings = AnalyticsSettings(bootstrap_servers="127.0.0.1:9092", checkpoint="/tmp/ckpt")
settings.windows_s          # (60, 300)
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Mapping

from otel_agents.errors import ConfigurationError

DEFAULT_OUTCOMES_TOPIC = "agent-outcomes"
DEFAULT_FEEDBACK_TOPIC = "agent-feedback"
DEFAULT_METRICS_TOPIC = "agent-metrics"
DEFAULT_LEARNING_TOPIC = "agent-learning"
DEFAULT_DEAD_LETTER_TOPIC = "agent-analytics-dead-letter"
DEFAULT_CHECKPOINT = ".otel-agents/analytics-checkpoint"

_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*$")


def parse_duration(text: str, name: str) -> float:
    """Seconds in ``"90s"``, ``"5m"``, ``"1h"``; ConfigurationError naming ``name`` if not.

    parse_duration("5m", "--window")   # 300.0
    """
    match = _DURATION.match(text)
    if match is None:
        raise ConfigurationError(f"{name}: {text!r} is not a duration like 500ms, 30s, 5m, 1h")
    return float(match.group(1)) * _UNITS[match.group(2)]


def spark_interval(seconds: float) -> str:
    """Spark's interval text for a duration (whole milliseconds)."""
    return f"{round(seconds * 1000)} milliseconds"


@dataclasses.dataclass(frozen=True)
class AnalyticsSettings:
    """Topics, windows and delays of the analytics job.

    AnalyticsSettings(bootstrap_servers="kafka:9092", windows_s=(60, 300), late_s=60)

    ``late_s`` is the watermark delay: an event whose time is older than the newest event
    time seen minus ``late_s`` misses its window. ``feedback_delay_s`` is how long after an
    outcome its feedback may come and still be joined to it.
    """

    bootstrap_servers: str
    checkpoint: str = DEFAULT_CHECKPOINT
    outcomes_topic: str = DEFAULT_OUTCOMES_TOPIC
    feedback_topic: str = DEFAULT_FEEDBACK_TOPIC
    metrics_topic: str = DEFAULT_METRICS_TOPIC
    learning_topic: str = DEFAULT_LEARNING_TOPIC
    dead_letter_topic: str = DEFAULT_DEAD_LETTER_TOPIC
    windows_s: tuple[float, ...] = (60.0, 300.0)
    late_s: float = 60.0
    feedback_delay_s: float = 3600.0
    learning_window_s: float = 300.0
    trigger_s: float = 5.0
    starting_offsets: str = "earliest"
    max_offsets_per_trigger: int | None = None
    #: Extra Kafka client settings for source and sink (``security.protocol``, SASL, …),
    #: without Spark's ``kafka.`` prefix.
    kafka_options: Mapping[str, str] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.bootstrap_servers:
            raise ConfigurationError(
                "analytics needs Kafka: pass --bootstrap-servers or set "
                "OTEL_AGENTS_KAFKA_BOOTSTRAP_SERVERS"
            )
        if not self.windows_s or any(w < 1 or w != int(w) for w in self.windows_s):
            raise ConfigurationError("--window: one or more lengths of whole seconds")
        if len(set(self.windows_s)) != len(self.windows_s):
            raise ConfigurationError("--window: each window length once")
        for name, value in (
            ("--late", self.late_s),
            ("--feedback-delay", self.feedback_delay_s),
            ("--trigger", self.trigger_s),
        ):
            if value < 0:
                raise ConfigurationError(f"{name}: must not be negative")
        if self.learning_window_s < 1 or self.learning_window_s != int(self.learning_window_s):
            raise ConfigurationError("--learning-window: a length of whole seconds")
        if self.starting_offsets not in ("earliest", "latest"):
            raise ConfigurationError("--starting-offsets: earliest or latest")

    @classmethod
    def from_environment(cls, **overrides: object) -> AnalyticsSettings:
        """Input topics and servers as the exporter names them, unless given."""
        values: dict[str, object] = {
            "bootstrap_servers": os.environ.get("OTEL_AGENTS_KAFKA_BOOTSTRAP_SERVERS", ""),
            "outcomes_topic": os.environ.get("OTEL_AGENTS_KAFKA_TOPIC") or DEFAULT_OUTCOMES_TOPIC,
            "feedback_topic": os.environ.get("OTEL_AGENTS_KAFKA_FEEDBACK_TOPIC")
            or DEFAULT_FEEDBACK_TOPIC,
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)  # type: ignore[arg-type]
