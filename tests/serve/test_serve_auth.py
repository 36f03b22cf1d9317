"""With OTEL_AGENTS_SERVE_TOKEN set, REST and WebSocket refuse whoever lacks it."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from tests.serve.conftest import TOKEN, Server, StartServer, run_demo


@pytest.fixture
def guarded(start_server: StartServer, tmp_path: Path) -> Server:
    log = tmp_path / "outcomes.jsonl"
    run_demo(tmp_path, "--runs", "2", "--speed", "10", "--outcome-log", str(log))
    server = start_server("--log", str(log), token=TOKEN)
    server.wait_ready()
    return server


def _closed_with(url: str, first: str | None = None, **kwargs: object) -> int | None:
    """The close code the server ends this connection with."""
    with connect(url, open_timeout=10, **kwargs) as socket:  # type: ignore[arg-type]
        try:
            if first is not None:
                socket.send(first)
            socket.send(json.dumps({"type": "subscribe", "topics": ["all"]}))
            while True:
                socket.recv(timeout=10)
        except ConnectionClosed as closed:
            return closed.rcvd.code if closed.rcvd else None
    return None


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong-token-0123456789"}, {"Authorization": TOKEN}],
    ids=["none", "wrong", "not-bearer"],
)
def test_rest_without_the_token_is_401(guarded: Server, headers: dict[str, str]) -> None:
    for path in ("/api/v1/agents", "/api/v1/actions", "/api/v1/learning/writer"):
        response = httpx.get(guarded.url + path, headers=headers)
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == "Bearer"
    response = httpx.post(
        guarded.url + "/api/v1/feedback",
        json={"event_id": "00000000-0000-0000-0000-000000000000", "kind": "positive"},
        headers=headers,
    )
    assert response.status_code == 401


def test_rest_with_the_token_answers_and_probes_stay_open(guarded: Server) -> None:
    assert guarded.get("/api/v1/agents")["agents"]
    assert httpx.get(guarded.url + "/healthz").status_code == 200
    assert httpx.get(guarded.url + "/readyz").status_code == 200


def test_websocket_without_the_token_is_closed_with_1008(guarded: Server) -> None:
    assert _closed_with(guarded.ws_url) == 1008
    wrong = {"Authorization": "Bearer wrong-token-0123456789"}
    assert _closed_with(guarded.ws_url, additional_headers=wrong) == 1008
    bad_first = json.dumps({"type": "auth", "token": "wrong-token-0123456789"})
    assert _closed_with(guarded.ws_url, first=bad_first) == 1008


def test_websocket_token_in_header_or_first_message_is_let_in(guarded: Server) -> None:
    subscribe = json.dumps({"type": "subscribe", "topics": ["all"]})
    with connect(guarded.ws_url, additional_headers={"Authorization": f"Bearer {TOKEN}"}) as ws:
        ws.send(subscribe)
        assert [m["type"] for m in json.loads(ws.recv(timeout=10))][:2] == [
            "subscribed",
            "snapshot",
        ]
    with connect(guarded.ws_url) as ws:
        ws.send(json.dumps({"type": "auth", "token": TOKEN}))
        ws.send(subscribe)
        frame = json.loads(ws.recv(timeout=10))
        snapshot = next(m for m in frame if m["type"] == "snapshot")
        assert {a["name"] for a in snapshot["agents"]} >= {"planner", "writer"}


def test_a_foreign_origin_cannot_open_the_socket(guarded: Server) -> None:
    with pytest.raises(Exception, match="403"):
        connect(guarded.ws_url, origin="http://evil.example", open_timeout=10)  # type: ignore[arg-type]


def test_an_oversized_body_is_413(guarded: Server) -> None:
    response = guarded.http.post(
        "/api/v1/feedback",
        content=b'{"comment": "' + b"x" * 100_000 + b'"}',
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 413
