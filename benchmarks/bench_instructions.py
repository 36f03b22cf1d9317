"""Instructions per call, counted by valgrind: ratios that the machine's load cannot move.

    python benchmarks/bench_instructions.py [--calls 2000] [--subjects raw,agent,configure]
    python benchmarks/bench_instructions.py --subjects raw,kafka --kafka start

CPU-time ratios on a shared 2-core machine swing by ±0.3 from one run to the next (other
processes take the caches and the cores). Counting the instructions a call executes
(``valgrind --tool=callgrind``, every thread, the garbage collector and the outcome
worker included) gives the same figure in every run to within a few percent, so a change
of 5 % shows. It is not time: cache misses and system calls are not weighed. Use it to
compare two versions; quote CPU time (``bench_decorators.py``) for what users pay.

Each subject runs twice in a child process under valgrind, with 0 and with ``--calls``
measured calls after the same warm-up; the difference divided by the calls is the
figure, so start-up and shutdown cancel out. Needs valgrind (Debian: ``apt-get install
valgrind``); about a minute per subject for 2,000 calls.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
WARMUP = 200
SUBJECTS = {
    "raw": "raw OTel (BatchSpanProcessor, no-op exporter)",
    "agent": "@oa.agent (same provider as raw)",
    "configure": "@oa.agent + configure() (default sinks)",
    "kafka": "@oa.agent + configure() with Kafka (--kafka)",
}
#: Where the ``kafka`` subject's broker listens (set from ``--kafka`` for the children).
KAFKA_ENV = "BENCH_INSTRUCTIONS_KAFKA"


def _subject(name: str) -> tuple[Callable[[str], Any], Callable[[], Any]]:
    """The call to count and the flush that makes its work happen, for ``name``."""
    sys.path.insert(0, str(HERE))
    from _harness import END_ATTRIBUTES, SPAN_NAME, START_ATTRIBUTES, batch_provider, plan

    import otel_agents as oa
    from otel_agents._state import RUNTIME

    options: dict[str, Any] = {
        "name": "planner",
        "agent_id": "planner-1",
        "version": "1.2.0",
        "model": "gpt-4o-mini",
        "provider": "openai",
    }
    if name == "raw":
        provider, _ = batch_provider()
        tracer = provider.get_tracer("bench.raw")

        def raw(task: str) -> Any:
            with tracer.start_as_current_span(SPAN_NAME, attributes=START_ATTRIBUTES) as span:
                result = plan(task)
                span.set_attributes(END_ATTRIBUTES)
                return result

        return raw, provider.force_flush
    if name == "agent":
        provider, _ = batch_provider()
        RUNTIME.use_tracer_provider(provider)
        return oa.agent(**options)(plan), provider.force_flush
    if name == "configure":
        telemetry = oa.configure(service_name="bench")
        return oa.agent(**options)(plan), lambda: telemetry.force_flush(600_000)
    if name == "kafka":
        # As users stream to Kafka: the broker instead of the JSON-lines log.
        telemetry = oa.configure(
            service_name="bench", outcome_log=None, kafka_bootstrap_servers=os.environ[KAFKA_ENV]
        )
        return oa.agent(**options)(plan), lambda: telemetry.force_flush(600_000)
    raise SystemExit(f"unknown subject {name!r}; one of {', '.join(SUBJECTS)}")


def run_subject(name: str, calls: int) -> None:
    """In the child, under valgrind: warm up, flush, then ``calls`` counted calls."""
    os.chdir(tempfile.mkdtemp(prefix="otel-agents-ir-"))  # the outcome log lands here
    call, flush = _subject(name)
    for _ in range(WARMUP):
        call("task")
    flush()
    for _ in range(calls):
        call("task")
    flush()


def instructions(python: str, name: str, calls: int) -> int:
    """Instructions the child executed in all (callgrind's total)."""
    proc = subprocess.run(
        [
            "valgrind",
            "--tool=callgrind",
            "--callgrind-out-file=/dev/null",
            python,
            __file__,
            "--subject",
            name,
            "--calls",
            str(calls),
        ],
        capture_output=True,
        text=True,
        check=True,
        env={k: v for k, v in os.environ.items() if not k.startswith("OTEL_")},
    )
    found = re.search(r"Collected : (\d+)", proc.stderr)
    if found is None:
        raise SystemExit(f"no instruction count from valgrind:\n{proc.stderr[-2000:]}")
    return int(found.group(1))


@contextlib.contextmanager
def _kafka(bootstrap: str) -> Iterator[str]:
    """``bootstrap``, or the test harness's broker on 127.0.0.1 while the runs last."""
    if bootstrap != "start":
        yield bootstrap
        return
    sys.path.insert(0, str(HERE.parent))
    from tests.kafka.broker import KafkaBroker

    broker = KafkaBroker(Path(tempfile.mkdtemp(prefix="otel-agents-ir-kafka-")) / "kafka")
    broker.start()
    try:
        yield broker.bootstrap
    finally:
        broker.stop()


def per_call(python: str, name: str, calls: int) -> float:
    return (instructions(python, name, calls) - instructions(python, name, 0)) / calls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--subjects", default=",".join(SUBJECTS))
    parser.add_argument(
        "--kafka", help="for the kafka subject: bootstrap servers, or 'start' for the test broker"
    )
    parser.add_argument("--subject", help=argparse.SUPPRESS)  # the child's role
    args = parser.parse_args()
    if args.subject:
        run_subject(args.subject, args.calls)
        return
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind not found (Debian: apt-get install valgrind)")
    names = [name.strip() for name in args.subjects.split(",") if name.strip()]
    if "kafka" in names and not args.kafka:
        raise SystemExit("the kafka subject needs --kafka HOST:PORT (or --kafka start)")
    with contextlib.ExitStack() as stack:
        if args.kafka:
            os.environ[KAFKA_ENV] = stack.enter_context(_kafka(args.kafka))
        figures = {name: per_call(sys.executable, name, args.calls) for name in names}
    print(f"instructions per call, {args.calls:,} calls after {WARMUP} warm-up calls")
    raw = figures.get("raw")
    for name, value in figures.items():
        ratio = f"  {value / raw:.3f}x raw OTel" if raw and name != "raw" else ""
        print(f"  {SUBJECTS[name]:48s} {value:10,.0f}{ratio}")


if __name__ == "__main__":
    main()
