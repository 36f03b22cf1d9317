"""The Collector distribution built from collector/builder-config.yaml, and its configs."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from ops_harness import COLLECTOR_CONFIG, COLLECTOR_TEST_TIMEOUT_S, MANIFEST, REPO

KAFKA_OVERLAY = REPO / "collector" / "otelcol-kafka.yaml"
KINDS = ("receivers", "processors", "exporters", "connectors", "extensions")


def _used_types(*configs: Path) -> dict[str, set[str]]:
    """Component types (the part of an id before '/') that the configs define."""
    used: dict[str, set[str]] = {kind: set() for kind in KINDS}
    for config in configs:
        loaded = yaml.safe_load(config.read_text())
        for kind in KINDS:
            used[kind] |= {cid.split("/")[0] for cid in loaded.get(kind) or {}}
    return used


def test_manifest_modules_come_from_one_release() -> None:
    manifest = yaml.safe_load(MANIFEST.read_text())
    versions = {
        entry["gomod"].split(" ")[1]
        for kind in (*KINDS, "providers")
        for entry in manifest.get(kind) or []
    }
    # Collector releases pair a v0.x with the stable core modules' v1.y.
    assert len({v for v in versions if v.startswith("v0.")}) == 1, versions
    assert len({v for v in versions if v.startswith("v1.")}) <= 1, versions


def test_span_metrics_use_agent_dimensions_and_never_ids() -> None:
    config = yaml.safe_load(COLLECTOR_CONFIG.read_text())
    span_metrics = config["connectors"]["span_metrics"]
    names = [d["name"] for d in span_metrics["dimensions"]]
    assert {
        "gen_ai.operation.name",
        "gen_ai.agent.name",
        "gen_ai.tool.name",
        "gen_ai.request.model",
        "error.type",
        "agent.outcome.status",
    } <= set(names)
    assert not [n for n in names if n.endswith((".id", "_id"))]
    assert span_metrics["histogram"]["unit"] == "ms"
    assert span_metrics["exemplars"]["enabled"] is True


@pytest.mark.integration
@pytest.mark.timeout(COLLECTOR_TEST_TIMEOUT_S)  # may build the Collector (minutes, cold)
@pytest.mark.parametrize(
    "configs", [(COLLECTOR_CONFIG,), (COLLECTOR_CONFIG, KAFKA_OVERLAY)], ids=["base", "kafka"]
)
def test_config_validates_with_the_built_collector(
    otelcol_binary: Path, configs: tuple[Path, ...]
) -> None:
    argv = [str(otelcol_binary), "validate"]
    for config in configs:
        argv += ["--config", str(config)]
    result = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.integration
@pytest.mark.timeout(COLLECTOR_TEST_TIMEOUT_S)
def test_the_distribution_holds_exactly_the_components_the_configs_use(
    otelcol_binary: Path,
) -> None:
    result = subprocess.run(
        [str(otelcol_binary), "components"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    built: dict[str, Any] = yaml.safe_load(result.stdout)
    used = _used_types(COLLECTOR_CONFIG, KAFKA_OVERLAY)
    for kind in KINDS:
        assert {c["name"] for c in built.get(kind) or []} == used[kind], kind
