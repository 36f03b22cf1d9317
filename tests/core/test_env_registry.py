"""The environment-variable registry is complete, and README documents exactly it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from otel_agents.env import SETTINGS_FIELDS, VARIABLES, Settings

ROOT = Path(__file__).resolve().parents[2]
NAME = re.compile(r"OTEL_AGENTS_[A-Z_]*[A-Z]_?")


def _registered() -> set[str]:
    return {variable.name for variable in VARIABLES}


def test_every_variable_read_by_the_package_is_registered():
    used: set[str] = set()
    for source in (ROOT / "otel_agents").rglob("*.py"):
        used.update(NAME.findall(source.read_text()))
    prefixes = tuple(v.name for v in VARIABLES if v.kind == "prefix")
    used = {name for name in used if name != "OTEL_AGENTS_KAFKA_"}  # a prefix in messages
    used = {name for name in used if name in prefixes or not name.startswith(prefixes)}
    assert used <= _registered(), sorted(used - _registered())


def test_settings_fields_name_registered_variables_with_the_same_default():
    by_name = {variable.name: variable for variable in VARIABLES}
    assert Settings.__slots__ == tuple(field.name for field in SETTINGS_FIELDS)
    for field in SETTINGS_FIELDS:
        env = field.env
        if not env.startswith("OTEL_AGENTS_"):
            continue  # standard OpenTelemetry variables
        assert env in by_name, env
        default = field.default
        documented = by_name[env].default
        if isinstance(default, bool):
            assert documented == str(default).lower(), env
        elif isinstance(default, int):
            assert documented == str(default), env


def test_readme_tables_list_exactly_the_registered_variables():
    rows = [line for line in (ROOT / "README.md").read_text().splitlines() if line.startswith("|")]
    in_readme = {name.rstrip("_") for row in rows for name in NAME.findall(row)}
    in_readme.discard("OTEL_AGENTS_TEST_KAFKA_BOOTSTRAP")
    registered = {name.rstrip("_") for name in _registered()}
    assert in_readme == registered, {
        "missing from README": sorted(registered - in_readme),
        "not registered": sorted(in_readme - registered),
    }


def test_the_outcome_processor_defaults_to_the_settings_defaults() -> None:
    import inspect

    from otel_agents.env import PROCESSOR_SETTINGS
    from otel_agents.events.outcome import OutcomeEvent
    from otel_agents.export.processor import OutcomeSpanProcessor

    parameters = inspect.signature(OutcomeSpanProcessor).parameters
    defaults = {field.name: field.default for field in SETTINGS_FIELDS}
    assert set(PROCESSOR_SETTINGS) <= set(parameters)
    for name in PROCESSOR_SETTINGS:
        assert parameters[name].default == defaults[name], name
    assert defaults["max_queue_size"] == 2048 and defaults["sink_queue_size"] == 2048
    from_span = inspect.signature(OutcomeEvent.from_span).parameters
    assert from_span["max_value_length"].default == defaults["max_value_length"] == 4096


def test_settings_from_env_reads_and_checks_only_the_named_fields(monkeypatch) -> None:
    from otel_agents.env import settings_from_env
    from otel_agents.errors import ConfigurationError

    monkeypatch.setenv("OTEL_AGENTS_MAX_QUEUE_SIZE", "64")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "carrier-pigeon")  # not asked for
    assert settings_from_env(["max_queue_size", "emit_pending"]) == {
        "max_queue_size": 64,
        "emit_pending": False,
    }
    monkeypatch.setenv("OTEL_AGENTS_SINK_TIMEOUT_MS", "0")
    with pytest.raises(ConfigurationError, match=r"OTEL_AGENTS_SINK_TIMEOUT_MS.*1 or more"):
        settings_from_env(["sink_timeout_ms"])
    monkeypatch.setenv("OTEL_AGENTS_MAX_VALUE_LENGTH", "long")
    with pytest.raises(ConfigurationError, match="OTEL_AGENTS_MAX_VALUE_LENGTH"):
        settings_from_env(["max_value_length"])
