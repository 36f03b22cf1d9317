"""The environment-variable registry is complete, and README documents exactly it."""

from __future__ import annotations

import re
from pathlib import Path

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

    from otel_agents.export.processor import OutcomeSpanProcessor

    parameters = inspect.signature(OutcomeSpanProcessor).parameters
    defaults = {field.name: field.default for field in SETTINGS_FIELDS}
    for name in ("max_queue_size", "export_interval_ms", "sink_queue_size", "sink_timeout_ms"):
        assert parameters[name].default == defaults[name], name
    assert defaults["max_queue_size"] == 2048 and defaults["sink_queue_size"] == 2048
