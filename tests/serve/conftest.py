"""A real ``otel-agents serve`` process per test, fed by the real demo (Kafka or logs)."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.kafka.broker import create_topic

TOKEN = "test-token-0123456789abcdef"


class Server:
    """A running ``otel-agents serve``: its URL, and a client for its REST API."""

    def __init__(self, process: subprocess.Popen[str], url: str, token: str | None) -> None:
        self.process = process
        self.url = url
        self.token = token
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.http = httpx.Client(base_url=url, headers=headers, timeout=30)

    @property
    def ws_url(self) -> str:
        return "ws" + self.url[len("http") :] + "/ws"

    def get(self, path: str, **params: Any) -> Any:
        response = self.http.get(path, params=params)
        response.raise_for_status()
        return response.json()

    def wait_ready(self, messages: int = 0, timeout: float = 60.0) -> dict[str, Any]:
        """Until /readyz says ready and the feed has read ``messages`` messages."""
        deadline = time.monotonic() + timeout
        body: dict[str, Any] = {}
        while time.monotonic() < deadline:
            body = self.http.get("/readyz").json()
            if body["ready"] and body["caught_up"] and body["messages"] >= messages:
                return body
            time.sleep(0.1)
        raise AssertionError(f"server not ready: {body}")

    def stop(self) -> None:
        self.http.close()
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)


StartServer = Callable[..., Server]


@pytest.fixture
def start_server(tmp_path: Path) -> Iterator[StartServer]:
    """Start ``otel-agents serve ARGS`` on a free loopback port; stopped after the test."""
    servers: list[Server] = []

    def start(*args: str, token: str | None = None, env: dict[str, str] | None = None) -> Server:
        environment = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
        environment.update(env or {})
        if token is not None:
            environment["OTEL_AGENTS_SERVE_TOKEN"] = token
        process = subprocess.Popen(
            [sys.executable, "-m", "otel_agents.cli", "serve", "--port", "0", *args],
            stdout=subprocess.PIPE,
            stderr=open(tmp_path / f"serve-{len(servers)}.err", "w"),  # noqa: SIM115
            text=True,
            cwd=tmp_path,
            env=environment,
        )
        line = process.stdout.readline() if process.stdout else ""
        if "http://" not in line:
            process.kill()
            errors = (tmp_path / f"serve-{len(servers)}.err").read_text()
            raise AssertionError(f"serve did not start: {line!r} {errors}")
        url = line.split()[2].rstrip("/")
        server = Server(process, url, token)
        servers.append(server)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError):
                if server.http.get("/healthz").status_code == 200:
                    return server
            time.sleep(0.05)
        raise AssertionError("serve never answered /healthz")

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def demo_topics(kafka_bootstrap: str) -> dict[str, str]:
    """Fresh outcome and feedback topics, and the env that points the demo at them."""
    suffix = uuid.uuid4().hex[:10]
    outcomes = create_topic(kafka_bootstrap, f"outcomes-{suffix}")
    feedback = create_topic(kafka_bootstrap, f"feedback-{suffix}")
    return {
        "outcomes": outcomes,
        "feedback": feedback,
        "OTEL_AGENTS_KAFKA_TOPIC": outcomes,
        "OTEL_AGENTS_KAFKA_FEEDBACK_TOPIC": feedback,
    }


def run_demo(
    tmp_path: Path,
    *args: str,
    env: dict[str, str] | None = None,
    background: bool = False,
) -> subprocess.Popen[bytes]:
    """``otel-agents demo --quiet ARGS`` as a user runs it (its own process)."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    environment.update({k: v for k, v in (env or {}).items() if k.startswith("OTEL_")})
    environment["OTEL_AGENTS_KAFKA_SPOOL_DIR"] = str(tmp_path / "spool")
    process = subprocess.Popen(
        [sys.executable, "-m", "otel_agents.cli", "demo", "--quiet", *args],
        cwd=tmp_path,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=open(tmp_path / "demo.err", "ab"),  # noqa: SIM115
    )
    if not background:
        assert process.wait(120) == 0, (tmp_path / "demo.err").read_text()
    return process


def outcome_lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line)["data"] for line in path.read_text().splitlines() if line.strip()]
