"""Fan-out of ``otel-agents serve``: events/s to N WebSocket clients on loopback.

    python benchmarks/bench_serve.py              # 100 clients in 4 processes, 1,000 events/s
    python benchmarks/bench_serve.py --clients 100 --client-processes 4 --rate 1000 \\
        --seconds 20 --stall-seconds 60

Phase 1: real OutcomeEvents (from ``otel-agents demo``, each with a fresh event_id and an
end_time of the moment it is written) are appended at ``--rate`` to the outcome log the
server follows; ``--clients`` clients subscribed to ``all``, spread over
``--client-processes`` processes (one Python process reading 100 sockets falls behind and
measures itself), decode every frame and time every ``action_update`` against its
end_time with the same wall clock (CLOCK_REALTIME is one clock for every process):
event-to-client latency (log write, the server's file poll, tally, fan-out, socket).
Counted are the events written in the measured window and received within 2 s of its
end. The server's CPU comes from /proc before and after.
Phase 2: one client subscribes and never reads, while 10 others read, for
``--stall-seconds`` at the same rate; the server's RSS is sampled every 5 s (bounded:
the stalled client's queue drops its oldest messages).
"""

from __future__ import annotations

import argparse
import array
import asyncio
import collections
import contextlib
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
_SUBSCRIBE = '{"type": "subscribe", "topics": ["all"]}'


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


async def _reader(url: str, stop: asyncio.Event) -> None:
    """A client that reads every frame and does nothing with it (the stall phase)."""
    async with websockets.connect(url, max_size=None) as ws:
        await ws.send(_SUBSCRIBE)
        while not stop.is_set():
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(ws.recv(), 0.5)


class _Timed:
    """One timed client: end_time and latency of every ``action_update`` it gets."""

    def __init__(self) -> None:
        self.stamps = array.array("d")
        self.latencies = array.array("d")
        self.dropped = 0

    async def run(self, url: str, ready: asyncio.Event, stop: asyncio.Event) -> None:
        async with websockets.connect(url, max_size=None) as ws:
            await ws.send(_SUBSCRIBE)
            await ws.recv()  # subscribed + snapshot
            ready.set()
            while not stop.is_set():
                try:
                    frame = await asyncio.wait_for(ws.recv(), 0.5)
                except asyncio.TimeoutError:
                    continue
                received = time.time()  # CLOCK_REALTIME: the writer's clock, in any process
                for message in orjson.loads(frame):
                    kind = message["type"]
                    if kind == "action_update":
                        stamp = _stamp(message["action"]["end_time"])
                        self.stamps.append(stamp)
                        self.latencies.append(received - stamp)
                    elif kind == "dropped":
                        self.dropped += message["count"]


def _stamp(text: str) -> float:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


