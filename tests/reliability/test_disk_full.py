"""Disk full, then freed: no merged line, nothing lost after recovery, counted, logged once.

"Disk full" is RLIMIT_FSIZE in a subprocess (writes past it fail with EFBIG, as ENOSPC
would); raising the limit again frees it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

_SCENARIO = """
import json, logging, resource, signal, sys
from opentelemetry.sdk.trace import TracerProvider
import otel_agents as oa

signal.signal(signal.SIGXFSZ, signal.SIG_IGN)   # a failed write, not a killed process
messages = []
handler = logging.Handler()
handler.emit = lambda record: messages.append((record.levelname, record.getMessage()))
logging.getLogger("otel_agents").addHandler(handler)

log = sys.argv[1]
telemetry = oa.configure(tracer_provider=TracerProvider(), outcome_log=log)

@oa.agent(name="filler")
def filler(phase, i):
    oa.record(metadata={"phase": phase})

def run(phase, n):
    for i in range(n):
        filler(phase, i)
        if i % 10 == 9:
            oa.force_flush(5000)   # many small batches, as a slow agent makes
    oa.force_flush(5000)

run("before", 200)
import os
size = os.path.getsize(log)
soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
resource.setrlimit(resource.RLIMIT_FSIZE, (size + 5000, hard))   # the disk fills up
run("full", 400)
resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))          # space freed
run("after", 200)
stats = telemetry.stats()
oa.shutdown()
print(json.dumps({"stats": stats, "messages": messages}))
"""


def test_disk_full_then_freed(tmp_path: Path) -> None:
    log = tmp_path / "outcomes.jsonl"
    proc = subprocess.run(
        [sys.executable, "-c", _SCENARIO, str(log)], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    phases: dict[str, int] = {}
    malformed = 0
    for line in log.read_bytes().splitlines():
        try:
            data = json.loads(line)["data"]
        except ValueError:
            malformed += 1  # at most the one line the full disk cut short
            continue
        phase = data["metadata"]["phase"]
        phases[phase] = phases.get(phase, 0) + 1
    assert malformed <= 1
    assert phases["before"] == 200 and phases["after"] == 200  # first event after: kept
    written_full = phases.get("full", 0)
    assert 0 < written_full < 400
    # Every event is either in the log or counted as a sink failure: counters agree.
    assert result["stats"]["sink_failures"] == 400 - written_full
    errors = [m for level, m in result["messages"] if level == "ERROR"]
    assert len(errors) == 1, result["messages"]
    assert any("writable again" in m for _, m in result["messages"])
