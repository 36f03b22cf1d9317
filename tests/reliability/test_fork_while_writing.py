"""Forking while the outcome log is being written never deadlocks the child (item 6).

A thread keeps writing outcomes while the main thread forks children; each child makes
an agent call, flushes and exits. A lock inherited while held would hang it forever.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

_SCENARIO = """
import json, os, sys, threading, time
from opentelemetry.sdk.trace import TracerProvider
import otel_agents as oa

log = sys.argv[1]
oa.configure(tracer_provider=TracerProvider(), outcome_log=log, max_value_length=64)

@oa.agent(name="busy")
def busy(i):
    oa.record(metadata={"pad": "x" * 200})

stop = threading.Event()
def writer():
    i = 0
    while not stop.is_set():
        busy(i)
        i += 1
        if i % 50 == 0:
            oa.force_flush(1000)   # the log's lock taken often, by this thread
threading.Thread(target=writer, daemon=True).start()
time.sleep(0.2)

children = []
for n in range(20):
    pid = os.fork()
    if pid == 0:
        busy(-1)
        ok = oa.force_flush(2000)
        oa.shutdown()
        os._exit(0 if ok else 3)
    children.append(pid)
    time.sleep(0.02)

hung, failed = 0, 0
deadline = time.monotonic() + 20
for pid in children:
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            failed += os.waitstatus_to_exitcode(status) != 0
            break
        if time.monotonic() > deadline:
            hung += 1
            os.kill(pid, 9)
            os.waitpid(pid, 0)
            break
        time.sleep(0.01)
stop.set()
oa.shutdown()
print(json.dumps({"hung": hung, "failed": failed}))
"""


def test_children_forked_mid_write_never_hang(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-c", _SCENARIO, str(tmp_path / "outcomes.jsonl")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result == {"hung": 0, "failed": 0}
    # Every line in the shared log is whole JSON: no torn or merged lines.
    for line in (tmp_path / "outcomes.jsonl").read_bytes().splitlines():
        json.loads(line)