async def _worker_main(url: str, clients: int) -> None:
    """``--worker``: run timed clients; on a ``T0 T1`` line, report the events of that window.

    Prints ``ready`` once every client is subscribed, then one JSON line: per client the
    events of the window it received, and the latencies of all of them in 0.1 ms buckets.
    """
    stop = asyncio.Event()
    timed = [_Timed() for _ in range(clients)]
    ready = [asyncio.Event() for _ in timed]
    tasks = [asyncio.create_task(t.run(url, r, stop)) for t, r in zip(timed, ready, strict=True)]
    await asyncio.gather(*(r.wait() for r in ready))
    print("ready", flush=True)
    cpu0, wall0 = time.process_time(), time.monotonic()
    t0, t1 = map(float, (await asyncio.to_thread(sys.stdin.readline)).split())
    cpu = (time.process_time() - cpu0) / (time.monotonic() - wall0)
    stop.set()
    await asyncio.gather(*tasks, return_exceptions=True)
    buckets: collections.Counter[int] = collections.Counter()
    delivered = []
    for t in timed:
        count = 0
        for stamp, latency in zip(t.stamps, t.latencies, strict=True):
            if t0 <= stamp <= t1:
                buckets[round(latency * 10_000)] += 1
                count += 1
        delivered.append(count)
    # One client's median latency per second of the window: a backlog growing over the run
    # looks different from a machine busy for a moment.
    by_second: dict[int, list[float]] = collections.defaultdict(list)
    for stamp, latency in zip(timed[0].stamps, timed[0].latencies, strict=True):
        if t0 <= stamp <= t1:
            by_second[int(stamp - t0)].append(latency)
    report = {
        "trend": [sorted(v)[len(v) // 2] for _, v in sorted(by_second.items())],
        "delivered": delivered,
        "dropped": [t.dropped for t in timed],
        "buckets": list(buckets.items()),
        "cpu": cpu,
    }
    print(json.dumps(report), flush=True)


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


def _percentile(buckets: dict[int, int], q: float) -> float:
    """The q-quantile of latencies held as {0.1 ms bucket: count}, in seconds."""
    rank = int(q * (sum(buckets.values()) - 1))
    for bucket in sorted(buckets):
        rank -= buckets[bucket]
        if rank < 0:
            return bucket / 10_000
    return max(buckets) / 10_000


def _start_workers(url: str, clients: int, processes: int) -> list[subprocess.Popen[str]]:
    shares = [clients // processes + (i < clients % processes) for i in range(processes)]
    workers = [
        subprocess.Popen(
            [sys.executable, __file__, "--worker", url, "--clients", str(share)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for share in shares
        if share
    ]
    for worker in workers:
        assert worker.stdout is not None
        if worker.stdout.readline().strip() != "ready":
            raise RuntimeError(f"client process {worker.pid} did not connect")
    return workers


def _fanout(
    url: str, log: Path, events: list[dict[str, Any]], args: argparse.Namespace, pid: int
) -> None:
    # Every client decodes and times every frame, spread over several processes so that
    # the clients' own CPU does not become what is measured.
    workers = _start_workers(url, args.clients, args.client_processes)
    _write(log, events, args.rate, 2.0)  # warm-up
    time.sleep(1.0)
    load = os.getloadavg()
    cpu0, wall0, t0 = _cpu_seconds(pid), time.monotonic(), time.time()
    sent = _write(log, events, args.rate, args.seconds)
    t1 = time.time()
    time.sleep(2.0)  # late frames still count; later than 2 s they are lost
    wall = time.monotonic() - wall0
    cpu = (_cpu_seconds(pid) - cpu0) / wall
    rss = _rss_mib(pid)
    reports = []
    for worker in workers:
        out, _ = worker.communicate(f"{t0} {t1}\n", timeout=120)
        reports.append(json.loads(out.strip().splitlines()[-1]))
    delivered = [d for r in reports for d in r["delivered"]]
    dropped = sum(sum(r["dropped"]) for r in reports)
    buckets: collections.Counter[int] = collections.Counter()
    for r in reports:
        buckets.update(dict((int(k), v) for k, v in r["buckets"]))
    print(
        f"fan-out: {args.clients} clients in {len(workers)} processes, {sent} events in "
        f"{args.seconds:.0f}s ({sent / args.seconds:,.0f} events/s written); load average "
        f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f} at the start"
    )
    print(
        f"delivered: {sum(delivered) / max(1, sent * len(delivered)):.2%} of "
        f"{sent} x {len(delivered)}; per client min {min(delivered)} max {max(delivered)}; "
        f"dropped by the server (client queues full): {dropped}"
    )
    if buckets:
        print(
            f"event-to-client latency: p50 {_percentile(buckets, 0.5) * 1000:.0f} ms, "
            f"p99 {_percentile(buckets, 0.99) * 1000:.0f} ms, "
            f"max {max(buckets) / 10:.0f} ms"
        )
        trend = " ".join(f"{v * 1000:.0f}" for v in reports[0]["trend"])
        print(f"one client's p50 per second of the run, ms: {trend}")
    print(f"server CPU at that rate: {cpu:.0%} of one core; RSS {rss:.0f} MiB")
    print(
        "client processes' CPU: "
        + " ".join(f"{r['cpu']:.0%}" for r in reports)
        + f" of one core each; load average now {os.getloadavg()[0]:.2f}"
    )


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
    readers = [asyncio.create_task(_reader(url, stop)) for _ in range(10)]
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
    parser.add_argument("--client-processes", type=int, default=4)
    parser.add_argument("--rate", type=float, default=1000.0)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--stall-seconds", type=float, default=60.0)
    parser.add_argument("--worker", metavar="URL", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        asyncio.run(_worker_main(args.worker, args.clients))
        return
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
            _fanout(url, log, events, args, server.pid)
            if args.stall_seconds > 0:
                asyncio.run(_stall(url, log, events, args, server.pid, host, int(port)))
        finally:
            server.terminate()
            server.wait(15)


if __name__ == "__main__":
    main()
