"""Time mlflow-tracing's ``@trace`` against raw OTel in the same process, offline.

Started by ``bench_decorators.py``; by hand: ``python benchmarks/subject_mlflow.py --out r.json``.
"""

from __future__ import annotations

import os

# Without these it fails resolving its default store; nothing listens on port 1.
os.environ["MLFLOW_TRACKING_URI"] = "http://127.0.0.1:1"
os.environ["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"] = "http://127.0.0.1:1/v1/traces"
os.environ["OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"] = "http/protobuf"

import mlflow
from _harness import Case, CountingExporter, exporter_drops, main, plan, raw_otel_cases
from mlflow.tracing import provider as mlflow_provider


def build() -> list[Case]:
    traced = mlflow.trace(name="planner", span_type="AGENT")(plan)
    traced("task")  # mlflow sets its provider up on first use
    processor = mlflow_provider._get_span_processor()
    exporter = CountingExporter()
    # Its BatchSpanProcessor's OTLP exporter, swapped for the no-op (private attribute).
    processor._batch_processor._exporter = exporter
    return [
        *raw_otel_cases(),
        Case(
            "mlflow-tracing @trace",
            lambda: traced("task"),
            baseline="raw OTel",
            flush=processor.force_flush,
            drops=exporter_drops(exporter),
            note="span_type='AGENT'; defaults: input/output captured as JSON",
            calls_made=1,  # the set-up call above
        ),
    ]


if __name__ == "__main__":
    main("mlflow-tracing", build)
