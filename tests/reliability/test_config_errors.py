"""A bad setting fails at configuration time naming what the user set: the env var."""

from __future__ import annotations

from pathlib import Path

import pytest

import otel_agents as oa
from otel_agents.errors import ConfigurationError


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("OTEL_AGENTS_KAFKA_BOOTSTRAP_SERVERS", "nohostport"),
        ("OTEL_AGENTS_KAFKA_TOPIC", "bad topic!"),
    ],
)
def test_configure_from_the_environment_names_the_variable(
    variable: str, value: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OTEL_AGENTS_KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9")
    monkeypatch.setenv("OTEL_AGENTS_KAFKA_SPOOL_DIR", str(tmp_path))
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigurationError) as raised:
        oa.configure(service_name="config-errors")
    oa.shutdown()
    message = str(raised.value)
    assert variable in message
    assert "bootstrap_servers=" not in message and "topic=" not in message.replace(variable, "")


def test_configure_argument_is_named_as_the_argument(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OTEL_AGENTS_KAFKA_SPOOL_DIR", str(tmp_path))
    with pytest.raises(ConfigurationError, match="kafka_bootstrap_servers"):
        oa.configure(service_name="config-errors", kafka_bootstrap_servers="nohostport")
    oa.shutdown()
