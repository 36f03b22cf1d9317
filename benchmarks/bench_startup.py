"""Start-up cost of auto-instrumentation: the flag off (the .pth line only) and on.

    python benchmarks/bench_startup.py            # 30 runs of each case
    python benchmarks/bench_startup.py --runs 50

Prints the wall-clock of ``python -c pass`` (median and p90 over interleaved runs), the
cost of the ``.pth`` line itself when the flag is off, and what ``-X importtime`` says
each case imports. Run it with the interpreter of the environment otel-agents is
installed in.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
import timeit
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_check import compile_package

PTH_NAME = "otel_agents_auto.pth"
SAMPLE_APPS = Path(__file__).resolve().parent.parent / "tests" / "auto" / "sample_apps"


def _env(flag: bool | str, outcome_log: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    env.pop("PYTHONPATH", None)
    if flag:
        env.update({"OTEL_AGENTS_AUTO_INSTRUMENT": "true", "OTEL_AGENTS_OUTCOME_LOG": outcome_log})
        if flag != "presets":  # presets: the flag alone, every installed framework's preset
            env["OTEL_AGENTS_TARGETS"] = "shop.agents:*Agent.execute, shop.base:BaseAgent.run+"
    return env


CASES: dict[str, tuple[list[str], bool | str]] = {
    "no site (-S), reference": ([sys.executable, "-S", "-c", "pass"], False),
    "flag off": ([sys.executable, "-c", "pass"], False),
    "flag on, patterns": ([sys.executable, "-c", "pass"], True),
    "flag on, presets (no targets)": ([sys.executable, "-c", "pass"], "presets"),
}


def wall_clock(runs: int, outcome_log: str) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {name: [] for name in CASES}
    for _ in range(runs):  # interleaved, so drift in machine load hits every case alike
        for name, (command, flag) in CASES.items():
            env = _env(flag, outcome_log)
            start = time.perf_counter()
            subprocess.run(command, env=env, cwd=SAMPLE_APPS, check=True, stderr=subprocess.DEVNULL)
            times[name].append((time.perf_counter() - start) * 1000)
    return times


def pth_line_cost() -> float:
    """Microseconds the .pth line takes when the flag is off, as site runs it (exec)."""
    pth = Path(sysconfig.get_paths()["purelib"]) / PTH_NAME
    if not pth.exists():
        raise SystemExit(f"{pth} not found: install otel-agents in this environment first")
    code = compile(pth.read_text().strip(), str(pth), "exec")
    os.environ.pop("OTEL_AGENTS_AUTO_INSTRUMENT", None)
    number = 200_000
    return min(timeit.repeat(lambda: exec(code, {}), number=number, repeat=5)) / number * 1e6


def imports(flag: bool | str, outcome_log: str) -> tuple[int, int, float, list[tuple[float, str]]]:
    """Per ``-X importtime``: modules imported, how many are ours or OpenTelemetry's,
    their total self time (ms) and the largest cumulative entries below ``site``."""
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "pass"],
        env=_env(flag, outcome_log),
        cwd=SAMPLE_APPS,
        capture_output=True,
        text=True,
        check=True,
    )
    rows = re.findall(r"import time:\s+(\d+) \|\s+(\d+) \|(\s*)(\S+)", proc.stderr)
    self_total = sum(int(self_us) for self_us, _, _, _ in rows) / 1000
    ours = sum(1 for *_, name in rows if name.startswith(("otel_agents", "opentelemetry")))
    top = sorted(
        ((int(cum) / 1000, name) for _, cum, _, name in rows if name != "site"), reverse=True
    )[:6]
    return len(rows), ours, self_total, top


def main() -> None:
    compile_package(sys.executable)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        outcome_log = str(Path(tmp) / "outcomes.jsonl")
        print(f"python {sys.version.split()[0]} on {sys.platform}; {args.runs} runs per case")
        print("\nwall-clock of `python -c pass` (ms)")
        times = wall_clock(args.runs, outcome_log)
        medians = {name: statistics.median(values) for name, values in times.items()}
        for name, values in times.items():
            p90 = statistics.quantiles(values, n=10)[-1]
            print(f"  {name:26s} median {medians[name]:7.1f}   p90 {p90:7.1f}")
        off = medians["flag off"]
        for name in ("flag on, patterns", "flag on, presets (no targets)"):
            print(
                f"  {name} / flag off: {medians[name] / off:.2f}x  (+{medians[name] - off:.1f} ms)"
            )
        print(f"\n.pth line with the flag off: {pth_line_cost():.2f} µs per interpreter start")
        for label, flag in (("flag off", False), ("flag on, presets", "presets")):
            count, ours, self_ms, top = imports(flag, outcome_log)
            print(
                f"\n-X importtime, {label}: {count} modules ({ours} otel_agents/opentelemetry), "
                f"{self_ms:.1f} ms self time in all; largest cumulative:"
            )
            for cumulative, name in top:
                print(f"  {cumulative:7.1f} ms  {name}")


if __name__ == "__main__":
    main()
