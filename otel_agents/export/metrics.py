"""OpenTelemetry metrics from finished outcomes: an ``OutcomeSink``, off the hot path.

The outcome processor hands every finished OutcomeEvent to its sinks on its own
thread, so recording metrics here costs the agent's thread nothing. Instruments follow
the OpenTelemetry GenAI conventions where one exists (``gen_ai.client.token.usage``,
``gen_ai.invoke_agent.duration``, ``gen_ai.execute_tool.duration``,
``gen_ai.workflow.duration``, with their advised bucket boundaries); outcome counts,
cost and scores use otel-agents' own names. Attributes are low-cardinality only:
names, model, provider, status, error type; never ids.

    from otel_agents.export.metrics import OutcomeMetrics
    oa.configure(service_name="support-bot", sinks=[OutcomeMetrics()])
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Final

from opentelemetry import metrics
from opentelemetry.metrics import Meter, MeterProvider

from otel_agents import semconv
from otel_agents.events.outcome import OutcomeEvent
from otel_agents.ids import EVENT_TYPE_OUTCOME

_logger = logging.getLogger("otel_agents")

# Advised explicit bucket boundaries of the GenAI semantic conventions.
DURATION_BUCKETS_S: Final = tuple(0.01 * 2**i for i in range(14))  # 0.01 s .. 81.92 s
TOKEN_BUCKETS: Final = tuple(4**i for i in range(14))  # 1 .. 67108864
# Our own: per-action LLM cost spans a tenth of a cent to tens of dollars.
COST_BUCKETS_USD: Final = (0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 10.0)
SCORE_BUCKETS: Final = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1.0)

_DURATION_METRIC: Final = {
    semconv.OPERATION_INVOKE_AGENT: semconv.METRIC_INVOKE_AGENT_DURATION,
    semconv.OPERATION_EXECUTE_TOOL: semconv.METRIC_EXECUTE_TOOL_DURATION,
    semconv.OPERATION_INVOKE_WORKFLOW: semconv.METRIC_WORKFLOW_DURATION,
}

_Attributes = dict[str, str]


class OutcomeMetrics:
    """An ``OutcomeSink`` that records OTel metrics from each finished OutcomeEvent.

    Uses ``meter_provider`` if given, else the global one (set it before the first
    event: the SDK binds instruments to the provider current at creation).

        sink = OutcomeMetrics(meter_provider=my_provider)
    """

    def __init__(self, meter_provider: MeterProvider | None = None) -> None:
        meter: Meter = (meter_provider or metrics.get_meter_provider()).get_meter(
            semconv.INSTRUMENTATION_SCOPE
        )
        self._durations = {
            operation: meter.create_histogram(
                name,
                unit="s",
                description=f"Duration of {operation} operations",
                explicit_bucket_boundaries_advisory=DURATION_BUCKETS_S,
            )
            for operation, name in _DURATION_METRIC.items()
        }
        self._tokens = meter.create_histogram(
            semconv.METRIC_TOKEN_USAGE,
            unit="{token}",
            description="Number of input and output tokens used",
            explicit_bucket_boundaries_advisory=TOKEN_BUCKETS,
        )
        self._outcomes = meter.create_counter(
            semconv.METRIC_OUTCOMES,
            unit="{outcome}",
            description="Finished agent, tool and workflow actions by outcome status",
        )
        self._cost = meter.create_histogram(
            semconv.METRIC_OUTCOME_COST,
            unit="{USD}",
            description="LLM cost of one action in US dollars",
            explicit_bucket_boundaries_advisory=COST_BUCKETS_USD,
        )
        self._quality = meter.create_histogram(
            semconv.METRIC_OUTCOME_QUALITY,
            unit="{score}",
            description="Quality score of one action's outcome (0..1)",
            explicit_bucket_boundaries_advisory=SCORE_BUCKETS,
        )
        self._confidence = meter.create_histogram(
            semconv.METRIC_OUTCOME_CONFIDENCE,
            unit="{score}",
            description="Confidence score of one action's outcome (0..1)",
            explicit_bucket_boundaries_advisory=SCORE_BUCKETS,
        )
        # A reward may be negative, which a histogram cannot record: keep its running
        # sum and the number of rewarded outcomes; their ratio is the mean reward.
        self._reward = meter.create_up_down_counter(
            semconv.METRIC_OUTCOME_REWARD,
            unit="{reward}",
            description="Sum of the rewards of finished actions (may be negative)",
        )
        self._rewarded = meter.create_counter(
            semconv.METRIC_OUTCOME_REWARDED,
            unit="{outcome}",
            description="Finished actions that carry a reward",
        )
        self.failed = 0

    # -- OutcomeSink ---------------------------------------------------------------------
    def export_events(self, events: Sequence[OutcomeEvent]) -> None:
        """Record every finished event's metrics; never raises into the processor."""
        for event in events:
            if event.event_type != EVENT_TYPE_OUTCOME:
                continue  # an in-flight (PENDING) event has no outcome to count yet
            try:
                self._record(event)
            except Exception:
                self.failed += 1
                if self.failed == 1:
                    _logger.exception("otel-agents: could not record metrics for an outcome")

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        """Nothing buffered here: the MeterProvider's reader exports on its own schedule."""
        return True

    def shutdown(self) -> None:
        """The MeterProvider belongs to whoever created it; nothing to release here."""

    # -- internals -----------------------------------------------------------------------
    def _record(self, event: OutcomeEvent) -> None:
        base = _base_attributes(event)
        outcome = {**base, semconv.OUTCOME_STATUS: event.status}
        self._outcomes.add(1, {**outcome, semconv.OUTCOME_SEVERITY: event.severity})

        duration = self._durations.get(event.operation)
        if duration is not None and event.duration_ms is not None:
            attrs = dict(outcome)
            if event.error_type:
                attrs[semconv.ERROR_TYPE] = event.error_type
            duration.record(event.duration_ms / 1000.0, attrs)

        for token_type, count in (("input", event.input_tokens), ("output", event.output_tokens)):
            if count is not None and count >= 0:
                self._tokens.record(count, {**base, semconv.GEN_AI_TOKEN_TYPE: token_type})

        for histogram, value in (
            (self._cost, event.cost_usd),
            (self._quality, event.quality_score),
            (self._confidence, event.confidence_score),
        ):
            if value is not None and value >= 0:
                histogram.record(value, base)
        if event.reward is not None:
            self._reward.add(event.reward, base)
            self._rewarded.add(1, base)


def _base_attributes(event: OutcomeEvent) -> _Attributes:
    """The low-cardinality identity of an action: operation, names, model, provider."""
    attrs: _Attributes = {semconv.GEN_AI_OPERATION_NAME: event.operation}
    for key, value in (
        (semconv.GEN_AI_AGENT_NAME, event.agent_name),
        (semconv.GEN_AI_TOOL_NAME, event.tool_name),
        (semconv.GEN_AI_WORKFLOW_NAME, event.workflow_name),
        (semconv.GEN_AI_REQUEST_MODEL, event.model),
        (semconv.GEN_AI_PROVIDER_NAME, event.provider),
    ):
        if value:
            attrs[key] = value
    return attrs
