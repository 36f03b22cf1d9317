"""``DirectHistogram`` gives the SDK's aggregations exactly what ``record`` would.

Each case records the same values twice, in two SDK ``MeterProvider``s set up alike:
through ``histogram.record`` in one, through ``DirectHistogram`` in the other, and
compares what their readers collect (timestamps aside). The cases that must go straight
to the aggregations assert that they do, so an SDK whose internals moved fails here
instead of quietly costing ~6x more per value.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

import pytest
from opentelemetry import metrics
from opentelemetry.context import attach, detach
from opentelemetry.sdk.metrics import Histogram, MeterProvider
from opentelemetry.sdk.metrics._internal.exemplar import AlwaysOnExemplarFilter
from opentelemetry.sdk.metrics.export import AggregationTemporality, InMemoryMetricReader
from opentelemetry.sdk.metrics.view import View
from opentelemetry.trace import set_span_in_context

from otel_agents._otel_private import DirectHistogram

ATTRIBUTES = {"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "planner"}
VALUES: tuple[float, ...] = (0.5, 0, 3, 0.01, 0.02, 81.92, 1e9, 2.5, 7)
# Refused by the SDK (with a warning) and so by DirectHistogram: never aggregated.
REFUSED: tuple[float, ...] = (-1.0, float("nan"), float("inf"))

Points = list[dict[str, Any]]


def _points(reader: InMemoryMetricReader) -> Points:
    data = reader.get_metrics_data()
    points: Points = []
    for resource_metrics in data.resource_metrics if data else ():
        for scope_metrics in resource_metrics.scope_metrics:
            for metric in scope_metrics.metrics:
                for point in metric.data.data_points:
                    points.append(
                        {
                            "metric": metric.name,
                            "attributes": dict(point.attributes),
                            "count": point.count,
                            "sum": point.sum,
                            "min": point.min,
                            "max": point.max,
                            "bucket_counts": list(point.bucket_counts),
                            "exemplars": [e.value for e in point.exemplars],
                        }
                    )
    return sorted(points, key=lambda p: (p["metric"], sorted(p["attributes"].items())))


class Side:
    """One provider of a pair: its readers and its histogram."""

    def __init__(self, readers: list[InMemoryMetricReader], **provider_options: Any) -> None:
        self.readers = readers
        self.provider = MeterProvider(metric_readers=readers, **provider_options)
        self.histogram = self.provider.get_meter("t").create_histogram(
            "d", unit="s", explicit_bucket_boundaries_advisory=(0.01, 0.1, 1.0, 10.0)
        )

    def collected(self) -> list[Points]:
        return [_points(reader) for reader in self.readers]


def _pair(
    make_readers: Callable[[], list[InMemoryMetricReader]], **provider_options: Any
) -> tuple[Side, Side, DirectHistogram]:
    """Two providers set up alike (``record`` in the first, ``DirectHistogram`` in the
    second), and the second's ``DirectHistogram`` for ``ATTRIBUTES``."""
    api, direct = Side(make_readers(), **provider_options), Side(make_readers(), **provider_options)
    return api, direct, DirectHistogram(direct.histogram, ATTRIBUTES)


def _record_both(api: Side, direct: DirectHistogram, values: Iterable[float]) -> None:
    for value in values:
        api.histogram.record(value, ATTRIBUTES)
        direct.record(value)


def test_cumulative_values_go_straight_to_the_aggregation_with_the_same_result(
    caplog: pytest.LogCaptureFixture,
) -> None:
    api, side, direct = _pair(lambda: [InMemoryMetricReader()])
    _record_both(api, direct, VALUES[:1])
    assert direct.direct
    with caplog.at_level(logging.WARNING):
        _record_both(api, direct, VALUES[1:] + REFUSED)
    # Both refused the same values, each with the SDK's warning.
    assert len(caplog.records) == 2 * len(REFUSED), [r.message for r in caplog.records]
    first = side.collected()
    assert first == api.collected()
    assert first[0][0]["count"] == len(VALUES)
    # Cumulative: later values add to the same point.
    _record_both(api, direct, VALUES)
    assert direct.direct
    assert side.collected() == api.collected()
    assert side.collected()[0][0]["count"] == 2 * len(VALUES)


