"""Process control for the operations tests: the Collector, Prometheus, a trace sink.

Jaeger v2 has its own module, jaeger_harness, built on this one.

Everything listens on 127.0.0.1 at free ports and is stopped by whoever started it.
The Collector is built from collector/builder-config.yaml with the Collector builder
(Go, modules from the Go module proxy) into a cache outside the repository, keyed by
the manifest's hash, so a rebuild happens only when the manifest changes.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent import futures
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import yaml

if TYPE_CHECKING:  # jaeger_harness builds on this module
    from jaeger_harness import Jaeger

REPO = Path(__file__).resolve().parents[1]
MANIFEST = REPO / "collector" / "builder-config.yaml"
COLLECTOR_CONFIG = REPO / "collector" / "otelcol-config.yaml"
PROMETHEUS_CONFIG = REPO / "prometheus" / "prometheus.yml"
RULES_DIR = REPO / "prometheus" / "rules"

#: A cold build measured 2m47s on 2 cores; leave room for a slow module proxy.
BUILD_TIMEOUT_S = 1800

T = TypeVar("T")


class ComponentUnavailable(RuntimeError):
    """A real component could not be built or started here."""


def cache_root() -> Path:
    """Where built binaries live between runs (never inside the repository)."""
    configured = os.environ.get("OTEL_AGENTS_TEST_CACHE")
    return Path(configured) if configured else Path.home() / ".cache" / "otel-agents-tests"


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def require_tool(name: str) -> str:
    """The absolute path of an installed program, or ComponentUnavailable."""
    path = shutil.which(name)
    if path is None:
        raise ComponentUnavailable(f"{name} is not installed (run .ci/install-system-deps.sh)")
    return path


# --- the Collector build -------------------------------------------------------------
def _builder_version(manifest: Mapping[str, Any]) -> str:
    """The builder release matching the manifest's core components (same version)."""
    for section in ("receivers", "processors", "exporters", "connectors", "extensions"):
        for entry in manifest.get(section) or []:
            module, _, version = str(entry["gomod"]).partition(" ")
            if module.startswith("go.opentelemetry.io/collector/") and version.startswith("v0."):
                return version
    raise ComponentUnavailable(f"{MANIFEST} names no core component to take a version from")


def usual_go() -> str:
    """Go where its official archive installs, for a PATH that lacks it."""
    candidate = Path("/usr/local/go/bin/go")
    if candidate.is_file():
        return str(candidate)
    raise ComponentUnavailable("go is not installed: the Collector is built with Go")


#: pytest-timeout budget for a test whose fixtures may build the Collector.
COLLECTOR_TEST_TIMEOUT_S = BUILD_TIMEOUT_S + 300


@contextlib.contextmanager
def build_lock(target: Path) -> Iterator[None]:
    """Serialises builds into one cache folder across concurrent processes."""
    path = target.with_suffix(".lock")
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def collector_binary_path() -> Path:
    """Where the binary for the current manifest is (or will be) cached.

    Keyed by the manifest's content without comments and output path, so only a change
    of what is built triggers a rebuild.
    """
    manifest = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    manifest["dist"].pop("output_path", None)
    canonical = json.dumps(manifest, sort_keys=True).encode()
    digest = hashlib.sha256(canonical).hexdigest()[:16]
    return cache_root() / f"otelcol-{digest}" / str(manifest["dist"]["name"])


