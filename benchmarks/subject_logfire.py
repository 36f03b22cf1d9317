"""Time logfire's ``@instrument`` against raw OTel in the same process, offline.

Started by ``bench_decorators.py``; by hand: ``python benchmarks/subject_logfire.py --out r.json``.
"""

from __future__ import annotations

import logfire
from _harness import Case, CountingExporter, exporter_drops, main, plan, raw_otel_cases
from opentelemetry.sdk.trace.export import BatchSpanProcessor


def build() -> list[Case]:
    exporter = CountingExporter()
    logfire.configure(
        send_to_logfire=False,
        console=False,
        metrics=False,
        additional_span_processors=[BatchSpanProcessor(exporter)],
    )
    traced = logfire.instrument("planner")(plan)
    return [
        *raw_otel_cases(),
        Case(
            "logfire @instrument",
            lambda: traced("task"),
            baseline="raw OTel",
            flush=logfire.force_flush,
            drops=exporter_drops(exporter),
            note="defaults: arguments as attributes",
        ),
    ]


if __name__ == "__main__":
    main("logfire", build)
