"""``CleanStartTracer`` starts exactly the spans the SDK's ``start_span`` would.

Each case starts the same spans twice, in two SDK ``TracerProvider``s set up alike (same
ids, sampler, limits, resource): through the SDK's tracer with a plain dict in one,
through ``CleanStartTracer`` with ``CleanAttributes`` in the other, and compares
everything a processor or exporter can see, including what ``on_start`` saw. The
installed SDK must take the fast path, so an SDK whose ``start_span`` changed fails here
instead of quietly costing ~7 µs more per call.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanLimits, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.id_generator import IdGenerator
from opentelemetry.sdk.trace.sampling import (
    ALWAYS_OFF,
    ALWAYS_ON,
    Decision,
    ParentBased,
    ParentBasedTraceIdRatio,
    Sampler,
    SamplingResult,
    TraceIdRatioBased,
)
from opentelemetry.trace import NonRecordingSpan, SpanContext, SpanKind, TraceFlags, TraceState

from otel_agents._otel_private import (
    CleanAttributes,
    CleanStartTracer,
    clean_attributes,
    tracer_for_clean_attributes,
)
from otel_agents.export.sampling import OutcomeSampler
from otel_agents.instrument.action import with_ids

ATTRIBUTES: dict[str, Any] = {
    "gen_ai.operation.name": "invoke_agent",
    "gen_ai.agent.name": "planner",
    "agent.action.type": "agent",
    "gen_ai.agent.id": "planner-1",
    "gen_ai.agent.description": "Plan the next step.",
    "gen_ai.request.model": "gpt-4o-mini",
    "agent.tags": ("a", "b"),
    "agent.retries": 2,
    "agent.ratio": 0.5,
    "agent.flag": True,
}


class CountingIds(IdGenerator):
    """The same ids, in the same order, in both providers of a pair."""

    def __init__(self, random: bool = True) -> None:
        self._next = 0
        self._random = random

    def generate_span_id(self) -> int:
        self._next += 1
        return self._next

    def generate_trace_id(self) -> int:
        self._next += 1
        # Spread over the low 64 bits, which TraceIdRatioBased reads.
        return (self._next << 64) | (self._next * 0x9E3779B97F4A7C15 % (1 << 64))

    def is_trace_id_random(self) -> bool:
        return self._random


class SeenAtStart(SpanProcessor):
    """What processors see: the attributes at ``on_start``, and the finished spans."""

    def __init__(self) -> None:
        self.at_start: list[dict[str, Any]] = []
        self.ended: list[Any] = []

    def on_start(self, span: Any, parent_context: Any = None) -> None:
        self.at_start.append(dict(span.attributes))

    def on_end(self, span: Any) -> None:
        self.ended.append(span)


class Side:
    """One provider of a pair, its processor and its tracer."""

    def __init__(self, clean: bool, **options: Any) -> None:
        self.clean = clean
        self.seen = SeenAtStart()
        self.reader = InMemoryMetricReader()
        options.setdefault("id_generator", CountingIds())
        options.setdefault("resource", Resource.create({"service.name": "twin"}))
        self.provider = TracerProvider(
            meter_provider=MeterProvider(metric_readers=[self.reader]), **options
        )
        self.provider.add_span_processor(self.seen)
        sdk_tracer = self.provider.get_tracer("otel-agents", "1")
        self.tracer = tracer_for_clean_attributes(sdk_tracer) if clean else sdk_tracer

    def start(self, name: str, attributes: dict[str, Any], **options: Any) -> Any:
        given = clean_attributes(dict(attributes)) if self.clean else dict(attributes)
        return self.tracer.start_span(name, kind=SpanKind.INTERNAL, attributes=given, **options)

    def metric_points(self) -> list[tuple[str, tuple[Any, ...], Any]]:
        data = self.reader.get_metrics_data()
        points = []
        for resource_metrics in data.resource_metrics if data else ():
            for scope_metrics in resource_metrics.scope_metrics:
                for metric in scope_metrics.metrics:
                    for point in metric.data.data_points:
                        attributes = tuple(sorted(dict(point.attributes).items()))
                        points.append((metric.name, attributes, getattr(point, "value", None)))
        return sorted(points, key=repr)


def _pair(**options: Any) -> tuple[Side, Side]:
    # The id generator is stateful: each side gets its own, counting from the same start.
    ids: Callable[[], IdGenerator] = options.pop("ids", CountingIds)
    return Side(False, id_generator=ids(), **options), Side(True, id_generator=ids(), **options)


def _view(span: Any) -> dict[str, Any]:
    """Everything of a started span that its readers can see, times aside."""
    context = span.get_span_context()
    view: dict[str, Any] = {
        "type": type(span).__name__,
        "recording": span.is_recording(),
        "trace_id": context.trace_id,
        "span_id": context.span_id,
        "flags": int(context.trace_flags),
        "trace_state": context.trace_state.to_header(),
        "remote": context.is_remote,
    }
    if isinstance(span, NonRecordingSpan):
        return view
    parent = span.parent
    view.update(
        name=span.name,
        kind=span.kind,
        parent=None if parent is None else (parent.trace_id, parent.span_id, parent.is_remote),
        attributes=dict(span.attributes),
        dropped_attributes=span.dropped_attributes,
        resource=dict(span.resource.attributes),
        scope=(span.instrumentation_scope.name, span.instrumentation_scope.version),
        events=list(span.events),
        links=list(span.links),
        started=span.start_time is not None,
        status=span.status.status_code,
    )
    return view


def _under(parent: SpanContext | None, start: Callable[[], Any]) -> Any:
    """``start()`` with ``parent`` as the current span (None: no parent)."""
    if parent is None:
        return start()
    token = otel_context.attach(trace.set_span_in_context(NonRecordingSpan(parent)))
    try:
        return start()
    finally:
        otel_context.detach(token)


def _both(
    pair: tuple[Side, Side],
    parent: SpanContext | None = None,
    attributes: dict[str, Any] | None = None,
    name: str = "invoke_agent planner",
) -> tuple[dict[str, Any], dict[str, Any]]:
    sdk, clean = pair
    given = ATTRIBUTES if attributes is None else attributes
    spans = [_under(parent, lambda side=side: side.start(name, given)) for side in pair]
    for span in spans:
        span.end()
    assert sdk.seen.at_start == clean.seen.at_start
    return _view(spans[0]), _view(spans[1])


LOCAL_SAMPLED = SpanContext(7 << 64 | 9, 11, is_remote=False, trace_flags=TraceFlags(0x01))
LOCAL_UNSAMPLED = SpanContext(7 << 64 | 9, 12, is_remote=False, trace_flags=TraceFlags(0x00))
REMOTE_SAMPLED = SpanContext(
    8 << 64 | 3,
    13,
    is_remote=True,
    trace_flags=TraceFlags(0x03),
    trace_state=TraceState([("vendor", "x1")]),
)
REMOTE_UNSAMPLED = SpanContext(8 << 64 | 3, 14, is_remote=True, trace_flags=TraceFlags(0x02))
PARENTS = {
    "root": None,
    "local sampled": LOCAL_SAMPLED,
    "local unsampled": LOCAL_UNSAMPLED,
    "remote sampled": REMOTE_SAMPLED,
    "remote unsampled": REMOTE_UNSAMPLED,
}

SAMPLERS: dict[str, Callable[[], Sampler]] = {
    "default (parent-based, always on)": lambda: ParentBased(ALWAYS_ON),
    "always on": lambda: ALWAYS_ON,
    "always off": lambda: ALWAYS_OFF,
    "trace id ratio 0.5": lambda: TraceIdRatioBased(0.5),
    "parent-based ratio 0.5": lambda: ParentBasedTraceIdRatio(0.5),
    "outcome sampler over ratio 0": lambda: OutcomeSampler(ParentBased(TraceIdRatioBased(0.0))),
    "outcome sampler over the default": lambda: OutcomeSampler(ParentBased(ALWAYS_ON)),
}


@pytest.fixture(autouse=True)
def _sdk_metrics(monkeypatch: pytest.MonkeyPatch) -> None:
    # The SDK's own span metrics (started, live), which start_span records: off by default.
    monkeypatch.setenv("OTEL_PYTHON_SDK_INTERNAL_METRICS_ENABLED", "true")


def test_the_installed_sdk_takes_the_fast_path() -> None:
    # An SDK whose start_span reads other names, or whose span takes other arguments,
    # gets its own start_span back: this fails then, so the repeat is brought up to date.
    tracer = TracerProvider().get_tracer("otel-agents")
    assert isinstance(tracer_for_clean_attributes(tracer), CleanStartTracer)
    wrapped = TracerProvider(sampler=OutcomeSampler(ParentBased(ALWAYS_ON)))
    assert isinstance(tracer_for_clean_attributes(wrapped.get_tracer("x")), CleanStartTracer)


@pytest.mark.parametrize("sampler", SAMPLERS, ids=list(SAMPLERS))
@pytest.mark.parametrize("parent", PARENTS, ids=list(PARENTS))
def test_same_spans_as_the_sdk(sampler: str, parent: str) -> None:
    pair = _pair(sampler=SAMPLERS[sampler]())
    assert isinstance(pair[1].tracer, CleanStartTracer)
    for _ in range(8):  # several trace ids: the ratio samplers both keep and drop
        sdk_view, clean_view = _both(pair, PARENTS[parent])
        assert clean_view == sdk_view
    assert pair[1].metric_points() == pair[0].metric_points() != []
    assert len(pair[1].seen.ended) == len(pair[0].seen.ended)


def test_trace_ids_not_random() -> None:
    pair = _pair(ids=lambda: CountingIds(random=False))
    sdk_view, clean_view = _both(pair)
    assert clean_view == sdk_view and not sdk_view["flags"] & 0x02


def test_attributes_beyond_the_span_limit_go_through_the_sdk() -> None:
    pair = _pair(span_limits=SpanLimits(max_span_attributes=3))
    assert isinstance(pair[1].tracer, CleanStartTracer)
    sdk_view, clean_view = _both(pair)
    assert clean_view == sdk_view and sdk_view["dropped_attributes"] == len(ATTRIBUTES) - 3


def test_an_attribute_length_limit_keeps_the_sdk_tracer() -> None:
    pair = _pair(span_limits=SpanLimits(max_span_attribute_length=5))
    assert not isinstance(pair[1].tracer, CleanStartTracer)
    sdk_view, clean_view = _both(pair)
    assert clean_view == sdk_view and sdk_view["attributes"]["gen_ai.agent.name"] == "plann"


class AddingSampler(Sampler):
    """A sampler that adds an attribute: its result must be cleaned by the SDK."""

    def should_sample(
        self,
        parent_context: Any,
        trace_id: int,
        name: str,
        kind: Any = None,
        attributes: Any = None,
        links: Any = None,
        trace_state: Any = None,
    ) -> SamplingResult:
        return SamplingResult(Decision.RECORD_AND_SAMPLE, {**(attributes or {}), "x": [1, 2]})

    def get_description(self) -> str:
        return "AddingSampler"


def test_an_unknown_sampler_keeps_the_sdk_tracer() -> None:
    pair = _pair(sampler=AddingSampler())
    assert not isinstance(pair[1].tracer, CleanStartTracer)
    sdk_view, clean_view = _both(pair)
    assert clean_view == sdk_view and sdk_view["attributes"]["x"] == (1, 2)
    outcome = _pair(sampler=OutcomeSampler(AddingSampler()))
    assert not isinstance(outcome[1].tracer, CleanStartTracer)


def test_a_disabled_tracer() -> None:
    from opentelemetry.sdk.trace import _TracerConfig

    pair = _pair(_tracer_configurator=lambda scope: _TracerConfig(is_enabled=False))
    sdk_view, clean_view = _both(pair, LOCAL_SAMPLED)
    assert clean_view == sdk_view and not sdk_view["recording"]


def test_other_arguments_go_through_the_sdk() -> None:
    sdk, clean = _pair()
    given = clean_attributes(dict(ATTRIBUTES))
    parent = trace.set_span_in_context(NonRecordingSpan(REMOTE_SAMPLED))
    link = trace.Link(LOCAL_SAMPLED, {"k": "v"})
    calls: list[dict[str, Any]] = [
        {"attributes": dict(ATTRIBUTES)},  # a plain dict: cleaned by the SDK
        {"attributes": given, "context": parent},
        {"attributes": given, "links": [link]},
        {"attributes": given, "start_time": 1_000},
        {"attributes": given, "record_exception": False},
        {"attributes": None},
    ]
    for options in calls:
        spans = [
            sdk.tracer.start_span("x", **{**options, "attributes": _plain(options)}),
            clean.tracer.start_span("x", **options),
        ]
        for span in spans:
            span.end()
        assert _view(spans[1]) == _view(spans[0]), options
        assert spans[1].start_time == spans[0].start_time or "start_time" not in options
    assert clean.seen.at_start == sdk.seen.at_start


def _plain(options: dict[str, Any]) -> Any:
    attributes = options["attributes"]
    return None if attributes is None else dict(attributes)


def test_a_replaced_sampler_goes_through_the_sdk() -> None:
    sdk, clean = _pair()
    # After the tracer was wrapped: the wrapper's view of the sampler is out of date.
    clean.tracer.sdk_tracer.sampler = ALWAYS_OFF
    sdk.tracer.sampler = ALWAYS_OFF
    sdk_view, clean_view = _both((sdk, clean))
    assert clean_view == sdk_view and not clean_view["recording"]


def test_clean_attributes_only_when_every_item_is_clean() -> None:
    assert type(clean_attributes({"a": "x", "b": 1, "c": 2.5, "d": False})) is CleanAttributes
    assert type(clean_attributes({"t": ("x", 1)})) is CleanAttributes
    assert type(clean_attributes({})) is CleanAttributes
    for unclean in (
        {"l": ["x"]},  # the SDK keeps a tuple
        {"n": None},  # the SDK keeps it; the OTel spec says attributes are not null
        {"o": object()},
        {"": "empty key"},
        {"t": ("x", ["nested"])},
        {1: "non-str key"},
    ):
        assert type(clean_attributes(unclean)) is dict, unclean  # type: ignore[arg-type]


def test_inherited_ids_keep_the_copy_clean_only_when_they_are_strings() -> None:
    static = clean_attributes({"gen_ai.agent.name": "planner"})
    assert with_ids(static, None, None, None) is static
    assert type(with_ids(static, "wf-1", "flow", "corr")) is CleanAttributes
    assert type(with_ids(static, "wf-1", None, 42)) is dict  # type: ignore[arg-type]
    assert type(with_ids(dict(static), "wf-1", None, None)) is dict


def test_decorated_calls_start_clean_spans(tmp_path: Any) -> None:
    import otel_agents as oa
    from otel_agents._state import RUNTIME

    provider = TracerProvider()
    seen = SeenAtStart()
    provider.add_span_processor(seen)
    oa.configure(tracer_provider=provider, outcome_log=tmp_path / "o.jsonl")
    try:

        @oa.agent(name="planner", tags=["x", "y"])
        def planner() -> int:
            """Plan."""
            return 1

        @oa.workflow(name="flow")
        def flow() -> int:
            return planner()

        assert flow() == 1
        assert isinstance(RUNTIME.tracer, CleanStartTracer)
        spec = planner.__otel_agents_spec__  # type: ignore[attr-defined]
        assert type(spec.attributes) is CleanAttributes
        child = seen.at_start[1]
        assert child["gen_ai.agent.name"] == "planner" and child["agent.tags"] == ("x", "y")
        assert child["gen_ai.agent.description"] == "Plan."
        assert child["agent.workflow.id"] == seen.ended[1].attributes["agent.workflow.id"]
    finally:
        oa.shutdown()