def build_collector(timeout_s: float = BUILD_TIMEOUT_S) -> Path:
    """The Collector built from the manifest; builds it on first use (minutes)."""
    binary = collector_binary_path()
    if binary.is_file():
        return binary
    go = shutil.which("go") or usual_go()
    target = binary.parent
    with build_lock(target):
        if binary.is_file():
            return binary
        manifest = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
        build_dir = target / "build"
        shutil.rmtree(build_dir, ignore_errors=True)
        build_dir.mkdir(parents=True)
        manifest["dist"]["output_path"] = str(build_dir)
        config = target / "builder-config.yaml"
        config.write_text(yaml.safe_dump(manifest, sort_keys=False), encoding="utf-8")
        log = target / "build.log"
        command = [
            go,
            "run",
            f"go.opentelemetry.io/collector/cmd/builder@{_builder_version(manifest)}",
            "--config",
            str(config),
        ]
        started = time.monotonic()
        with log.open("w") as out:
            try:
                result = subprocess.run(
                    command,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    cwd=target,
                    timeout=timeout_s,
                    check=False,
                )
            except subprocess.TimeoutExpired as exc:
                raise ComponentUnavailable(
                    f"Collector build exceeded {timeout_s:.0f}s; log: {log}"
                ) from exc
        built = build_dir / binary.name
        if result.returncode != 0 or not built.is_file():
            raise ComponentUnavailable(
                f"Collector build failed (exit {result.returncode}):\n{log_tail(log)}"
            )
        os.replace(built, binary)
        shutil.rmtree(build_dir, ignore_errors=True)
        (target / "build-seconds.txt").write_text(f"{time.monotonic() - started:.1f}\n")
    return binary


# --- processes -----------------------------------------------------------------------
def log_tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


class Server:
    """One child process with its log file; ``stop()`` ends it and its children."""

    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        log: Path,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
    ) -> None:
        self.name = name
        self.log = log
        self._handle = log.open("w")
        self.process = subprocess.Popen(
            list(argv),
            stdout=self._handle,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})},
            cwd=cwd,
            start_new_session=True,  # its own process group: stop() reaches its children
        )

    def running(self) -> bool:
        return self.process.poll() is None

    def stop(self, timeout_s: float = 15) -> None:
        """SIGTERM (graceful flush), then SIGKILL after ``timeout_s``."""
        if self.running():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout_s)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(5)
        self._handle.close()

    def tail(self, lines: int = 40) -> str:
        return log_tail(self.log, lines)

    def wait_for(self, check: Callable[[], T | None], timeout_s: float, what: str) -> T:
        """Polls ``check`` until it returns a value; if it never does, stops the process
        (a constructor that raises leaves no handle to stop it with) and fails with its log.
        """
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if not self.running():
                self.stop()
                raise ComponentUnavailable(
                    f"{self.name} exited ({self.process.returncode}) before {what}:\n{self.tail()}"
                )
            value = check()
            if value is not None:
                return value
            time.sleep(0.25)
        self.stop()
        raise ComponentUnavailable(f"{self.name}: no {what} in {timeout_s}s:\n{self.tail()}")


def http_get(url: str, timeout_s: float = 5) -> tuple[int, bytes] | None:
    """(status, body) of a GET, or None if nothing answered."""
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as response:
            status: int = response.status
            return status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()
    except (urllib.error.URLError, OSError):
        return None


def _ok(url: str) -> bool | None:
    answer = http_get(url, timeout_s=2)
    return True if answer is not None and answer[0] == 200 else None


