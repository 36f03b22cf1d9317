"""Per-call cost of ``@oa.agent`` next to raw OpenTelemetry and the peers' decorators.

    python3 -m venv benchmarks/.venv
    benchmarks/.venv/bin/pip install -e '.[bench]'
    benchmarks/.venv/bin/python benchmarks/bench_decorators.py [--markdown] [--cpu 1]

One process per subject (otel-agents, then each peer): peers set global tracer
providers and patch things at import, so they must not meet. Every process also times
raw OTel doing the same work, and each case is reported as a ratio to *its own process's*
raw OTel, which keeps the comparison fair when processes differ. Offline throughout:
spans go to a counting no-op exporter behind a BatchSpanProcessor; anything that insists
on an endpoint is given 127.0.0.1:1, where nothing listens.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
CLOCK_TITLES = {"wall": "Wall time", "cpu": "Process CPU time (all threads)"}
SUBJECTS = {
    "otel-agents": "subject_ours.py",
    "traceloop-sdk": "subject_traceloop.py",
    "logfire": "subject_logfire.py",
    "openinference": "subject_openinference.py",
    "langfuse": "subject_langfuse.py",
    "mlflow-tracing": "subject_mlflow.py",
}


def _parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=20_000, help="calls per timed block")
    parser.add_argument("--repeats", type=int, default=7, help="timed blocks per case")
    parser.add_argument("--warmup", type=int, default=2_000, help="untimed calls per case")
    parser.add_argument("--cpu", type=int, default=None, help="pin each process to this CPU")
    parser.add_argument(
        "--subjects", default=",".join(SUBJECTS), help=f"comma-separated, of: {', '.join(SUBJECTS)}"
    )
    parser.add_argument("--python", default=sys.executable, help="interpreter for the subjects")
    parser.add_argument("--json", type=Path, help="also write all results to this file")
    parser.add_argument("--markdown", action="store_true", help="print Markdown tables")
    parser.add_argument(
        "--clock", choices=("wall", "cpu", "both"), default="both", help="which table(s) to print"
    )
    return parser.parse_args()


def _clean_env() -> dict[str, str]:
    # Inherited OTEL_* settings (an endpoint, a sampler, a disabled SDK) would change what
    # is measured; each subject sets what its peer needs.
    return {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "OTEL_AGENTS_"))}


def run_subject(name: str, args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    out = workdir / f"{name}.json"
    command = [
        args.python,
        str(HERE / SUBJECTS[name]),
        f"--out={out}",
        f"--calls={args.calls}",
        f"--repeats={args.repeats}",
        f"--warmup={args.warmup}",
    ]
    if args.cpu is not None:
        command.append(f"--cpu={args.cpu}")
    print(f"… {name}", file=sys.stderr, flush=True)
    done = subprocess.run(
        command, cwd=workdir, env=_clean_env(), capture_output=True, text=True, check=False
    )
    if done.returncode != 0 or not out.exists():
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        error = " | ".join(tail) or f"exit {done.returncode}"
        if "ModuleNotFoundError" in error:
            error += " (the peers come with: pip install -e '.[bench]')"
        return {"subject": name, "error": error}
    result: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    return result


def rows(result: dict[str, Any], clock: str) -> list[dict[str, Any]]:
    """Table rows of one subject by ``clock``: median, spread, ratios to baseline, drops."""
    by_label = {case["label"]: case for case in result["cases"]}
    table = []
    for case in result["cases"]:
        samples = case["samples_us"][clock]
        median = statistics.median(samples)
        base = by_label.get(case["baseline"] or "")
        ratio = paired = None
        if base is not None and base is not case:
            theirs = base["samples_us"][clock]
            ratio = median / statistics.median(theirs)
            # Block i of a case ran in the same round as block i of its baseline: their
            # ratio cancels load that changes between rounds (other work on the machine).
            paired = statistics.median(m / t for m, t in zip(samples, theirs, strict=True))
        drops = case["drops"]
        dropped = ""
        if drops is not None:
            dropped = f"{drops['ended'] - drops['exported']}/{drops['ended']}"
            if "outcome_dropped" in drops:
                dropped += f"; outcomes {drops['outcome_dropped']}/{drops['ended']}"
        table.append(
            {
                "subject": result["subject"],
                "case": case["label"],
                "median": median,
                "spread": f"{min(samples):.1f}–{max(samples):.1f}",
                "ratio": ratio,
                "paired": paired,
                "versus": case["baseline"] if ratio is not None else "",
                "with_flush": statistics.median(case["samples_us"][f"{clock}_with_flush"]),
                "dropped": dropped,
            }
        )
    return table


def _times(value: float | None) -> str:
    return f"{value:.2f}×" if value is not None else ""


def print_text(all_rows: list[dict[str, Any]]) -> None:
    header = (
        f"{'subject':15} {'case':36} {'µs/call':>8} {'min–max':>12} {'ratio':>7} "
        f"{'paired':>7} {'+flush':>8}  dropped/ended"
    )
    print(header)
    print("-" * len(header))
    for row in all_rows:
        print(
            f"{row['subject']:15} {row['case']:36} {row['median']:8.2f} {row['spread']:>12} "
            f"{_times(row['ratio']):>7} {_times(row['paired']):>7} {row['with_flush']:8.2f}"
            f"  {row['dropped']}"
        )


def print_markdown(all_rows: list[dict[str, Any]]) -> None:
    print(
        "| process | case | µs/call (median) | min–max | ratio of medians | paired ratio "
        "| vs | µs/call incl. flush | dropped/ended |"
    )
    print("|---|---|---:|---:|---:|---:|---|---:|---|")
    for row in all_rows:
        print(
            f"| {row['subject']} | {row['case']} | {row['median']:.2f} | {row['spread']} | "
            f"{_times(row['ratio'])} | {_times(row['paired'])} | {row['versus']} | "
            f"{row['with_flush']:.2f} | {row['dropped']} |"
        )


def main() -> None:
    args = _parse()
    names = [name.strip() for name in args.subjects.split(",") if name.strip()]
    unknown = [name for name in names if name not in SUBJECTS]
    if unknown:
        raise SystemExit(f"unknown subject(s) {unknown}; choose from {list(SUBJECTS)}")
    results = []
    # Subjects run from a scratch directory: some write state files where they start.
    with tempfile.TemporaryDirectory(prefix="otel-agents-bench-") as scratch:
        for name in names:
            results.append(run_subject(name, args, Path(scratch)))
    done = []
    for result in results:
        if "error" in result:
            print(f"{result['subject']}: failed: {result['error']}", file=sys.stderr)
        else:
            done.append(result)
    clocks = ("wall", "cpu") if args.clock == "both" else (args.clock,)
    for clock in clocks:
        print(
            f"\n{CLOCK_TITLES[clock]}: {args.repeats} repeats × {args.calls} calls per case "
            f"(+{args.warmup} warm-up), medians; ratio = case / baseline in the same process"
            + (f"; pinned to CPU {args.cpu}" if args.cpu is not None else "")
        )
        all_rows = [row for result in done for row in rows(result, clock)]
        if args.markdown:
            print_markdown(all_rows)
        else:
            print_text(all_rows)
    if args.json is not None:
        args.json.write_text(json.dumps(results, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
