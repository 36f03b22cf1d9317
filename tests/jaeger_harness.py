"""Jaeger v2 for the operations tests and ``make stack``: build, start, query.

Jaeger is built from its own Go module (jaeger/go.mod and go.sum pin v1.76.0 and every
dependency) — not the Collector's builder module: Jaeger 1.76 is built on Collector
v0.140 components and ours on v0.155, and one Go module cannot hold both. The binary
is cached outside the repository, keyed by the module files' hash, and a file lock
keeps concurrent test processes from building it twice.

It runs from jaeger/config.yaml, the file docker-compose mounts, with its listeners
moved to free 127.0.0.1 ports.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path
from typing import Any

import yaml
from ops_harness import (
    REPO,
    ComponentUnavailable,
    Server,
    build_lock,
    cache_root,
    free_port,
    http_get,
    log_tail,
    usual_go,
)

JAEGER_MODULE = REPO / "jaeger"
JAEGER_CONFIG = JAEGER_MODULE / "config.yaml"
#: What `go build` makes; the module pins its version.
JAEGER_PACKAGE = "github.com/jaegertracing/jaeger/cmd/jaeger"
#: The linker drops the symbol table and DWARF: a smaller binary (85 MB), same behaviour.
_BUILD_FLAGS = ("-trimpath", "-ldflags=-s -w")

#: A cold build took 18 min on 2 cores busy with other builds (572 CPU-seconds, about
#: 5 min of 2 idle cores); leave room for a slow module proxy.
JAEGER_BUILD_TIMEOUT_S = 2400


def jaeger_binary_path() -> Path:
    """Where the binary for the current go.mod/go.sum is (or will be) cached."""
    digest = hashlib.sha256()
    for name in ("go.mod", "go.sum"):
        digest.update((JAEGER_MODULE / name).read_bytes())
    digest.update(" ".join(_BUILD_FLAGS).encode())
    return cache_root() / f"jaeger-{digest.hexdigest()[:16]}" / "jaeger"


def build_jaeger(timeout_s: float = JAEGER_BUILD_TIMEOUT_S) -> Path:
    """Jaeger v2 built from jaeger/go.mod; builds it on first use (minutes)."""
    binary = jaeger_binary_path()
    if binary.is_file():
        return binary
    go = shutil.which("go") or usual_go()
    target = binary.parent
    with build_lock(target):
        if binary.is_file():
            return binary
        source = target / "module"
        shutil.rmtree(source, ignore_errors=True)
        source.mkdir(parents=True)
        for name in ("go.mod", "go.sum"):
            shutil.copyfile(JAEGER_MODULE / name, source / name)
        log = target / "build.log"
        partial = target / "jaeger.partial"
        command = [go, "build", *_BUILD_FLAGS, "-o", str(partial), JAEGER_PACKAGE]
        started = time.monotonic()
        with log.open("w") as out:
            try:
                result = subprocess.run(
                    command,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    cwd=source,
                    # go.sum pins every module; never let the build rewrite it.
                    env={**os.environ, "GOFLAGS": "-mod=readonly -buildvcs=false"},
                    timeout=timeout_s,
                    check=False,
                )
            except subprocess.TimeoutExpired as exc:
                raise ComponentUnavailable(
                    f"Jaeger build exceeded {timeout_s:.0f}s; log: {log}"
                ) from exc
        if result.returncode != 0 or not partial.is_file():
            raise ComponentUnavailable(
                f"Jaeger build failed (exit {result.returncode}):\n{log_tail(log)}"
            )
        os.replace(partial, binary)
        shutil.rmtree(source, ignore_errors=True)
        (target / "build-seconds.txt").write_text(f"{time.monotonic() - started:.1f}\n")
    return binary


# --- the server ------------------------------------------------------------------------
def rebind_listeners(node: Any, ports: dict[str, int], path: str = "") -> Any:
    """A copy of the config with every listener on a free 127.0.0.1 port.

    Listeners are found, not listed: any ``endpoint`` (host:port) and the telemetry
    reader's ``host``/``port``. So a listener added to config.yaml later cannot keep a
    fixed port in the tests.
    """
    if isinstance(node, dict):
        copy = {key: rebind_listeners(value, ports, f"{path}/{key}") for key, value in node.items()}
        if "endpoint" in copy and isinstance(copy["endpoint"], str):
            ports[path] = free_port()
            copy["endpoint"] = f"127.0.0.1:{ports[path]}"
        if "host" in copy and "port" in copy:
            ports[path] = free_port()
            copy["host"], copy["port"] = "127.0.0.1", ports[path]
        return copy
    if isinstance(node, list):
        return [rebind_listeners(item, ports, f"{path}/{index}") for index, item in enumerate(node)]
    return node


class Jaeger(Server):
    """Jaeger v2 from jaeger/config.yaml, every listener on a free 127.0.0.1 port."""

    def __init__(
        self, binary: Path, workdir: Path, name: str = "jaeger", ui_assets: Path | None = None
    ) -> None:
        workdir.mkdir(parents=True, exist_ok=True)
        self.ports: dict[str, int] = {}
        config = rebind_listeners(
            yaml.safe_load(JAEGER_CONFIG.read_text(encoding="utf-8")), self.ports
        )
        if ui_assets is not None:  # a jaeger-ui build: the Go module embeds only a placeholder
            config["extensions"]["jaeger_query"]["ui"] = {"assets_path": str(ui_assets)}
        config_path = workdir / f"{name}.yaml"
        config_path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
        super().__init__(
            name, [str(binary), "--config", str(config_path)], workdir / f"{name}.log", cwd=workdir
        )
        self.wait_for(self._ready, 60, "healthy status and query API")

    def _port(self, path: str) -> int:
        return self.ports[path]

    @property
    def otlp_grpc_endpoint(self) -> str:
        """host:port of the OTLP/gRPC receiver (what the Collector's exporter takes)."""
        return f"127.0.0.1:{self._port('/receivers/otlp/protocols/grpc')}"

    @property
    def otlp_http_endpoint(self) -> str:
        return f"http://127.0.0.1:{self._port('/receivers/otlp/protocols/http')}"

    @property
    def url(self) -> str:
        """The query API and UI."""
        return f"http://127.0.0.1:{self._port('/extensions/jaeger_query/http')}"

    @property
    def health_url(self) -> str:
        return f"http://127.0.0.1:{self._port('/extensions/healthcheckv2/http')}/status"

    def _ready(self) -> bool | None:
        for url in (self.health_url, f"{self.url}/api/services"):
            answer = http_get(url, timeout_s=2)
            if answer is None or answer[0] != 200:
                return None
        return True

    def api(self, path: str, **params: str) -> Any:
        """GET /api/<path> of the query service; its ``data``."""
        query = f"?{urllib.parse.urlencode(params)}" if params else ""
        url = f"{self.url}/api/{path}{query}"
        answer = http_get(url, timeout_s=30)
        assert answer is not None, f"Jaeger did not answer {url}"
        assert answer[0] == 200, f"{url}: HTTP {answer[0]} {answer[1][:300]!r}"
        return json.loads(answer[1])["data"]

    def traces(self, service: str, limit: int = 1000, **params: str) -> list[dict[str, Any]]:
        """Traces of one service (Jaeger's JSON model: spans, processes, references)."""
        found: list[dict[str, Any]] = self.api(
            "traces", service=service, limit=str(limit), lookback="1h", **params
        )
        return found

    def trace(self, trace_id: str) -> dict[str, Any] | None:
        """One trace by its hex id, or None if Jaeger does not have it."""
        answer = http_get(f"{self.url}/api/traces/{trace_id}", timeout_s=30)
        if answer is None or answer[0] != 200:
            return None
        data = json.loads(answer[1])["data"]
        return data[0] if data else None


def tags(span: dict[str, Any]) -> dict[str, Any]:
    """A Jaeger JSON span's tags as a dict."""
    return {tag["key"]: tag["value"] for tag in span.get("tags", [])}


def parent_id(span: dict[str, Any]) -> str | None:
    """The spanID of a Jaeger JSON span's parent in its trace, if it has one.

    CHILD_OF first; else FOLLOWS_FROM in the same trace, which is what Jaeger makes of
    a parent that is also linked (as feedback spans are to the span they judge), and
    what its UI draws as the parent too.
    """
    references = [r for r in span.get("references", []) if r["traceID"] == span["traceID"]]
    for kind in ("CHILD_OF", "FOLLOWS_FROM"):
        for reference in references:
            if reference.get("refType") == kind:
                found: str = reference["spanID"]
                return found
    return None


_DEMO = "import sys; from otel_agents.cli import main; sys.exit(main())"


def run_demo(jaeger: Jaeger, workdir: Path, service: str, runs: int = 6, **env: str) -> str:
    """Runs the demo with OTLP/HTTP straight to Jaeger (nothing else set); its stderr."""
    workdir.mkdir(parents=True, exist_ok=True)
    outcome_log = str(workdir / "outcomes.jsonl")
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            _DEMO,
            "demo",
            "--runs",
            str(runs),
            "--quiet",
            "--outcome-log",
            outcome_log,
        ],
        env={
            # This process's environment without its OTel settings: only these count.
            **{k: v for k, v in os.environ.items() if not k.startswith("OTEL_")},
            "OTEL_SERVICE_NAME": service,
            "OTEL_EXPORTER_OTLP_ENDPOINT": jaeger.otlp_http_endpoint,
            "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
            # Every 100 ms: a run of about two seconds tries a dozen metric exports.
            "OTEL_METRIC_EXPORT_INTERVAL": "100",
            "OTEL_BSP_SCHEDULE_DELAY": "100",
            **env,
        },
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stderr


def wait_for_traces(
    jaeger: Jaeger, service: str, count: int, timeout_s: float = 30
) -> list[dict[str, Any]]:
    """At least ``count`` demo workflow traces of ``service``, once Jaeger has them."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if service in (jaeger.api("services") or []):
            found = jaeger.traces(service, operation="invoke_workflow research-report")
            if len(found) >= count:
                return found
        time.sleep(0.5)
    raise AssertionError(f"not {count} workflow traces of {service} in Jaeger:\n{jaeger.tail()}")
