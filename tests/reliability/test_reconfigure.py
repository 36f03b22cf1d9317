"""``shutdown()`` then ``configure()``: the old processor is gone, not holding spans (item 10).

Run in a subprocess: ``configure()`` without a provider sets the global one, once per
process, which must not leak into other tests.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

_SCENARIO = """
import json, logging, sys
from opentelemetry import trace
import otel_agents as oa
from otel_agents.export.processor import OutcomeSpanProcessor

records = []
handler = logging.Handler()
handler.emit = records.append
logging.getLogger("otel_agents").addHandler(handler)

first = oa.configure(service_name="first", outcome_log=sys.argv[1] + "/a.jsonl")
old = first.processor
oa.shutdown()
second = oa.configure(outcome_log=sys.argv[1] + "/b.jsonl")

@oa.agent(name="busy")
def busy():
    pass

for _ in range(20_000):
    busy()
oa.force_flush(10_000)
active = trace.get_tracer_provider()._active_span_processor._span_processors
print(json.dumps({
    "outcome_processors": sum(isinstance(p, OutcomeSpanProcessor) for p in active),
    "second_attached": any(p is second.processor for p in active),
    "old_queued": old.queued,
    "old_dropped": old.dropped,
    "events": second.stats()["events"],
    "warnings": [r.getMessage() for r in records if r.levelno >= logging.WARNING],
}))
oa.shutdown()
"""


def test_shutdown_then_configure_detaches_the_old_processor(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-c", _SCENARIO, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["outcome_processors"] == 1 and result["second_attached"], result
    assert (result["old_queued"], result["old_dropped"]) == (0, 0), result
    assert result["events"] == 20_000
    assert not [w for w in result["warnings"] if "dropped" in w], result["warnings"]
