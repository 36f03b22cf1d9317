"""CPU of ``otel-agents monitor`` at a fixed event rate (default 1,000 events/s).

    python benchmarks/bench_monitor.py --source file --rate 1000 --seconds 30
    python benchmarks/bench_monitor.py --source kafka --rate 1000 --seconds 30 [--bootstrap H:P]

Real OutcomeEvents (from ``otel-agents demo``) are replayed at ``--rate`` into a JSON-lines
log or a Kafka topic while the monitor runs in tmux, drawing its live screen at 4 Hz. The
monitor's CPU time is read from /proc before and after the measured window; its memory
(RSS) at both ends shows whether it stays bounded. Without ``--bootstrap`` a throw-away
broker is started on 127.0.0.1 (the test fixture's, from the Kafka jars).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
_CLI = [sys.executable, "-c", "import sys; from otel_agents.cli import main; sys.exit(main())"]
_TICKS = os.sysconf("SC_CLK_TCK")


def _demo_events(workdir: Path) -> list[bytes]:
    log = workdir / "demo.jsonl"
    subprocess.run(
        [*_CLI, "demo", "--runs", "100", "--speed", "50", "--quiet", "--outcome-log", str(log)],
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=300,
    )
    return [line for line in log.read_bytes().splitlines() if line]


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICKS  # utime + stime


def _rss_mib(pid: int) -> float:
    match = re.search(r"VmRSS:\s+(\d+) kB", Path(f"/proc/{pid}/status").read_text())
    return int(match.group(1)) / 1024 if match else float("nan")


def _tmux(socket: str, *args: str) -> str:
    return subprocess.run(
        ["tmux", "-L", socket, *args], capture_output=True, text=True, check=True, timeout=10
    ).stdout


class _FileFeed:
    def __init__(self, path: Path) -> None:
        self.handle = open(path, "ab")  # noqa: SIM115 - closed in close()

    def send(self, lines: list[bytes]) -> None:
        self.handle.write(b"".join(line + b"\n" for line in lines))
        self.handle.flush()

    def close(self) -> None:
        self.handle.close()


class _KafkaFeed:
    def __init__(self, bootstrap: str, topic: str) -> None:
        from confluent_kafka.cimpl import Producer

        self.producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 20})
        self.topic = topic

    def send(self, lines: list[bytes]) -> None:
        for line in lines:
            self.producer.produce(self.topic, line)
        self.producer.poll(0)

    def close(self) -> None:
        self.producer.flush(10)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--source", choices=("file", "kafka"), default="file")
    parser.add_argument("--rate", type=float, default=1000.0, help="events per second")
    parser.add_argument("--seconds", type=float, default=30.0, help="measured window")
    parser.add_argument("--warmup", type=float, default=5.0)
    parser.add_argument("--bootstrap", help="an existing broker (else one is started)")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="bench-monitor-"))
    events = _demo_events(workdir)
    broker: Any = None
    socket = f"bench-monitor-{uuid.uuid4().hex[:8]}"
    env: dict[str, str] = {"COLUMNS": "180", "LINES": "50"}
    if args.source == "kafka":
        bootstrap = args.bootstrap
        if bootstrap is None:
            sys.path.insert(0, str(ROOT))
            from tests.kafka.broker import KafkaBroker

            broker = KafkaBroker(workdir / "kafka")
            broker.start()
            bootstrap = broker.bootstrap
        from tests.kafka.broker import create_topic

        topic = create_topic(bootstrap, f"bench-outcomes-{uuid.uuid4().hex[:8]}")
        feed: Any = _KafkaFeed(bootstrap, topic)
        monitor = ["monitor", "--bootstrap-servers", bootstrap, "--topic", topic]
    else:
        log = workdir / "outcomes.jsonl"
        log.touch()
        feed = _FileFeed(log)
        monitor = ["monitor", "--log", str(log)]
    settings = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items())
    command = f"exec env {settings} {shlex.join([*_CLI, *monitor])}"
    _tmux(
        socket,
        "new-session",
        "-d",
        "-s",
        "bench",
        "-x",
        "180",
        "-y",
        "50",
        "-c",
        str(ROOT),
        command,
    )
    try:
        pid = int(_tmux(socket, "display", "-p", "-t", "bench", "#{pane_pid}").strip())
        time.sleep(3.0)  # start-up (imports, consumer group join) is not part of the figure
        sent = 0
        start = time.monotonic()
        measured_from = start + args.warmup
        stop_at = measured_from + args.seconds
        cpu0 = rss0 = None
        tick = 0.01
        while True:
            now = time.monotonic()
            if cpu0 is None and now >= measured_from:
                cpu0, rss0, t0 = _cpu_seconds(pid), _rss_mib(pid), now
            if now >= stop_at:
                break
            due = int((now - start) * args.rate)
            if due > sent:
                feed.send([events[i % len(events)] for i in range(sent, due)])
                sent = due
            time.sleep(tick)
        cpu1, rss1, t1 = _cpu_seconds(pid), _rss_mib(pid), time.monotonic()
        feed.close()
        time.sleep(1.5)
        screen = _tmux(socket, "capture-pane", "-p", "-t", "bench")
    finally:
        subprocess.run(["tmux", "-L", socket, "kill-server"], capture_output=True, timeout=10)
        if broker is not None:
            broker.stop()
    assert cpu0 is not None and rss0 is not None
    shown = re.search(r"│\s*([\d,]+)\s", screen)
    result = {
        "source": args.source,
        "rate_events_per_s": args.rate,
        "measured_s": round(t1 - t0, 1),
        "events_sent": sent,
        "events_shown": int(shown.group(1).replace(",", "")) if shown else None,
        "monitor_cpu_percent_of_one_core": round(100 * (cpu1 - cpu0) / (t1 - t0), 1),
        "monitor_cpu_us_per_event": round(1e6 * (cpu1 - cpu0) / ((t1 - t0) * args.rate), 1),
        "monitor_rss_mib_start": round(rss0, 1),
        "monitor_rss_mib_end": round(rss1, 1),
        "load_average_1m": os.getloadavg()[0],
        "cpus": os.cpu_count(),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
