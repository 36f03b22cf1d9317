"""Time openinference's ``@tracer.agent`` against raw OTel in the same process, offline.

Started by ``bench_decorators.py``; by hand:
``python benchmarks/subject_openinference.py --out r.json``.
"""

from __future__ import annotations

from _harness import Case, CountingExporter, exporter_drops, main, plan, raw_otel_cases
from openinference.instrumentation import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor


def build() -> list[Case]:
    exporter = CountingExporter()
    provider = TracerProvider()
    provider.add_span_processor(BatchSpanProcessor(exporter))
    tracer = provider.get_tracer("bench.openinference")
    traced = tracer.agent(name="planner")(plan)
    return [
        *raw_otel_cases(),
        Case(
            "openinference @tracer.agent",
            lambda: traced("task"),
            baseline="raw OTel",
            flush=provider.force_flush,
            drops=exporter_drops(exporter),
            note="defaults: input/output captured as JSON",
        ),
    ]


if __name__ == "__main__":
    main("openinference", build)
