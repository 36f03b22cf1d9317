"""Each private OpenTelemetry internal we rely on, checked: an upgrade that moves one fails here."""

from __future__ import annotations

import subprocess
import sys

from otel_agents import _otel_private


def test_global_tracer_provider_is_set_follows_set_tracer_provider() -> None:
    code = (
        "from opentelemetry import trace\n"
        "from opentelemetry.sdk.trace import TracerProvider\n"
        "from otel_agents import _otel_private as p\n"
        "before = p.global_tracer_provider_is_set()\n"
        "trace.set_tracer_provider(TracerProvider())\n"
        "print(before, p.global_tracer_provider_is_set())\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "True"]


def test_the_module_global_it_reads_still_exists() -> None:
    from opentelemetry import trace

    assert hasattr(trace, "_TRACER_PROVIDER")
    assert isinstance(_otel_private.global_tracer_provider_is_set(), bool)


def test_suppress_instrumentation_is_seen_by_contrib_instrumentations() -> None:
    from opentelemetry.instrumentation.utils import is_instrumentation_enabled

    assert is_instrumentation_enabled()
    with _otel_private.suppress_instrumentation():
        assert not is_instrumentation_enabled()
    assert is_instrumentation_enabled()


def _finished_span(**attributes: object):
    from opentelemetry.sdk.trace import TracerProvider

    span = TracerProvider().get_tracer("t").start_span("s", attributes=attributes)
    span.end()
    return span


def test_plain_attributes_reads_the_sdk_span_dict() -> None:
    span = _finished_span(a=1, b="x")
    assert _otel_private.plain_attributes(span) == {"a": 1, "b": "x"}


def test_finished_attributes_is_the_sdk_span_dict_itself() -> None:
    span = _finished_span(a=1, b="x")
    assert _otel_private.finished_attributes(span) == {"a": 1, "b": "x"}
    assert _otel_private.finished_attributes(span) is _otel_private.finished_attributes(span)


def test_may_have_items_reads_the_length_of_events_and_links() -> None:
    span = _finished_span()
    assert not _otel_private.may_have_items(span, "_events")
    assert not _otel_private.may_have_items(span, "_links")
    from opentelemetry.sdk.trace import TracerProvider

    with_event = TracerProvider().get_tracer("t").start_span("s")
    with_event.add_event("e")
    with_event.end()
    assert _otel_private.may_have_items(with_event, "_events")
    assert _otel_private.may_have_items(object(), "_events")  # unknown shape: look


def test_remove_span_processors_detaches_only_ours() -> None:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    provider = TracerProvider()
    kept, ours = InMemorySpanExporter(), InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(kept))
    ours_processor = SimpleSpanProcessor(ours)
    provider.add_span_processor(ours_processor)
    assert _otel_private.remove_span_processors(provider, [ours_processor])
    provider.get_tracer("t").start_span("s").end()
    assert len(kept.get_finished_spans()) == 1 and not ours.get_finished_spans()


def test_span_exporters_finds_batch_and_simple_processors_exporters() -> None:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    provider = TracerProvider()
    batched, simple = InMemorySpanExporter(), InMemorySpanExporter()
    batch = BatchSpanProcessor(batched)
    provider.add_span_processor(batch)
    provider.add_span_processor(SimpleSpanProcessor(simple))
    try:
        found = _otel_private.span_exporters(provider)
        assert any(e is batched for e in found) and any(e is simple for e in found)
    finally:
        provider.shutdown()


