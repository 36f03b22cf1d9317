"""The compiled event builder (``otel_agents/events/_speedups.c``): present on CI, used for
the common case, identical to the Python builder, and safe with anything it is given.

Every event any test builds is compared with the Python builder's by the autouse plugin
``tests/plugins/compiled_builder.py``; these tests make sure both paths are exercised with
awkward values, and that the C code neither leaks nor raises.
"""

from __future__ import annotations

import gc
import hashlib
import math
import os
import platform
import subprocess
import sys
import types
import uuid
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import otel_agents as oa
from otel_agents.events import outcome
from otel_agents.events.jsonsafe import dumps
from otel_agents.ids import EVENT_ID_NAMESPACE
from tests.plugins.compiled_builder import BuilderCheck, compiled_builder_expected


@pytest.fixture
def compiled(builder_check: BuilderCheck | None) -> BuilderCheck:
    if builder_check is None:
        if compiled_builder_expected():
            pytest.fail("the compiled builder was not built (is a C compiler installed?)")
        pytest.skip("no compiled builder here: the package was installed without a C compiler")
    return builder_check


def test_ci_installs_the_compiled_builder() -> None:
    if not compiled_builder_expected():
        pytest.skip("only CI promises a C compiler")
    assert outcome._build_outcome is not None


def test_awkward_values_build_the_same_events_both_ways(traced, compiled) -> None:
    long_text = "é" * 5000  # over OTEL_AGENTS_MAX_VALUE_LENGTH (4096): cut by Python

    @oa.tool(name="lookup", capture_content=True)
    def lookup(query: str) -> str:
        oa.record(tool_call_id="call-7", quality_score=1, confidence_score=math.nan)
        return query.upper()

    @oa.agent(agent_id="a-1", version="3", model="gpt-4o-mini", provider="openai")
    def planner(task: str) -> str:
        oa.record(
            input_tokens=120,
            output_tokens=30,
            total_tokens=10,  # below input + output: raised to their sum
            cost_usd=0.002,
            reward=-1,
            retry_count=2,
            tags=["nightly", "ünïcode"],
            metadata={
                "text": "plain",
                "count": 3,
                "ratio": 0.25,
                "flag": True,
                "nan": math.nan,
                "nested": {"a": [1, 2]},
                "long": long_text,
            },
        )
        return lookup(task)

    @oa.agent(name="только-имя")
    def bare() -> None:
        oa.record(input_tokens=5)

    @oa.agent
    def failing() -> None:
        raise ValueError("boom")

    with oa.workflow("nightly-run", correlation_id="corr-1"):
        planner("find")
        bare()
        with pytest.raises(ValueError):
            failing()
    events = traced.events()
    assert {event.name for event in events} >= {"lookup", "planner", "только-имя", "failing"}
    # Both paths ran: the plugin compared every event the compiled builder made.
    assert compiled.built >= 3, (compiled.built, compiled.declined)
    assert compiled.declined >= 1  # the failure's exception event, the cut metadata value


def test_event_ids_are_uuid5_of_the_ids(traced, compiled) -> None:
    @oa.agent
    def step() -> None:
        return None

    for _ in range(300):
        step()
    events = traced.events()
    assert len(events) == 300 and compiled.built >= 300
    for event in events:
        name = f"{event.trace_id}-{event.span_id}-outcome"
        assert event.event_id == str(uuid.uuid5(EVENT_ID_NAMESPACE, name))


def test_both_sha1_paths_give_hashlibs_digest(compiled) -> None:
    from otel_agents.events import _speedups

    # Every length around the block boundaries (55/56/64 bytes), and long messages.
    messages = [os.urandom(size) for size in [*range(0, 200), 1000, 4096, 65_537]]
    accelerated = _speedups.sha1_accelerated
    for message in messages:
        expected = hashlib.sha1(message).digest()
        assert _speedups.sha1(message, False) == expected, len(message)
        digest = _speedups.sha1(message, True)
        assert digest == (expected if accelerated else None), len(message)