def test_every_reader_and_every_view_gets_each_value() -> None:
    views = [
        View(instrument_name="d"),
        View(instrument_name="d", name="d_by_agent", attribute_keys={"gen_ai.agent.name"}),
    ]
    api, side, direct = _pair(lambda: [InMemoryMetricReader(), InMemoryMetricReader()], views=views)
    _record_both(api, direct, VALUES)
    assert direct.direct
    collected = side.collected()
    assert collected == api.collected()
    assert [len(points) for points in collected] == [2, 2]
    assert collected[0][1]["attributes"] == {"gen_ai.agent.name": "planner"}


def test_delta_temporality_goes_through_record_across_collections() -> None:
    def delta() -> list[InMemoryMetricReader]:
        temporality = {Histogram: AggregationTemporality.DELTA}
        return [InMemoryMetricReader(preferred_temporality=temporality)]

    api, side, direct = _pair(delta)
    for chunk in (VALUES[:3], VALUES[3:], VALUES):
        _record_both(api, direct, chunk)
        assert not direct.direct  # its aggregations are replaced at each collection
        collected = side.collected()
        assert collected == api.collected()
        assert collected[0][0]["count"] == len(chunk)


def test_a_reader_added_later_gets_the_values_after_it_as_record_would() -> None:
    api, side, direct = _pair(lambda: [InMemoryMetricReader()])
    _record_both(api, direct, VALUES)
    for each in (api, side):
        each.readers.append(InMemoryMetricReader())
        each.provider.add_metric_reader(each.readers[-1])
    _record_both(api, direct, VALUES[:4])
    assert direct.direct  # found again after one record()
    _record_both(api, direct, VALUES[4:])
    collected = side.collected()
    assert collected == api.collected()
    assert collected[1][0]["count"] == len(VALUES)


def test_a_set_past_the_cardinality_limit_goes_through_record() -> None:
    api, side, direct = _pair(lambda: [InMemoryMetricReader(cardinality_limits={Histogram: 1})])
    for each in (api, side):
        each.histogram.record(1.0, {"other": "set"})
    _record_both(api, direct, VALUES)
    assert not direct.direct  # the SDK keeps it at the overflow point
    collected = side.collected()
    assert collected == api.collected()
    assert {"otel.metric.overflow": True} in [p["attributes"] for p in collected[0]]


def test_exemplars_are_sampled_as_record_samples_them() -> None:
    from opentelemetry.sdk.trace import TracerProvider

    api, side, direct = _pair(
        lambda: [InMemoryMetricReader()], exemplar_filter=AlwaysOnExemplarFilter()
    )
    with TracerProvider().get_tracer("t").start_as_current_span("s"):
        _record_both(api, direct, VALUES)
    collected = side.collected()
    assert collected == api.collected()
    assert collected[0][0]["exemplars"]


def test_the_default_filter_samples_only_a_sampled_spans_values() -> None:
    from opentelemetry.sdk.trace import TracerProvider

    api, side, direct = _pair(lambda: [InMemoryMetricReader()])
    _record_both(api, direct, VALUES[:3])
    span = TracerProvider().get_tracer("t").start_span("s")
    token = attach(set_span_in_context(span))
    try:
        _record_both(api, direct, VALUES[3:5])
    finally:
        detach(token)
        span.end()
    _record_both(api, direct, VALUES[5:])
    assert direct.direct
    collected = side.collected()
    assert collected == api.collected()
    assert len(collected[0][0]["exemplars"]) == 2


def test_a_proxy_instrument_is_followed_to_the_sdk_once_a_provider_is_set() -> None:
    from opentelemetry.metrics._internal import _ProxyMeter

    proxy_meter = _ProxyMeter("t", None, None)
    direct = DirectHistogram(proxy_meter.create_histogram("d", unit="s"), ATTRIBUTES)
    direct.record(1.0)  # dropped, as record() drops it: nothing behind the proxy yet
    assert not direct.direct
    reader = InMemoryMetricReader()
    proxy_meter.on_set_meter_provider(MeterProvider(metric_readers=[reader]))
    for value in VALUES:
        direct.record(value)
    assert direct.direct
    (point,) = _points(reader)
    assert point["count"] == len(VALUES) and point["sum"] == pytest.approx(sum(VALUES))


def test_a_noop_instrument_records_nothing_and_never_raises() -> None:
    direct = DirectHistogram(metrics.NoOpMeter("t").create_histogram("d"), ATTRIBUTES)
    for value in VALUES + REFUSED:
        direct.record(value)
    assert not direct.direct
