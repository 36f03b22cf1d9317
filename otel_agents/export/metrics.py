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
from typing import TYPE_CHECKING, Any, ClassVar, Final

from opentelemetry import metrics
from opentelemetry.metrics import Meter, MeterProvider

from otel_agents import _otel_private, semconv
from otel_agents._otel_private import DirectHistogram
from otel_agents.ids import EVENT_TYPE_OUTCOME

if TYPE_CHECKING:
    from otel_agents.events.outcome import OutcomeEvent

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

    #: Never blocks (in-memory aggregation; the reader exports on its own thread).
    exports_inline: ClassVar[bool] = True

    def __init__(self, meter_provider: MeterProvider | None = None) -> None:
        meter: Meter = (meter_provider or metrics.get_meter_provider()).get_meter(
            semconv.INSTRUMENTATION_SCOPE
        )
        self._meter = meter
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
        self._identities: dict[_Identity, _IdentityAttributes] = {}

    # -- OutcomeSink ---------------------------------------------------------------------
    def export_events(self, events: Sequence[OutcomeEvent]) -> None:
        """Record a batch's metrics; never raises into the processor.

        Histograms take each value (after an identity's first ``record``, straight into
        the SDK's aggregations: ``DirectHistogram``), counters (outcomes, rewards) one
        ``add`` per distinct action identity in the batch; attribute dicts are built once
        per identity.
        Nothing is done while no ``MeterProvider`` was set (the instruments would drop it).
        """
        if _otel_private.meter_records_nothing(self._meter):
            return
        totals: dict[int, _BatchTotals] = {}
        for event in events:
            try:
                recorded = self._record(event)
            except Exception:
                self.failed += 1
                if self.failed == 1:
                    _logger.exception("otel-agents: could not record metrics for an outcome")
                continue
            if recorded is None:
                continue
            attrs, reward = recorded
            total = totals.get(id(attrs))
            if total is None:
                total = totals[id(attrs)] = _BatchTotals(attrs)
            total.outcomes += 1
            if reward is not None:
                total.reward_sum += reward
                total.rewarded += 1
        for total in totals.values():
            attrs = total.attrs
            try:
                self._outcomes.add(total.outcomes, attrs.outcome)
                if total.rewarded:
                    self._reward.add(total.reward_sum, attrs.base)
                    self._rewarded.add(total.rewarded, attrs.base)
            except Exception:
                self.failed += total.outcomes
                _logger.exception("otel-agents: could not count outcomes")

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        """Nothing buffered here: the MeterProvider's reader exports on its own schedule."""
        return True

    def shutdown(self) -> None:
        """The MeterProvider belongs to whoever created it; nothing to release here."""

    # -- internals -----------------------------------------------------------------------
    def _record(self, event: OutcomeEvent) -> tuple[_IdentityAttributes, Any] | None:
        """Record the event's histograms; its attributes and reward, for the batch's
        counters."""
        data = event.data()
        if data["event_type"] != EVENT_TYPE_OUTCOME:
            return None  # an in-flight (PENDING) event has no outcome to count yet
        identity = (
            data["operation"],
            data["agent_name"],
            data["tool_name"],
            data["workflow_name"],
            data["model"],
            data["provider"],
            data["status"],
            data["severity"],
            data["error_type"],
        )
        attrs = self._identities.get(identity)
        if attrs is None:
            attrs = self._attributes_of(identity)
        duration_ms = data["duration_ms"]
        if attrs.duration_histogram is not None and duration_ms is not None:
            attrs.duration_histogram.record(duration_ms / 1000.0)
        input_tokens, output_tokens = data["input_tokens"], data["output_tokens"]
        if input_tokens is not None and input_tokens >= 0:
            attrs.input_tokens_histogram.record(input_tokens)
        if output_tokens is not None and output_tokens >= 0:
            attrs.output_tokens_histogram.record(output_tokens)
        for histogram, value in (
            (attrs.cost_histogram, data["cost_usd"]),
            (attrs.quality_histogram, data["quality_score"]),
            (attrs.confidence_histogram, data["confidence_score"]),
        ):
            if value is not None and value >= 0:
                histogram.record(value)
        return attrs, data["reward"]

    def _attributes_of(self, identity: _Identity) -> _IdentityAttributes:
        operation, agent, tool, workflow, model, provider, status, severity, error = identity
        base: _Attributes = {semconv.GEN_AI_OPERATION_NAME: operation}
        for key, value in (
            (semconv.GEN_AI_AGENT_NAME, agent),
            (semconv.GEN_AI_TOOL_NAME, tool),
            (semconv.GEN_AI_WORKFLOW_NAME, workflow),
            (semconv.GEN_AI_REQUEST_MODEL, model),
            (semconv.GEN_AI_PROVIDER_NAME, provider),
        ):
            if value:
                base[key] = value
        with_status = {**base, semconv.OUTCOME_STATUS: status}
        duration = dict(with_status)
        if error:
            duration[semconv.ERROR_TYPE] = error
        duration_histogram = self._durations.get(operation)
        attrs = _IdentityAttributes(
            base=base,
            outcome={**with_status, semconv.OUTCOME_SEVERITY: severity},
            duration_histogram=(
                None
                if duration_histogram is None
                else DirectHistogram(duration_histogram, duration)
            ),
            input_tokens_histogram=DirectHistogram(
                self._tokens, {**base, semconv.GEN_AI_TOKEN_TYPE: "input"}
            ),
            output_tokens_histogram=DirectHistogram(
                self._tokens, {**base, semconv.GEN_AI_TOKEN_TYPE: "output"}
            ),
            cost_histogram=DirectHistogram(self._cost, base),
            quality_histogram=DirectHistogram(self._quality, base),
            confidence_histogram=DirectHistogram(self._confidence, base),
        )
        if len(self._identities) >= _MAX_IDENTITIES:
            self._identities.clear()  # bounded: names are low-cardinality, but not by force
        self._identities[identity] = attrs
        return attrs


_MAX_IDENTITIES = 1024
# operation, agent, tool, workflow, model, provider, status, severity, error type
_Identity = tuple[Any, ...]


class _IdentityAttributes:
    """The attribute dicts of one action identity, built once and reused for every event,
    and its histograms, each bound to its attribute set (``DirectHistogram``).

    A plain slotted class: a NamedTuple costs ~0.7 M instructions to create, at every
    start-up that configures otel-agents."""

    __slots__ = (
        "base",
        "confidence_histogram",
        "cost_histogram",
        "duration_histogram",
        "input_tokens_histogram",
        "outcome",
        "output_tokens_histogram",
        "quality_histogram",
    )

    def __init__(
        self,
        base: _Attributes,
        outcome: _Attributes,
        duration_histogram: DirectHistogram | None,
        input_tokens_histogram: DirectHistogram,
        output_tokens_histogram: DirectHistogram,
        cost_histogram: DirectHistogram,
        quality_histogram: DirectHistogram,
        confidence_histogram: DirectHistogram,
    ) -> None:
        self.base = base
        self.outcome = outcome
        self.duration_histogram = duration_histogram
        self.input_tokens_histogram = input_tokens_histogram
        self.output_tokens_histogram = output_tokens_histogram
        self.cost_histogram = cost_histogram
        self.quality_histogram = quality_histogram
        self.confidence_histogram = confidence_histogram


class _BatchTotals:
    """One action identity's counter values within a batch, added once at its end."""

    __slots__ = ("attrs", "outcomes", "reward_sum", "rewarded")

    def __init__(self, attrs: _IdentityAttributes) -> None:
        self.attrs = attrs
        self.outcomes = 0
        self.reward_sum = 0.0
        self.rewarded = 0
