"""Time traceloop-sdk's ``@agent`` against raw OTel in the same process, offline.

Started by ``bench_decorators.py``; by hand:
``python benchmarks/subject_traceloop.py --out r.json``.
"""

from __future__ import annotations

import os

# Set before the import: the SDK reads them at import and init time.
os.environ["TRACELOOP_TELEMETRY"] = "false"
os.environ["TRACELOOP_METRICS_ENABLED"] = "false"
os.environ["TRACELOOP_BASE_URL"] = "http://127.0.0.1:1"  # nothing listens: fails fast, offline

from _harness import Case, CountingExporter, exporter_drops, main, plan, raw_otel_cases
from opentelemetry import trace
from traceloop.sdk import Traceloop
from traceloop.sdk.decorators import agent


def build() -> list[Case]:
    exporter = CountingExporter()
    Traceloop.init(
        app_name="bench",
        exporter=exporter,
        disable_batch=False,  # a BatchSpanProcessor, as raw OTel has
        telemetry_enabled=False,
        instruments=set(),
    )
    traced = agent(name="planner")(plan)
    return [
        *raw_otel_cases(),
        Case(
            "traceloop-sdk @agent",
            lambda: traced("task"),
            baseline="raw OTel",
            flush=trace.get_tracer_provider().force_flush,  # type: ignore[attr-defined]
            drops=exporter_drops(exporter),
            note="defaults: input/output captured as JSON",
        ),
    ]


if __name__ == "__main__":
    main("traceloop-sdk", build)