def test_initialize_sdk_from_environment_builds_a_provider() -> None:
    code = (
        "import os\n"
        "os.environ['OTEL_TRACES_EXPORTER'] = 'console'\n"
        "os.environ['OTEL_METRICS_EXPORTER'] = 'none'\n"
        "os.environ['OTEL_LOGS_EXPORTER'] = 'none'\n"
        "from opentelemetry import trace\n"
        "from otel_agents import _otel_private as p\n"
        "p.initialize_sdk_from_environment()\n"
        "print(type(trace.get_tracer_provider()).__module__)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "opentelemetry.sdk.trace"


def test_trace_api_globals_hold_the_provider_global() -> None:
    from opentelemetry import trace

    assert _otel_private.TRACER_PROVIDER_KEY in _otel_private.TRACE_API_GLOBALS
    assert _otel_private.TRACE_API_GLOBALS is vars(trace)


def test_processor_chain_of_finds_where_the_exporters_processor_sits() -> None:
    code = (
        "from opentelemetry import trace\n"
        "from opentelemetry.sdk.trace import TracerProvider\n"
        "from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor\n"
        "from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter\n"
        "from otel_agents import _otel_private as p\n"
        "provider = TracerProvider()\n"
        "trace.set_tracer_provider(provider)\n"
        "ours = InMemorySpanExporter()\n"
        "provider.add_span_processor(BatchSpanProcessor(ours))\n"
        "with provider.get_tracer('t').start_as_current_span('first') as span:\n"
        "    pass\n"
        "provider.force_flush()\n"
        "(exported,) = ours.get_finished_spans()\n"
        "chain = p.processor_chain_of(exported, ours)\n"
        "extra = InMemorySpanExporter()\n"
        "chain.add_span_processor(SimpleSpanProcessor(extra))\n"
        "with provider.get_tracer('t').start_as_current_span('second'):\n"
        "    pass\n"
        "print([s.name for s in extra.get_finished_spans()],\n"
        "      p.processor_chain_of(exported, InMemorySpanExporter()) is None)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "['second'] True"


def test_provider_being_configured_is_the_one_init_tracing_builds() -> None:
    # What OTEL_TRACES_EXPORTER=kafka_outcomes relies on: the exporter, constructed by the
    # SDK's _init_tracing, finds the provider its batch processor is about to join.
    code = (
        "from opentelemetry import trace\n"
        "from opentelemetry.sdk._configuration import _init_tracing\n"
        "from opentelemetry.sdk.trace.export import SpanExporter\n"
        "from otel_agents import _otel_private as p\n"
        "seen = []\n"
        "class Probe(SpanExporter):\n"
        "    def __init__(self):\n"
        "        seen.append(p.provider_being_configured())\n"
        "    def export(self, spans): ...\n"
        "_init_tracing({'probe': Probe})\n"
        "provider = trace.get_tracer_provider()\n"
        "print(seen[0] is provider, p.span_exporters(provider)[0].__class__.__name__,\n"
        "      p.provider_being_configured() is None)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "True Probe True"


def test_metric_exporter_preferences_follow_the_exporters_settings() -> None:
    from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
    from opentelemetry.sdk.metrics import Counter
    from opentelemetry.sdk.metrics.export import AggregationTemporality

    exporter = OTLPMetricExporter(
        endpoint="http://127.0.0.1:9/v1/metrics",
        preferred_temporality={Counter: AggregationTemporality.DELTA},
    )
    temporality, aggregation = _otel_private.metric_exporter_preferences(exporter)
    assert temporality[Counter] is AggregationTemporality.DELTA
    assert isinstance(aggregation, dict)


def test_meter_records_nothing_until_a_meter_provider_is_set() -> None:
    from opentelemetry.metrics import NoOpMeterProvider
    from opentelemetry.metrics._internal import _ProxyMeterProvider
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader

    proxy = _ProxyMeterProvider()
    meter = proxy.get_meter("t")
    assert _otel_private.meter_records_nothing(meter)
    assert _otel_private.meter_records_nothing(NoOpMeterProvider().get_meter("t"))
    real = MeterProvider(metric_readers=[InMemoryMetricReader()])
    proxy.on_set_meter_provider(real)
    assert not _otel_private.meter_records_nothing(meter)  # the proxy now forwards
    assert not _otel_private.meter_records_nothing(real.get_meter("t"))
    real.shutdown()


def test_baggage_entries_reads_baggage_and_needs_no_import_before_any_exists() -> None:
    code = (
        "import sys\n"
        "from otel_agents import _otel_private as p\n"
        "empty = dict(p.baggage_entries())\n"
        "loaded_early = 'opentelemetry.baggage' in sys.modules\n"
        "from opentelemetry import baggage, context\n"
        "token = context.attach(baggage.set_baggage('session.id', 's-1'))\n"
        "print(empty, loaded_early, dict(p.baggage_entries()))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "{} False {'session.id': 's-1'}"


def test_baggage_entries_are_what_the_api_reads_in_any_context() -> None:
    from opentelemetry import baggage, context

    with_two = baggage.set_baggage("user.id", "u-1", baggage.set_baggage("session.id", "s-1"))
    for ctx in (context.Context(), with_two, context.set_value("other", 1, with_two)):
        assert dict(_otel_private.baggage_entries(ctx)) == dict(baggage.get_all(ctx))
    token = context.attach(with_two)
    try:
        assert dict(_otel_private.baggage_entries()) == {"session.id": "s-1", "user.id": "u-1"}
    finally:
        context.detach(token)
