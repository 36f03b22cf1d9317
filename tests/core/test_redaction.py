"""One redaction policy: secrets go, token counts stay, users add patterns and a callback."""

from __future__ import annotations

import pytest

import otel_agents as oa
from otel_agents import semconv


@pytest.mark.parametrize("key", ["max_tokens", "prompt_tokens", "input_tokens", "token_count"])
def test_token_count_metadata_is_not_redacted(traced, key):
    @oa.agent
    def worker():
        oa.record(metadata={key: 512})

    worker()
    assert traced.span("invoke_agent worker").attributes[semconv.METADATA_PREFIX + key] == 512


@pytest.mark.parametrize("key", ["api_key", "access_token", "x-auth-token", "password"])
def test_secret_metadata_keys_are_redacted(traced, key):
    @oa.agent
    def worker():
        oa.record(metadata={key: "hunter2"})

    worker()
    attrs = traced.span("invoke_agent worker").attributes
    assert attrs[semconv.METADATA_PREFIX + key] == "[REDACTED]"


def test_extra_pattern_and_callback_from_configure(tmp_path):
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    oa.configure(
        tracer_provider=provider,
        outcome_log=tmp_path / "o.jsonl",
        capture_content=True,
        redact_pattern=r"ACME-\d{4}",
        redact_callback=lambda text: text.replace("Alice", "[NAME]"),
    )
    try:

        @oa.tool
        def lookup(customer: str) -> str:
            return f"{customer} has ticket ACME-1234"

        lookup("Alice")
    finally:
        oa.shutdown()
        provider.shutdown()
    attrs = exporter.get_finished_spans()[0].attributes
    assert attrs[semconv.GEN_AI_TOOL_CALL_RESULT] == '"[NAME] has ticket [REDACTED]"'
    assert "Alice" not in attrs[semconv.GEN_AI_TOOL_CALL_ARGUMENTS]


def test_extra_pattern_from_env_is_checked_at_configure_time(monkeypatch, tmp_path):
    monkeypatch.setenv("OTEL_AGENTS_REDACT_PATTERN", "(unclosed")
    with pytest.raises(oa.ConfigurationError, match="OTEL_AGENTS_REDACT_PATTERN"):
        oa.configure(outcome_log=tmp_path / "o.jsonl")


def hide_bob(text: str) -> str:
    return text.replace("Bob", "[B]")


def test_callback_named_in_env_redacts_content(monkeypatch, tmp_path):
    from otel_agents.instrument import redaction

    monkeypatch.setenv("OTEL_AGENTS_REDACT_CALLBACK", f"{__name__}:hide_bob")
    oa.configure(outcome_log=tmp_path / "o.jsonl")
    try:
        assert redaction.redact_text("call Bob now") == "call [B] now"
    finally:
        oa.shutdown()
    assert redaction.redact_text("call Bob now") == "call Bob now"


def test_a_callback_that_cannot_be_imported_fails_at_configure_time(monkeypatch, tmp_path):
    monkeypatch.setenv("OTEL_AGENTS_REDACT_CALLBACK", "no_such_module:f")
    with pytest.raises(oa.ConfigurationError, match="OTEL_AGENTS_REDACT_CALLBACK"):
        oa.configure(outcome_log=tmp_path / "o.jsonl")