# --- the Collector -------------------------------------------------------------------
class Collector(Server):
    """The Collector built from the manifest, on random 127.0.0.1 ports."""

    def __init__(
        self,
        binary: Path,
        workdir: Path,
        jaeger_otlp_endpoint: str,
        configs: Sequence[Path] = (COLLECTOR_CONFIG,),
        extra_env: Mapping[str, str] | None = None,
    ) -> None:
        self.otlp_grpc_port = free_port()
        self.otlp_http_port = free_port()
        self.health_port = free_port()
        self.prometheus_port = free_port()
        self.telemetry_port = free_port()
        env = {
            "OTELCOL_OTLP_GRPC_ENDPOINT": f"127.0.0.1:{self.otlp_grpc_port}",
            "OTELCOL_OTLP_HTTP_ENDPOINT": f"127.0.0.1:{self.otlp_http_port}",
            "OTELCOL_HEALTH_ENDPOINT": f"127.0.0.1:{self.health_port}",
            "OTELCOL_PROMETHEUS_ENDPOINT": f"127.0.0.1:{self.prometheus_port}",
            "OTELCOL_TELEMETRY_HOST": "127.0.0.1",
            "OTELCOL_TELEMETRY_PORT": str(self.telemetry_port),
            "OTELCOL_JAEGER_OTLP_ENDPOINT": jaeger_otlp_endpoint,
            # Tests cannot wait the default 15 s for span metrics.
            "OTELCOL_SPAN_METRICS_FLUSH_INTERVAL": "1s",
            **(extra_env or {}),
        }
        argv = [str(binary)]
        for config in configs:
            argv += ["--config", str(config)]
        super().__init__("otelcol", argv, workdir / "otelcol.log", env=env, cwd=workdir)
        self.wait_for(
            lambda: _ok(f"http://127.0.0.1:{self.health_port}/"), 60, "healthy health_check"
        )

    @property
    def otlp_grpc_endpoint(self) -> str:
        return f"http://127.0.0.1:{self.otlp_grpc_port}"

    @property
    def otlp_http_endpoint(self) -> str:
        return f"http://127.0.0.1:{self.otlp_http_port}"


# --- Prometheus ----------------------------------------------------------------------
class Prometheus(Server):
    """Debian's Prometheus, with the repository's scrape config and rules, on 127.0.0.1."""

    def __init__(
        self,
        workdir: Path,
        targets: Mapping[str, str],
        alertmanager: str | None = None,
        interval: str = "1s",
    ) -> None:
        binary = shutil.which("prometheus") or "/usr/bin/prometheus"
        if not Path(binary).is_file():
            raise ComponentUnavailable("prometheus is not installed")
        self.port = free_port()
        config = yaml.safe_load(PROMETHEUS_CONFIG.read_text(encoding="utf-8"))
        # The same jobs and rules as docker-compose, at our ports (tests scrape fast).
        config["global"] = {"scrape_interval": interval, "evaluation_interval": interval}
        config["rule_files"] = [str(RULES_DIR / "*.yaml")]
        if alertmanager is None:
            config.pop("alerting", None)
        else:
            config["alerting"]["alertmanagers"] = [
                {"static_configs": [{"targets": [alertmanager]}]}
            ]
        for job in config["scrape_configs"]:
            name = job["job_name"]
            target = f"127.0.0.1:{self.port}" if name == "prometheus" else targets[name]
            job["static_configs"] = [{"targets": [target]}]
        config_path = workdir / "prometheus.yml"
        config_path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
        argv = [
            binary,
            f"--config.file={config_path}",
            f"--storage.tsdb.path={workdir / 'tsdb'}",
            f"--web.listen-address=127.0.0.1:{self.port}",
            "--enable-feature=exemplar-storage",
        ]
        super().__init__("prometheus", argv, workdir / "prometheus.log", cwd=workdir)
        self.wait_for(lambda: _ok(f"{self.url}/-/ready"), 60, "ready endpoint")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def api(self, path: str, **params: str) -> Any:
        """GET /api/v1/<path>; raises AssertionError with Prometheus' error message."""
        url = f"{self.url}/api/v1/{path}?{urllib.parse.urlencode(params)}"
        answer = http_get(url, timeout_s=30)
        assert answer is not None, f"Prometheus did not answer {url}"
        body = json.loads(answer[1])
        assert body.get("status") == "success", f"{params}: {body.get('error')}"
        return body["data"]

    def query(self, expr: str) -> list[dict[str, Any]]:
        """Instant query; the result vector (a scalar becomes a one-element list)."""
        data = self.api("query", query=expr)
        if data["resultType"] in ("scalar", "string"):
            return [{"metric": {}, "value": data["result"]}]
        result: list[dict[str, Any]] = data["result"]
        return result

    def series_names(self) -> set[str]:
        names: list[str] = self.api("label/__name__/values")
        return set(names)

    def rule_groups(self) -> list[dict[str, Any]]:
        groups: list[dict[str, Any]] = self.api("rules")["groups"]
        return groups


