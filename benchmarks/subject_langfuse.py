"""Time langfuse's ``@observe`` against raw OTel in the same process, offline.

Started by ``bench_decorators.py``; by hand: ``python benchmarks/subject_langfuse.py --out r.json``.
"""

from __future__ import annotations

from _harness import Case, CountingExporter, exporter_drops, main, plan, raw_otel_cases
from langfuse import Langfuse, observe
from langfuse._client.span_processor import LangfuseSpanProcessor


def build() -> list[Case]:
    # Nothing listens on port 1: the client initialises offline.
    client = Langfuse(public_key="pk-lf-x", secret_key="sk-lf-x", host="http://127.0.0.1:1")
    provider = client._resources.tracer_provider
    exporter = CountingExporter()
    swapped = 0
    for processor in provider._active_span_processor._span_processors:
        if isinstance(processor, LangfuseSpanProcessor):
            # Its OTLP exporter can only be replaced through this private attribute.
            processor._batch_processor._exporter = exporter
            swapped += 1
    if swapped != 1:
        raise RuntimeError(f"expected one LangfuseSpanProcessor, found {swapped}")
    traced = observe(name="planner", as_type="agent")(plan)
    return [
        *raw_otel_cases(),
        Case(
            "langfuse @observe",
            lambda: traced("task"),
            baseline="raw OTel",
            flush=provider.force_flush,
            drops=exporter_drops(exporter),
            note="as_type='agent'; defaults: input/output captured as JSON",
        ),
    ]


if __name__ == "__main__":
    main("langfuse", build)
