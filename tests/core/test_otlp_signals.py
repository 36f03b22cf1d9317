"""Where each OTLP signal goes, by the OpenTelemetry environment variables."""

from __future__ import annotations

import pytest

from otel_agents.errors import ConfigurationError
from otel_agents.export.otlp_signals import OtlpTarget, otlp_target

BASE = "http://127.0.0.1:4318"


def test_http_appends_the_signal_path_to_the_shared_endpoint() -> None:
    assert otlp_target("traces", BASE, "http/protobuf", {}) == OtlpTarget(
        f"{BASE}/v1/traces", "http/protobuf"
    )
    assert otlp_target("metrics", BASE + "/", "http/protobuf", {}) == OtlpTarget(
        f"{BASE}/v1/metrics", "http/protobuf"
    )


def test_grpc_uses_the_shared_endpoint_as_it_is() -> None:
    assert otlp_target("metrics", "http://c:4317", "grpc", {}) == OtlpTarget(
        "http://c:4317", "grpc"
    )


def test_a_signal_endpoint_is_used_as_it_is_and_beats_the_shared_one() -> None:
    env = {"OTEL_EXPORTER_OTLP_METRICS_ENDPOINT": "http://collector:4318/custom"}
    assert otlp_target("metrics", BASE, "http/protobuf", env) == OtlpTarget(
        "http://collector:4318/custom", "http/protobuf"
    )
    assert otlp_target("traces", BASE, "http/protobuf", env) == OtlpTarget(
        f"{BASE}/v1/traces", "http/protobuf"
    )


def test_a_signal_endpoint_alone_is_enough() -> None:
    env = {"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://jaeger:4318/v1/traces"}
    assert otlp_target("traces", None, "http/protobuf", env) is not None
    assert otlp_target("metrics", None, "http/protobuf", env) is None


def test_a_signal_protocol_beats_the_shared_one() -> None:
    env = {"OTEL_EXPORTER_OTLP_METRICS_PROTOCOL": "grpc"}
    assert otlp_target("metrics", "http://c:4317", "http/protobuf", env) == OtlpTarget(
        "http://c:4317", "grpc"
    )


@pytest.mark.parametrize("selection", ["none", "console", "prometheus,console"])
def test_an_exporter_list_without_otlp_sends_nothing(selection: str) -> None:
    env = {"OTEL_METRICS_EXPORTER": selection}
    assert otlp_target("metrics", BASE, "http/protobuf", env) is None
    assert otlp_target("traces", BASE, "http/protobuf", env) is not None


def test_an_exporter_list_with_otlp_sends() -> None:
    env = {"OTEL_TRACES_EXPORTER": "otlp,kafka_outcomes"}
    assert otlp_target("traces", BASE, "http/protobuf", env) is not None


def test_a_bad_signal_protocol_names_its_variable() -> None:
    env = {"OTEL_EXPORTER_OTLP_METRICS_PROTOCOL": "http/json"}
    with pytest.raises(ConfigurationError, match="OTEL_EXPORTER_OTLP_METRICS_PROTOCOL"):
        otlp_target("metrics", BASE, "http/protobuf", env)