# --- Alertmanager --------------------------------------------------------------------
ALERTMANAGER_DIR = REPO / "alertmanager"


class Alertmanager(Server):
    """Debian's Alertmanager with the configuration rendered from the repository's
    template by its own entrypoint.sh (as in docker-compose), on 127.0.0.1.

    Receivers nobody configured point at 127.0.0.1:9 (nothing listens), PagerDuty's
    included, so a firing alert never leaves the machine.
    """

    def __init__(self, workdir: Path) -> None:
        binary = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")
        if binary is None:
            raise ComponentUnavailable("prometheus-alertmanager is not installed")
        self.port = free_port()
        rendered = workdir / "alertmanager.yml"
        env = {
            "ALERTMANAGER_TEMPLATE": str(ALERTMANAGER_DIR / "alertmanager.yml.tmpl"),
            "ALERTMANAGER_CONFIG": str(rendered),
        }
        if not os.environ.get("PAGERDUTY_ROUTING_KEY"):
            env["PAGERDUTY_URL"] = "http://127.0.0.1:9/pagerduty-not-configured"
        subprocess.run(
            ["sh", str(ALERTMANAGER_DIR / "entrypoint.sh"), "--render-only"],
            env={**os.environ, **env},
            check=True,
            timeout=30,
        )
        argv = [
            binary,
            f"--config.file={rendered}",
            f"--storage.path={workdir / 'alertmanager-data'}",
            f"--web.listen-address=127.0.0.1:{self.port}",
            "--cluster.listen-address=",  # no gossip port (it would bind 0.0.0.0)
        ]
        super().__init__("alertmanager", argv, workdir / "alertmanager.log", cwd=workdir)
        self.wait_for(lambda: _ok(f"{self.url}/-/ready"), 60, "ready endpoint")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


# --- a trace sink standing in for Jaeger's OTLP receiver ----------------------------
class OtlpTraceSink:
    """An OTLP/gRPC trace receiver that keeps every span, standing in for Jaeger.

    It answers the same ``TraceService/Export`` call that Jaeger v2's OTLP receiver
    does, so the Collector's ``otlp_grpc/jaeger`` exporter is exercised unchanged.
    """

    def __init__(self) -> None:
        import grpc
        from opentelemetry.proto.collector.trace.v1 import (
            trace_service_pb2,
            trace_service_pb2_grpc,
        )

        self._lock = threading.Lock()
        self.requests: list[Any] = []
        sink = self

        class _Service(trace_service_pb2_grpc.TraceServiceServicer):
            def Export(self, request: Any, context: Any) -> Any:
                with sink._lock:
                    sink.requests.append(request)
                return trace_service_pb2.ExportTraceServiceResponse()

        self._server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
        trace_service_pb2_grpc.add_TraceServiceServicer_to_server(  # type: ignore[no-untyped-call]
            _Service(), self._server
        )
        self.port: int = self._server.add_insecure_port("127.0.0.1:0")
        self._server.start()

    @property
    def endpoint(self) -> str:
        return f"127.0.0.1:{self.port}"

    def spans(self) -> list[tuple[dict[str, Any], dict[str, Any], Any]]:
        """(resource attributes, span attributes, span) for every span received."""
        with self._lock:
            requests = list(self.requests)
        found = []
        for request in requests:
            for rs in request.resource_spans:
                resource = {kv.key: _any_value(kv.value) for kv in rs.resource.attributes}
                for ss in rs.scope_spans:
                    for span in ss.spans:
                        attrs = {kv.key: _any_value(kv.value) for kv in span.attributes}
                        found.append((resource, attrs, span))
        return found

    def stop(self) -> None:
        self._server.stop(grace=2).wait()


