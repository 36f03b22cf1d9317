"""``make stack`` / ``make stack-down``: the observability stack natively, on 127.0.0.1.

The real Collector, Jaeger v2, Prometheus, Alertmanager and a Kafka broker, started by
the same harness the tests use, from the same configuration files docker-compose
mounts (``CONFIG_FILES``; tests/ops/test_stack.py checks the two agree), with the demo
agent workload feeding them. For a machine without Docker.

    python tests/native_stack.py up    # builds what is missing, starts, prints the URLs
    python tests/native_stack.py down  # stops what `up` started, and nothing else

Idempotent: ``up`` on a running stack prints its URLs again; ``down`` stops only the
processes recorded in the state file (``.stack/state.json``) that are still the ones it
started (same process group and program). Every port is a free one: nothing collides
with another stack or with the tests.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import jaeger_harness
import ops_harness

from tests.kafka import broker as kafka_broker

REPO = ops_harness.REPO
KAFKA_OVERLAY = REPO / "collector" / "otelcol-kafka.yaml"
#: Service (docker-compose name) -> the repository files it runs from, natively too.
CONFIG_FILES: dict[str, tuple[Path, ...]] = {
    "otel-collector": (ops_harness.COLLECTOR_CONFIG, KAFKA_OVERLAY),
    "jaeger": (jaeger_harness.JAEGER_CONFIG,),
    "prometheus": (ops_harness.PROMETHEUS_CONFIG, ops_harness.RULES_DIR),
    "alertmanager": (
        ops_harness.ALERTMANAGER_DIR / "alertmanager.yml.tmpl",
        ops_harness.ALERTMANAGER_DIR / "entrypoint.sh",
    ),
}
_DEMO = "import sys; from otel_agents.cli import main; sys.exit(main())"


def state_dir() -> Path:
    configured = os.environ.get("OTEL_AGENTS_STACK_DIR")
    return Path(configured) if configured else REPO / ".stack"


def _state_file(folder: Path) -> Path:
    return folder / "state.json"


def _load(folder: Path) -> dict[str, Any]:
    try:
        loaded: dict[str, Any] = json.loads(_state_file(folder).read_text())
        return loaded
    except (OSError, ValueError):
        return {"processes": [], "urls": {}}


def _save(folder: Path, state: dict[str, Any]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    tmp = _state_file(folder).with_suffix(".tmp")
    tmp.write_text(json.dumps(state, indent=2))
    os.replace(tmp, _state_file(folder))


def _ours(record: dict[str, Any]) -> bool:
    """Whether the recorded process still runs and is the one we started: each was
    started as its own process group leader running the recorded program."""
    pid = int(record["pid"])
    try:
        if os.getpgid(pid) != pid:
            return False
        with open(f"/proc/{pid}/stat") as stat:
            if stat.read().rpartition(")")[2].split()[0] == "Z":
                return False
        with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
            program = cmdline.read().split(b"\0")[0].decode(errors="replace")
    except (OSError, ProcessLookupError):
        return False
    return bool(program == record["program"])


def _stop(record: dict[str, Any], timeout_s: float = 20) -> None:
    pid = int(record["pid"])
    for sig in (signal.SIGTERM, signal.SIGKILL):
        if not _ours(record):
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, sig)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and _ours(record):
            time.sleep(0.2)


def _print_urls(state: dict[str, Any]) -> None:
    for name, url in state["urls"].items():
        print(f"  {name:<24} {url}")
    print(f"  (logs and state in {state['folder']}; stop with: make stack-down)")


def up(folder: Path) -> dict[str, Any]:
    """Starts the stack unless it runs already; returns the state (URLs, processes)."""
    state = _load(folder)
    records = state["processes"]
    if records and all(_ours(r) for r in records):
        print("The stack is already running:")
        _print_urls(state)
        return state
    down(folder, quiet=True)  # what is left of a stack that half died

    started_at = time.monotonic()
    otelcol = ops_harness.build_collector()
    jaeger_binary = jaeger_harness.build_jaeger()
    kafka_broker.ensure_jars()
    built_at = time.monotonic()

    # A new stack each time: an old broker's data holds another cluster id.
    for data in ("kafka", "tsdb", "alertmanager-data", "spool"):
        shutil.rmtree(folder / data, ignore_errors=True)
    folder.mkdir(parents=True, exist_ok=True)
    state = {"folder": str(folder), "processes": [], "urls": {}}

    def record(name: str, pid: int | None, program: str) -> None:
        assert pid is not None, name
        state["processes"].append({"name": name, "pid": pid, "program": program})
        _save(folder, state)

    def server(name: str, start: Callable[[], ops_harness.Server]) -> Any:
        started = start()
        record(name, started.process.pid, str(started.process.args[0]))  # type: ignore[index]
        return started

    try:
        broker = kafka_broker.KafkaBroker(folder / "kafka", partitions=6)
        broker.start()
        record("kafka", broker.pid, "java")
        ui = os.environ.get("OTEL_AGENTS_JAEGER_UI")  # a jaeger-ui build (docs/jaeger.md)
        jaeger = server(
            "jaeger",
            lambda: jaeger_harness.Jaeger(
                jaeger_binary, folder, ui_assets=Path(ui) if ui else None
            ),
        )
        collector = server(
            "otel-collector",
            lambda: ops_harness.Collector(
                otelcol,
                folder,
                jaeger.otlp_grpc_endpoint,
                configs=CONFIG_FILES["otel-collector"],
                extra_env={
                    "KAFKA_BROKERS": broker.bootstrap,
                    "OTELCOL_SPAN_METRICS_FLUSH_INTERVAL": "15s",
                },
            ),
        )
        alertmanager = server("alertmanager", lambda: ops_harness.Alertmanager(folder))
        prometheus = server(
            "prometheus",
            lambda: ops_harness.Prometheus(
                folder,
                {
                    "otel-collector": f"127.0.0.1:{collector.prometheus_port}",
                    "otel-collector-self": f"127.0.0.1:{collector.telemetry_port}",
                },
                alertmanager=f"127.0.0.1:{alertmanager.port}",
                interval="5s",
            ),
        )
        demo_env = {
            "OTEL_SERVICE_NAME": "agent-demo",
            "OTEL_RESOURCE_ATTRIBUTES": "deployment.environment.name=stack,service.version=0.1.0",
            "OTEL_EXPORTER_OTLP_ENDPOINT": collector.otlp_grpc_endpoint,
            "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc",
            "OTEL_METRIC_EXPORT_INTERVAL": "5000",
            "OTEL_AGENTS_KAFKA_BOOTSTRAP_SERVERS": broker.bootstrap,
            "OTEL_AGENTS_KAFKA_SPOOL_DIR": str(folder / "spool"),
            "OTEL_AGENTS_OUTCOME_LOG": str(folder / "outcomes.jsonl"),
        }
        server(
            "demo",
            lambda: ops_harness.Server(
                "demo",
                [sys.executable, "-c", _DEMO, "demo", "--loop", "--quiet"],
                folder / "demo.log",
                env=demo_env,
                cwd=folder,
            ),
        )
        # Healthy means the whole path works: a demo trace is queryable in Jaeger.
        deadline = time.monotonic() + 120
        while "agent-demo" not in (jaeger.api("services") or []):
            if time.monotonic() > deadline:
                raise ops_harness.ComponentUnavailable("no demo trace reached Jaeger in 120s")
            time.sleep(0.5)
    except BaseException:
        down(folder, quiet=True)
        raise
    healthy_at = time.monotonic()

    state["urls"] = {
        "Jaeger UI": f"{jaeger.url}/search?service=agent-demo"
        + ("" if ui else "  (placeholder page: set OTEL_AGENTS_JAEGER_UI, docs/jaeger.md)"),
        "Jaeger query API": f"{jaeger.url}/api/traces?service=agent-demo",
        "Prometheus": prometheus.url,
        "Alertmanager": alertmanager.url,
        "Collector metrics": f"http://127.0.0.1:{collector.prometheus_port}/metrics",
        "OTLP gRPC (your agents)": collector.otlp_grpc_endpoint,
        "OTLP HTTP (your agents)": collector.otlp_http_endpoint,
        "Kafka bootstrap": broker.bootstrap,
    }
    state["seconds"] = {
        "builds_and_checks": round(built_at - started_at, 1),
        "start_to_all_healthy": round(healthy_at - built_at, 1),
    }
    _save(folder, state)
    (folder / "env").write_text(
        f"export OTEL_EXPORTER_OTLP_ENDPOINT={collector.otlp_grpc_endpoint}\n"
        "export OTEL_EXPORTER_OTLP_PROTOCOL=grpc\n"
        f"export OTEL_AGENTS_KAFKA_BOOTSTRAP_SERVERS={broker.bootstrap}\n"
    )
    print(
        f"The stack is up: all healthy {healthy_at - built_at:.1f}s after start "
        f"(builds/cache checks {built_at - started_at:.1f}s). The demo feeds it; open:"
    )
    _print_urls(state)
    print(f"  Point your own agents at it: source {folder / 'env'}")
    return state


def down(folder: Path, quiet: bool = False) -> None:
    """Stops every recorded process that is still ours, newest first."""
    state = _load(folder)
    for record in reversed(state["processes"]):
        if _ours(record):
            _stop(record)
            if not quiet:
                print(f"stopped {record['name']} (pid {record['pid']})")
    with contextlib.suppress(FileNotFoundError):
        _state_file(folder).unlink()
    if not quiet and not state["processes"]:
        print("No stack was running.")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("command", choices=("up", "down"))
    args = parser.parse_args(argv)
    folder = state_dir()
    try:
        if args.command == "up":
            up(folder)
        else:
            down(folder)
    except (ops_harness.ComponentUnavailable, kafka_broker.BrokerUnavailable) as exc:
        print(f"stack: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
