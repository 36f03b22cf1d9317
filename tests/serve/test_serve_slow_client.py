"""A client that stops reading loses its own oldest messages, told so; others lose none."""

from __future__ import annotations

import json
import socket
import threading
import time
import uuid
from pathlib import Path

from websockets.sync.client import connect

from tests.serve.conftest import StartServer, run_demo

_SUBSCRIBE = json.dumps({"type": "subscribe", "topics": ["all"]})


def test_a_stalled_client_drops_oldest_and_never_slows_the_others(
    start_server: StartServer, tmp_path: Path
) -> None:
    demo_log = tmp_path / "demo.jsonl"
    run_demo(tmp_path, "--runs", "3", "--speed", "10", "--outcome-log", str(demo_log))
    template = [json.loads(line) for line in demo_log.read_text().splitlines()]
    log = tmp_path / "outcomes.jsonl"
    log.touch()
    server = start_server("--log", str(log), env={"OTEL_AGENTS_SERVE_CLIENT_QUEUE": "500"})
    server.wait_ready()
    # max_queue=1: the client library stops reading the socket after one frame, so the
    # server sees a peer that does not read (TCP back-pressure), as with a frozen tab; a
    # small receive buffer makes the kernel's share of the backlog small too.
    host, port = server.url.split("//")[1].split(":")
    raw = socket.socket()
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    raw.connect((host, int(port)))
    with (
        connect(server.ws_url, max_queue=1, sock=raw) as stalled,
        # The reading client reads on its own thread while the events are written, as a
        # browser tab does; with no queue bound in the client library, only the server's
        # per-client queue decides what it loses (nothing, while it keeps reading).
        connect(server.ws_url, max_size=None, max_queue=None) as reader,
    ):
        stalled.send(_SUBSCRIBE)
        reader.send(_SUBSCRIBE)
        time.sleep(0.5)
        total = 10_000
        received: list[str] = []
        lost: list[dict[str, object]] = []

        def read_all() -> None:
            deadline = time.monotonic() + 60
            while len(received) < total and time.monotonic() < deadline:
                for message in json.loads(reader.recv(timeout=10)):
                    if message["type"] == "action_update":
                        received.append(message["action"]["event_id"])
                    elif message["type"] == "dropped":
                        lost.append(message)

        reading = threading.Thread(target=read_all, daemon=True)
        reading.start()
        ids = []
        with log.open("a") as handle:
            for i in range(total):
                event = template[i % len(template)]
                event["data"]["event_id"] = str(uuid.uuid4())
                ids.append(event["data"]["event_id"])
                handle.write(json.dumps(event) + "\n")
                if i % 500 == 499:
                    handle.flush()
        reading.join(timeout=70)
        assert not lost, "a reading client loses nothing"
        assert received == ids

        late: list[dict[str, object]] = []
        while True:
            try:
                late.extend(json.loads(stalled.recv(timeout=2)))
            except TimeoutError:
                break
    dropped = [m for m in late if m["type"] == "dropped"]
    assert dropped and dropped[-1]["total"] == sum(m["count"] for m in dropped)  # type: ignore[misc]
    got = [m["action"]["event_id"] for m in late if m["type"] == "action_update"]  # type: ignore[index]
    positions = [ids.index(event_id) for event_id in got]
    assert positions == sorted(positions), "what is kept stays in order"
    assert positions[-1] == total - 1, "the newest message is never the one dropped"
    assert len(got) < total, "the stalled client lost messages, the oldest ones"
