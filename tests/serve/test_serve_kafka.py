"""``otel-agents serve`` over the real broker, fed by the real demo."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
from websockets.sync.client import connect

from otel_agents.serve import schemas
from tests.kafka.broker import read_topic
from tests.serve.conftest import StartServer, outcome_lines, run_demo

_FIGURES = ("calls", "success_rate", "p50_ms", "p95_ms", "total_tokens", "cost_usd")


def _serve_kafka(start_server: StartServer, bootstrap: str, topics: dict[str, str], *args: str):
    return start_server(
        "--bootstrap-servers",
        bootstrap,
        "--topic",
        topics["outcomes"],
        "--feedback-topic",
        topics["feedback"],
        *args,
    )


def test_rest_answers_match_otel_agents_status_for_the_same_events(
    kafka_bootstrap: str, demo_topics: dict[str, str], start_server: StartServer, tmp_path: Path
) -> None:
    log = tmp_path / "outcomes.jsonl"
    run_demo(
        tmp_path,
        "--runs",
        "20",
        "--speed",
        "10",
        "--kafka",
        kafka_bootstrap,
        "--outcome-log",
        str(log),
        env=demo_topics,
    )
    events = outcome_lines(log)
    feedback = len(read_topic(kafka_bootstrap, demo_topics["feedback"], expect=1))
    server = _serve_kafka(start_server, kafka_bootstrap, demo_topics)
    server.wait_ready(messages=len(events) + feedback)
    status = json.loads(
        subprocess.run(
            [sys.executable, "-m", "otel_agents.cli", "status", str(log), "--json"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    )
    expected = {row["name"]: row for row in status["actions"] if row["kind"] == "agent"}
    served = {row["name"]: row for row in server.get("/api/v1/agents")["agents"]}
    assert set(served) == set(expected) == {"planner", "researcher", "writer", "evaluator"}
    for name, row in expected.items():
        assert {k: served[name][k] for k in _FIGURES} == {k: row[k] for k in _FIGURES}, name
        assert server.get(f"/api/v1/agents/{name}")["calls"] == row["calls"]
    # The workflow runs are there too, with their steps.
    run = next(e for e in events if e["kind"] == "workflow")
    workflow = server.get(f"/api/v1/workflows/{run['workflow_id']}")
    assert workflow["outcome"]["event_id"] == run["event_id"]
    assert [s["event_id"] for s in workflow["steps"]] == [
        e["event_id"]
        for e in events
        if e.get("workflow_id") == run["workflow_id"] and e["kind"] != "workflow"
    ]


def _collect(url: str, topics: list[str], until: int, frames: list[Any], ready: threading.Event):
    with connect(url, open_timeout=10) as socket:
        socket.send(json.dumps({"type": "subscribe", "topics": topics}))
        ready.set()
        count = 0
        deadline = time.monotonic() + 90
        while count < until and time.monotonic() < deadline:
            try:
                frame = json.loads(socket.recv(timeout=1))
            except TimeoutError:
                continue
            frames.extend(frame)
            count += sum(1 for m in frame if m["type"] == "action_update")


def test_websocket_clients_receive_every_event_of_their_subscription_in_order(
    kafka_bootstrap: str, demo_topics: dict[str, str], start_server: StartServer, tmp_path: Path
) -> None:
    server = _serve_kafka(start_server, kafka_bootstrap, demo_topics, "--from-now")
    server.wait_ready()
    log = tmp_path / "outcomes.jsonl"
    # Know the totals before subscribing: the demo is seeded, so a dry run tells them.
    run_demo(tmp_path, "--runs", "12", "--speed", "10", "--outcome-log", str(log))
    dry = outcome_lines(log)
    writer_total = sum(1 for e in dry if e["name"] == "writer")
    subscriptions = {"all": (["all"], len(dry)), "writer": (["agent:writer"], writer_total)}
    frames: dict[str, list[Any]] = {key: [] for key in subscriptions}
    threads = []
    for key, (topics, total) in subscriptions.items():
        ready = threading.Event()
        thread = threading.Thread(
            target=_collect, args=(server.ws_url, topics, total, frames[key], ready)
        )
        thread.start()
        assert ready.wait(10)
        threads.append(thread)
    time.sleep(0.3)  # the subscriptions are registered before the first event exists
    run_demo(tmp_path, "--runs", "12", "--speed", "10", "--kafka", kafka_bootstrap, env=demo_topics)
    for thread in threads:
        thread.join(120)
    on_topic = [
        json.loads(m.value())["data"]
        for m in read_topic(kafka_bootstrap, demo_topics["outcomes"], expect=len(dry))  # type: ignore[attr-defined]
    ]
    assert len(on_topic) == len(dry)
    for key, expected in (
        ("all", on_topic),
        ("writer", [e for e in on_topic if e["name"] == "writer"]),
    ):
        messages = frames[key]
        assert messages[0]["type"] == "subscribed" and messages[1]["type"] == "snapshot"
        seqs = [m["seq"] for m in messages[1:]]
        assert seqs == sorted(seqs), "messages arrive in the order they happened"
        actions = [m["action"] for m in messages if m["type"] == "action_update"]
        assert sorted(a["event_id"] for a in actions) == sorted(e["event_id"] for e in expected)
        # Kafka orders a trace's events (one key, one partition): so must the feed.
        for trace in {e["trace_id"] for e in expected}:
            assert [a["event_id"] for a in actions if a["trace_id"] == trace] == [
                e["event_id"] for e in expected if e["trace_id"] == trace
            ]
        assert not any(m["type"] == "dropped" for m in messages)
        for message in messages:  # every message matches the schema shipped for its type
            schemas.validator(f"{message['type']}.json").validate(message)
    thoughts = [m for m in frames["all"] if m["type"] == "thought_update"]
    assert len(thoughts) == sum(
        1 for e in on_topic for ev in e["events"] if ev["name"] == "agent.thought"
    )
    assert all(
        m["action"]["agent"] == "writer" for m in frames["writer"] if m["type"] == "action_update"
    )


def test_posted_feedback_reaches_kafka_and_the_next_learning_answer(
    kafka_bootstrap: str, demo_topics: dict[str, str], start_server: StartServer, tmp_path: Path
) -> None:
    run_demo(tmp_path, "--runs", "5", "--speed", "10", "--kafka", kafka_bootstrap, env=demo_topics)
    before_on_topic = len(read_topic(kafka_bootstrap, demo_topics["feedback"], expect=1))
    server = _serve_kafka(start_server, kafka_bootstrap, demo_topics)
    server.wait_ready(messages=before_on_topic + 1)
    writer = server.get("/api/v1/actions", agent="writer", limit=1)["actions"][0]
    learning = server.get("/api/v1/learning/writer")

    malformed = [
        {"event_id": writer["event_id"], "kind": "brilliant"},
        {"event_id": "not-an-id", "kind": "positive"},
        {"event_id": writer["event_id"], "kind": "positive", "score": "high"},
        {"event_id": writer["event_id"], "kind": "positive", "extra": 1},
    ]
    for body in malformed:
        response = server.http.post("/api/v1/feedback", json=body)
        assert response.status_code == 422, body
        assert response.json()["errors"], "the schema error is named"
    assert (
        server.http.post(
            "/api/v1/feedback", content=b"{not json", headers={"content-type": "application/json"}
        ).status_code
        == 422
    )

    response = server.http.post(
        "/api/v1/feedback",
        json={"event_id": writer["event_id"], "kind": "correction", "correction": "cite sources"},
    )
    assert response.status_code == 202, response.text
    accepted = response.json()
    assert accepted["delivered"] and accepted["agent_name"] == "writer"
    # "visible" says the server read it back within its wait; on a loaded machine that can
    # take longer, so the next learning answer is awaited rather than assumed.
    deadline = time.monotonic() + 30
    after = server.get("/api/v1/learning/writer")
    while after["feedback_count"] == learning["feedback_count"] and time.monotonic() < deadline:
        time.sleep(0.2)
        after = server.get("/api/v1/learning/writer")
    assert after["feedback_count"] == learning["feedback_count"] + 1
    assert after["corrections"] == learning["corrections"] + 1
    assert ["cite sources", 1] in after["negative_reasons"]

    records = [
        json.loads(m.value())
        for m in read_topic(kafka_bootstrap, demo_topics["feedback"], expect=before_on_topic + 1)  # type: ignore[attr-defined]
    ]
    assert len(records) == before_on_topic + 1, "malformed feedback produced nothing"
    [sent] = [r for r in records if r["id"] == accepted["feedback_id"]]
    assert sent["data"]["event_id"] == writer["event_id"]
    assert sent["data"]["trace_id"] == writer["trace_id"]
    assert sent["data"]["kind"] == "correction" and sent["data"]["origin"] == "http"


def test_readiness_reports_the_kafka_source_and_its_lag(
    kafka_bootstrap: str, demo_topics: dict[str, str], start_server: StartServer
) -> None:
    server = _serve_kafka(start_server, kafka_bootstrap, demo_topics)
    body = server.wait_ready()
    assert body["lag"] == 0 and body["source"].startswith("kafka ")
    assert httpx.get(server.url + "/healthz").json() == {"status": "ok"}
