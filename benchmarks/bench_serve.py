"""Fan-out of ``otel-agents serve``: events/s to N WebSocket clients on loopback.

    python benchmarks/bench_serve.py                       # 100 clients, 1,000 events/s, 20 s
    python benchmarks/bench_serve.py --clients 100 --rate 1000 --seconds 20 --stall-seconds 60

Phase 1: real OutcomeEvents (from ``otel-agents demo``, each with a fresh event_id and an
end_time of the moment it is written) are appended at ``--rate`` to the outcome log the
server follows; ``--clients`` clients subscribed to ``all`` time every ``action_update``
they receive against its end_time: event-to-client latency (log write, the server's file
poll, tally, fan-out, socket). The server's CPU comes from /proc before and after.
Phase 2: one client subscribes and never reads, while 10 others read, for
``--stall-seconds`` at the same rate; the server's RSS is sampled every 5 s (bounded:
the stalled client's queue drops its oldest messages).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import orjson
import websockets

ROOT = Path(__file__).resolve().parents[1]
_CLI = [sys.executable, "-m", "otel_agents.cli"]
_TICKS = os.sysconf("SC_CLK_TCK")
_FRAMES: list[int] = []


def _demo_events(workdir: Path) -> list[dict[str, Any]]:
    log = workdir / "demo.jsonl"
    subprocess.run(
        [*_CLI, "demo", "--runs", "50", "--speed", "50", "--quiet", "--outcome-log", str(log)],
        cwd=workdir,
        check=True,
        capture_output=True,
        timeout=300,
    )
    return [json.loads(line) for line in log.read_text().splitlines() if line.strip()]


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICKS


def _rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _now_text() -> str:
    return dt.datetime.now(tz=dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _write(log: Path, events: list[dict[str, Any]], rate: float, seconds: float) -> int:
    """Append events at ``rate`` for ``seconds`` in 10 ms ticks; returns how many."""
    sent = 0
    start = time.monotonic()
    with open(log, "ab") as handle:
        while time.monotonic() - start < seconds:
            due = int((time.monotonic() - start) * rate)
            lines = []
            while sent < due:
                event = events[sent % len(events)]
                event["data"]["event_id"] = str(uuid.uuid4())
                event["data"]["end_time"] = _now_text()
                lines.append(orjson.dumps(event) + b"\n")
                sent += 1
            handle.write(b"".join(lines))
            handle.flush()
            time.sleep(0.01)
    return sent


async def _client(url: str, latencies: list[float] | None, stop: asyncio.Event) -> None:
    async with websockets.connect(url, max_size=None) as ws:
        await ws.send('{"type": "subscribe", "topics": ["all"]}')
        while not stop.is_set():
            try:
                frame = await asyncio.wait_for(ws.recv(), 0.5)
            except asyncio.TimeoutError:
                continue
            received = time.time()
            _FRAMES.append(1)
            if latencies is None:
                continue
            for message in orjson.loads(frame):
                if message["type"] == "action_update":
                    end = message["action"]["end_time"]
                    stamp = dt.datetime.fromisoformat(end.replace("Z", "+00:00")).timestamp()
                    latencies.append(received - stamp)


def _stalled_client(host: str, port: int) -> socket.socket:
    """Upgrade to a WebSocket, subscribe, and then never read again."""
    sock = socket.create_connection((host, port))
    sock.sendall(
        f"GET /ws HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
        "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        "Sec-WebSocket-Version: 13\r\n\r\n".encode()
    )
    sock.recv(4096)  # the 101 response
    payload = b'{"type": "subscribe", "topics": ["all"]}'
    mask = b"\x01\x02\x03\x04"
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    sock.sendall(bytes([0x81, 0x80 | len(payload)]) + mask + masked)
    return sock


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def _fanout(
    url: str, log: Path, events: list[dict[str, Any]], args: argparse.Namespace, pid: int
) -> None:
    stop = asyncio.Event()
    # Only some clients decode and time what they get: a hundred decoding in this one
    # process would measure this process, not the server. All of them read every frame.
    series: list[list[float]] = [[] for _ in range(min(args.timed_clients, args.clients))]
    tasks = [asyncio.create_task(_client(url, s, stop)) for s in series]
    tasks += [
        asyncio.create_task(_client(url, None, stop)) for _ in range(args.clients - len(series))
    ]
    await asyncio.sleep(2.0)  # every client connected and subscribed
    await asyncio.to_thread(_write, log, events, args.rate, 2.0)  # warm-up
    await asyncio.sleep(1.0)
    for s in series:
        s.clear()
    cpu0, wall0, own0 = _cpu_seconds(pid), time.monotonic(), time.process_time()
    frames_before = len(_FRAMES)
    sent = await asyncio.to_thread(_write, log, events, args.rate, args.seconds)
    await asyncio.sleep(1.0)
    wall = time.monotonic() - wall0
    cpu = (_cpu_seconds(pid) - cpu0) / wall
    clients_cpu = (time.process_time() - own0) / wall
    stop.set()
    await asyncio.gather(*tasks, return_exceptions=True)
    latencies = [v for s in series for v in s]
    frames = len(_FRAMES) - frames_before
    print(
        f"fan-out: {args.clients} clients, {sent} events in {args.seconds:.0f}s "
        f"({sent / args.seconds:,.0f} events/s written; the {len(series)} timed clients got "
        f"{len(latencies) / max(1, sent * len(series)):.1%} of them; "
        f"{frames / args.seconds:,.0f} frames/s to all clients)"
    )
    if latencies:
        print(
            f"event-to-client latency: p50 {_percentile(latencies, 0.5) * 1000:.0f} ms, "
            f"p99 {_percentile(latencies, 0.99) * 1000:.0f} ms, "
            f"max {max(latencies) * 1000:.0f} ms"
        )
    print(f"server CPU at that rate: {cpu:.0%} of one core; RSS {_rss_mib(pid):.0f} MiB")
    print(f"(the clients' own process used {clients_cpu:.0%} of one core)")


async def _stall(
    url: str,
    log: Path,
    events: list[dict[str, Any]],
    args: argparse.Namespace,
    pid: int,
    host: str,
    port: int,
) -> None:
    stop = asyncio.Event()
    readers = [asyncio.create_task(_client(url, None, stop)) for _ in range(10)]
    stalled = _stalled_client(host, port)
    await asyncio.sleep(1.0)
    writer = asyncio.create_task(
        asyncio.to_thread(_write, log, events, args.rate, args.stall_seconds)
    )
    samples = [_rss_mib(pid)]
    start = time.monotonic()
    while not writer.done():
        await asyncio.sleep(5.0)
        samples.append(_rss_mib(pid))
    stop.set()
    await asyncio.gather(*readers, return_exceptions=True)
    stalled.close()
    print(
        f"one stalled client for {time.monotonic() - start:.0f}s at {args.rate:,.0f} events/s "
        f"(+10 readers): RSS MiB every 5 s: {' '.join(f'{m:.0f}' for m in samples)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--rate", type=float, default=1000.0)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--timed-clients", type=int, default=10)
    parser.add_argument("--stall-seconds", type=float, default=60.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-serve-") as tmp:
        workdir = Path(tmp)
        events = _demo_events(workdir)
        log = workdir / "outcomes.jsonl"
        log.touch()
        env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
        server = subprocess.Popen(
            [*_CLI, "serve", "--log", str(log), "--from-now", "--port", "0"],
            cwd=workdir,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        try:
            assert server.stdout is not None
            address = server.stdout.readline().split()[2].split("//")[1].rstrip("/")
            host, port = address.rsplit(":", 1)
            url = f"ws://{address}/ws"
            time.sleep(1.0)
            print(
                f"otel-agents serve pid {server.pid} on {address}; {len(events)} demo events; "
                f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
            )
            asyncio.run(_fanout(url, log, events, args, server.pid))
            if args.stall_seconds > 0:
                asyncio.run(_stall(url, log, events, args, server.pid, host, int(port)))
        finally:
            server.terminate()
            server.wait(15)


if __name__ == "__main__":
    main()
