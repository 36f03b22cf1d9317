"""Outcomes survive SIGTERM right after a burst and multiprocessing workers' os._exit (item 4)."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

_BURST = """
import sys, time
import otel_agents as oa
oa.configure(service_name="burst", outcome_log=sys.argv[1])

@oa.agent(name="burst")
def burst(i):
    return i

for i in range(5000):
    burst(i)
print("done", flush=True)
# Short sleeps: CPython runs a Python signal handler only between bytecodes, so a SIGTERM
# landing just before one long sleep starts (the main thread still waiting for the GIL
# after the print) would be handled only when that sleep ends.
for _ in range(600):
    time.sleep(0.1)
"""


def test_sigterm_right_after_a_burst_loses_nothing(tmp_path: Path) -> None:
    log = tmp_path / "outcomes.jsonl"
    proc = subprocess.Popen(
        [sys.executable, "-c", _BURST, str(log)], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "done"
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == -signal.SIGTERM  # still "killed by SIGTERM"
    lines = log.read_bytes().splitlines()
    assert len({json.loads(line)["data"]["event_id"] for line in lines}) == 5000


_WORKERS = """
import multiprocessing as mp, sys
import otel_agents as oa
oa.configure(service_name="workers", outcome_log=sys.argv[1])

@oa.agent(name="work")
def work(i):
    return i

def job(n):
    for i in range(n):
        work(i)
    return n

if __name__ == "__main__":
    ctx = mp.get_context("fork")
    pool = ctx.Pool(4)
    print(sum(pool.map(job, [2500] * 4)))
    pool.close()   # workers end on their own: os._exit after multiprocessing's finalizers
    pool.join()
    procs = [ctx.Process(target=job, args=(1000,)) for _ in range(3)]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    oa.shutdown()
"""


def test_multiprocessing_workers_flush_before_os_exit(tmp_path: Path) -> None:
    log = tmp_path / "outcomes.jsonl"
    script = tmp_path / "workers.py"
    script.write_text(_WORKERS)
    proc = subprocess.run(
        [sys.executable, str(script), str(log)], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = log.read_bytes().splitlines()
    ids = {json.loads(line)["data"]["event_id"] for line in lines}  # every line whole
    assert len(lines) == len(ids) == 4 * 2500 + 3 * 1000