def _any_value(value: Any) -> Any:
    kind = value.WhichOneof("value")
    return getattr(value, kind) if kind else None


def parse_exposition(text: str) -> set[str]:
    """Metric family names in a Prometheus/OpenMetrics text exposition."""
    return {m.group(1) for m in re.finditer(r"^# TYPE (\S+) ", text, re.MULTILINE)}


class OpsStack:
    """The Collector, Prometheus and Jaeger on 127.0.0.1, with the demo feeding them."""

    def __init__(
        self,
        collector: Collector,
        prometheus: Prometheus,
        jaeger: Jaeger,
        demo: Server,
        outcome_log: Path,
    ) -> None:
        self.collector = collector
        self.prometheus = prometheus
        self.jaeger = jaeger
        self.demo = demo
        self.outcome_log = outcome_log


# --- the dashboard's and the alert rules' PromQL ------------------------------------
DASHBOARD = REPO / "grafana" / "dashboards" / "agent-outcomes.json"

#: Grafana's built-in variables and the dashboard's own, as the tests set them:
#: every variable on "All" (the regex .*), fixed windows for the interval macros.
DASHBOARD_VARIABLES = {
    "$__rate_interval": "1m",
    "$__range": "5m",
    "$service": ".*",
    "$environment": ".*",
    "$agent": ".*",
}

_COMPARISONS = {"==", "!=", ">", "<", ">=", "<="}
# Both sides of these must have data for the alert to ever fire; `x or y` is one
# signal (its fallback arm exists precisely so that the whole has data).
_SET_OPERATORS = {"and", "unless"}


def substitute_variables(expr: str) -> str:
    """A dashboard expression with its variables replaced (longest name first)."""
    for name in sorted(DASHBOARD_VARIABLES, key=len, reverse=True):
        expr = expr.replace(name, DASHBOARD_VARIABLES[name])
    return expr


def dashboard_json() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    return loaded


def dashboard_queries() -> list[tuple[str, str]]:
    """(panel title and refId, expr) of every Prometheus query in the checked-in JSON."""
    found = []
    for panel in dashboard_json()["panels"]:
        for target in panel.get("targets", []):
            if target.get("datasource", {}).get("type") == "prometheus":
                found.append((f"{panel['title']} [{target['refId']}]", target["expr"]))
    return found


def alert_rules() -> list[tuple[str, str, str]]:
    """(group, alert name, expr) of every alert rule in prometheus/rules."""
    found = []
    for path in sorted(RULES_DIR.glob("*.yaml")):
        for group in yaml.safe_load(path.read_text(encoding="utf-8"))["groups"]:
            for rule in group["rules"]:
                if "alert" in rule:
                    found.append((group["name"], rule["alert"], rule["expr"]))
    return found


def alert_signals(expr: str) -> list[str]:
    """The data-bearing parts of an alert expression, without its thresholds.

    An alert's own expression returns data only while it fires; its signals (the side
    of each comparison that is not a number, both sides of and/unless, the
    argument of absent()) must return data whenever the system is healthy.
    """
    import promql_parser

    signals: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, promql_parser.ParenExpr):
            walk(node.expr)
        elif isinstance(node, promql_parser.BinaryExpr) and str(node.op) in _SET_OPERATORS:
            walk(node.lhs)
            walk(node.rhs)
        elif (
            isinstance(node, promql_parser.BinaryExpr)
            and str(node.op) in _COMPARISONS
            and not (node.modifier and node.modifier.return_bool)
        ):
            for side in (node.lhs, node.rhs):
                if not isinstance(side, promql_parser.NumberLiteral):
                    walk(side)
        elif isinstance(node, promql_parser.Call) and node.func.name in (
            "absent",
            "absent_over_time",
        ):
            walk(node.args[0])
        else:
            signals.append(str(node))

    walk(promql_parser.parse(expr))
    return signals