def test_the_sha_instructions_are_used_where_the_cpu_has_them(compiled) -> None:
    from otel_agents.events import _speedups

    cpuinfo = Path("/proc/cpuinfo")
    if platform.machine() not in ("x86_64", "AMD64") or not cpuinfo.exists():
        assert not _speedups.sha1_accelerated
        return
    flags = {
        word
        for line in cpuinfo.read_text().splitlines()
        if line.startswith("flags")
        for word in line.split(":", 1)[1].split()
    }
    assert _speedups.sha1_accelerated == ("sha_ni" in flags)


def _finished_span() -> Any:
    """A finished SDK span shaped as ``@oa.agent(name="leak-check")`` makes it."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    attributes = {
        "gen_ai.operation.name": "invoke_agent",
        "gen_ai.agent.name": "leak-check",
        "gen_ai.request.model": "m",
        "agent.outcome.status": "SUCCESS",
    }
    provider.get_tracer("otel_agents").start_span(
        "invoke_agent leak-check", attributes=attributes
    ).end()
    (span,) = exporter.get_finished_spans()
    return span


def test_it_declines_what_it_does_not_know_and_never_raises(compiled) -> None:
    build = compiled.compiled
    span = _finished_span()
    attributes = dict(span.attributes)
    assert build(span, attributes, None, 8192) is not None
    odd_spans = [
        object(),
        None,
        types.SimpleNamespace(_name=5, _context=None),
        types.SimpleNamespace(**{**vars(span), "_end_time": None}),  # still running
        types.SimpleNamespace(**{**vars(span), "_context": (-1, 2, False, 1)}),
        types.SimpleNamespace(**{**vars(span), "_context": (2**130, 2, False, 1)}),
        types.SimpleNamespace(**{**vars(span), "_start_time": -5}),
        types.SimpleNamespace(**{**vars(span), "_status": None}),
    ]
    for odd in odd_spans:
        assert build(odd, attributes, None, 8192) is None
    assert build(span, types.MappingProxyType(attributes), None, 8192) is None
    assert build(span, {**attributes, 7: "not a str key"}, None, 8192) is None
    assert build(span, {**attributes, "gen_ai.operation.name": "chat"}, None, 8192) is None
    assert build(span, attributes, [object()], 8192) is None  # span events: Python's job
    assert build(span, attributes, None, "8192") is None
    assert build(span, attributes, None, 2**70) is None


def test_it_holds_no_reference_it_does_not_own(compiled) -> None:
    build = compiled.compiled
    span = _finished_span()
    attributes = {**span.attributes, "agent.metadata.k": "v", "custom": 1.5}
    watched = [span, vars(span), span.name, span.context, span.resource, *attributes.values()]
    build(span, attributes, None, 8192)  # the first one caches the converted resource
    before = [sys.getrefcount(item) for item in watched]
    for _ in range(5000):
        assert build(span, attributes, None, 8192) is not None
        assert build(span, attributes, [1], 8192) is None
    after = [sys.getrefcount(item) for item in watched]
    assert after == before


def _finished_span_with(resource_attributes: dict[str, Any], **attributes: Any) -> Any:
    exporter = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource.create(resource_attributes))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    base = {
        "gen_ai.operation.name": "invoke_agent",
        "gen_ai.agent.name": "gc-check",
        "agent.outcome.status": "SUCCESS",
    }
    tracer = provider.get_tracer("otel_agents")
    tracer.start_span("invoke_agent gc-check", attributes={**base, **attributes}).end()
    (span,) = exporter.get_finished_spans()
    return span


def test_events_are_left_out_of_the_cyclic_collector_only_when_they_hold_no_cycle(
    compiled,
) -> None:
    build = compiled.compiled
    span = _finished_span_with(
        {"service.name": "gc"},
        **{"agent.tags": ("a", "b"), "agent.metadata.k": "v", "custom": 2},
    )
    data = build(span, dict(span.attributes), None, 8192)
    assert data is not None and data["tags"] == ["a", "b"] and data["metadata"] == {"k": "v"}
    # Strings, numbers and containers of them: the collector would only walk them.
    containers = [data, *(value for value in data.values() if isinstance(value, (list, dict)))]
    assert containers[1:] and not any(gc.is_tracked(item) for item in containers)
    # A resource holding a list (a sequence attribute) keeps the event tracked.
    listed = _finished_span_with({"service.name": "gc", "process.command_args": ("a", "b")})
    data = build(listed, dict(listed.attributes), None, 8192)
    assert data is not None and gc.is_tracked(data)
    assert data["resource"]["attributes"]["process.command_args"] == ["a", "b"]
    # Untracked or not, each event is still freed at once by reference counting.
    collected = gc.collect()
    alive = len(gc.get_objects())
    for _ in range(2000):
        build(span, dict(span.attributes), None, 8192)
    assert gc.collect() <= collected + 5 and len(gc.get_objects()) <= alive + 50


def test_the_pure_python_switch_turns_it_off() -> None:
    code = "from otel_agents.events import outcome; print(outcome._build_outcome is None)"
    env = {**os.environ, "OTEL_AGENTS_PURE_PYTHON": "1"}
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "True"


def test_the_installed_module_is_built_from_the_current_source(compiled) -> None:
    # An install compiles the C file once: after an edit, install again (``make`` does it
    # when the file changed).
    from otel_agents.events import _speedups

    source = Path(__file__).resolve().parents[2] / "otel_agents" / "events" / "_speedups.c"
    assert Path(_speedups.__file__).stat().st_mtime >= source.stat().st_mtime, (
        "otel_agents/events/_speedups.c changed after it was compiled: "
        "run `pip install -e .` (or `make lint`) again"
    )


def test_events_whose_data_holds_no_cycle_are_left_out_of_the_collector_too(compiled) -> None:
    span = _finished_span_with({"service.name": "gc"}, **{"agent.metadata.k": "v"})
    event = outcome.OutcomeEvent.from_span(span)
    assert not gc.is_tracked(event._data) and not gc.is_tracked(event)
    # Serialised or read, it stays what it was; the bytes it may keep are no container.
    assert event.to_json_bytes() and event.metadata == {"k": "v"}
    # A subclass may hold more than its two slots: its events are left as they are.
    subclass = type("Mine", (outcome.OutcomeEvent,), {})
    assert gc.is_tracked(subclass.from_span(span))
    # Data that holds a container the collector tracks keeps the event tracked.
    listed = _finished_span_with({"service.name": "gc", "process.command_args": ("a", "b")})
    assert gc.is_tracked(outcome.OutcomeEvent.from_span(listed))
    # Untracked events are still freed at once by reference counting.
    gc.collect()
    alive = len(gc.get_objects())
    kept = [outcome.OutcomeEvent.from_span(span) for _ in range(2000)]
    assert len(gc.get_objects()) <= alive + 50
    del kept
    assert gc.collect() <= 5


def test_a_compiled_module_from_another_version_is_left_unused(
    compiled, monkeypatch: pytest.MonkeyPatch
) -> None:
    from otel_agents.events import _speedups

    def configure(*tables: object) -> None:
        raise TypeError(f"configure() takes 11 arguments ({len(tables)} given)")

    monkeypatch.setattr(_speedups, "configure", configure)
    monkeypatch.setattr(outcome, "_seal_event", outcome._seal_event)  # restored after
    assert outcome._load_build_outcome() is None  # the Python builder makes every event


def test_the_envelope_is_written_as_the_python_code_writes_it(compiled) -> None:
    from otel_agents.events import _speedups

    event = outcome.OutcomeEvent.from_span(_finished_span())
    control = "".join(chr(code) for code in range(0x20)) + '"\\/\x7f'
    awkward = {
        "name": [f'quote" back\\slash {control}', "é ✓ 😀 \u2028", ""],
        "event_id": ["id-\n"],
        "resource": [
            None,
            {},
            {"service_name": None},
            {"service_name": ""},
            {"service_name": 'a"b'},
        ],
        "end_time": [None, "", "2026-01-01T00:00:00Z"],
        "trace_flags": [None, 0, 1, True, 255],
        "metadata": [{"bytes": b"\x00\xff", "set": {1}, "other": object()}],
    }
    for field, values in awkward.items():
        for value in values:
            data = {**event.data(), field: value}
            written = _speedups.envelope_json(data)
            assert written is not None, (field, value)
            assert written == dumps(outcome.OutcomeEvent(data).to_dict()), (field, value)
    declined = {
        "name": ["lone \ud800 surrogate", 7, None],
        "trace_id": [5],
        "trace_flags": [256, -1, 2**70, "01"],
        "resource": [[("service_name", "x")], {"service_name": 5}],
        "end_time": [5],
        "metadata": [{"int": 2**80}],  # orjson refuses it; dumps repairs it in Python
    }
    for field, values in declined.items():
        for value in values:
            assert _speedups.envelope_json({**event.data(), field: value}) is None, (field, value)
    assert _speedups.envelope_json({"not": "an event"}) is None
    for missing in ("resource", "end_time", "trace_flags", "event_id", "name", "span_id"):
        # The Python code raises KeyError for those: to_json_bytes must still do so.
        partial = {key: value for key, value in event.data().items() if key != missing}
        assert _speedups.envelope_json(partial) is None, missing
        with pytest.raises(KeyError):
            outcome.OutcomeEvent(partial).to_json_bytes()
    assert _speedups.envelope_json(types.MappingProxyType(event.data())) is None
    # Whatever it declines, to_json_bytes still writes (the Python way).
    odd = outcome.OutcomeEvent({**event.data(), "name": "lone \ud800", "trace_flags": 300})
    assert odd.to_json_bytes() == dumps(odd.to_dict())


def test_a_kafka_records_key_and_traceparent_are_encoded_as_python_encodes_them(
    compiled,
) -> None:
    from otel_agents.events import _speedups

    event = outcome.OutcomeEvent.from_span(_finished_span())
    for flags in (None, 0, 1, True, 255):
        data = {**event.data(), "trace_flags": flags}
        expected = (data["trace_id"].encode(), outcome._traceparent(data).encode())
        assert _speedups.record_ids(data) == expected
        assert outcome.OutcomeEvent(data).key_and_traceparent() == expected
    assert event.key_and_traceparent() == (
        event.trace_id.encode(),
        f"00-{event.trace_id}-{event.span_id}-{event.trace_flags:02x}".encode(),
    )
    for field, value in (("trace_flags", 256), ("trace_id", 5), ("span_id", "\ud800")):
        assert _speedups.record_ids({**event.data(), field: value}) is None
    for missing in ("trace_flags", "trace_id", "span_id"):
        partial = {key: value for key, value in event.data().items() if key != missing}
        assert _speedups.record_ids(partial) is None, missing
    odd = outcome.OutcomeEvent({**event.data(), "trace_flags": 300})
    assert odd.key_and_traceparent()[1].endswith(b"-12c")  # as the Python code writes it


def test_the_envelope_holds_no_reference_it_does_not_own(compiled) -> None:
    from otel_agents.events import _speedups

    data = outcome.OutcomeEvent.from_span(_finished_span()).data()
    watched = [data, *(value for value in data.values() if isinstance(value, (str, dict)))]
    _speedups.envelope_json(data)
    before = [sys.getrefcount(item) for item in watched]
    for _ in range(5000):
        assert _speedups.envelope_json(data) is not None
        assert _speedups.envelope_json({**data, "trace_flags": 300}) is None
        assert _speedups.record_ids(data) is not None
    assert [sys.getrefcount(item) for item in watched] == before
