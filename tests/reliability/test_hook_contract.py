"""The hook contract (item 12): slow or hanging hooks never hold an agent call for long.

Background post hooks run off the agent's thread and are flushed with a bound; async hooks
get a real deadline; a sync inline hook, which Python cannot interrupt, is timed, reported
once by name and counted.
"""

from __future__ import annotations

import asyncio
import logging
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

import otel_agents as oa
from otel_agents._state import RUNTIME
from otel_agents.instrument import hooks


def test_a_slow_background_post_hook_does_not_slow_the_agent_call(traced: Any) -> None:
    seen: list[tuple[str, str | None, Any, bool]] = []

    def slow_audit(call: oa.ActionCall) -> None:
        time.sleep(2)
        seen.append((call.name, call.status, call.result, (call.duration_ms or -1) >= 0))

    oa.add_post_hook(slow_audit, background=True)

    @oa.agent(name="quick")
    def quick() -> int:
        return 7

    start = time.monotonic()
    assert quick() == 7
    assert time.monotonic() - start < 0.5
    assert seen == []  # still running on the worker
    assert oa.force_flush(10_000)
    assert seen == [("quick", "SUCCESS", 7, True)]
    assert traced.telemetry.stats()["hooks_queued"] == 0


def test_background_hooks_also_work_as_a_decorator_and_can_be_removed(traced: Any) -> None:
    seen: list[str] = []

    @oa.add_post_hook(background=True)
    def audit(call: oa.ActionCall) -> None:
        seen.append(call.name)

    @oa.agent(name="a")
    def a() -> None:
        return None

    a()
    oa.remove_hook(audit)
    a()
    assert oa.force_flush(5_000)
    assert seen == ["a"]


_HANGING_BACKGROUND_HOOK = """
import sys, threading, time
import otel_agents as oa
oa.configure(service_name="hang", outcome_log=sys.argv[1])

def hang(call):
    threading.Event().wait()

oa.add_post_hook(hang, background=True)

@oa.agent(name="a")
def a():
    return 1

start = time.monotonic()
for _ in range(3):
    a()
print("calls", round(time.monotonic() - start, 3), flush=True)
start = time.monotonic()
print("flushed", oa.force_flush(300), round(time.monotonic() - start, 3), flush=True)
start = time.monotonic()
oa.shutdown()
print("shut down", round(time.monotonic() - start, 3), flush=True)
"""


def test_a_hanging_background_hook_does_not_hang_flush_shutdown_or_exit(tmp_path: Path) -> None:
    start = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-c", _HANGING_BACKGROUND_HOOK, str(tmp_path / "o.jsonl")],
        capture_output=True,
        text=True,
        timeout=30,
    )
    took = time.monotonic() - start
    assert proc.returncode == 0, proc.stderr
    lines = dict(line.rsplit(" ", 1) for line in proc.stdout.splitlines())
    assert float(lines["calls"]) < 0.5
    assert lines["flushed False"] and float(lines["flushed False"]) < 1.0
    assert float(lines["shut down"]) < 6.0  # the bounded final flush (5 s)
    # Exit does not wait for the same hanging hook a second time.
    assert took < 15, proc.stdout
    assert "not run at exit" in proc.stderr


async def test_an_async_hook_that_hangs_in_an_async_action_is_cancelled_at_its_deadline(
    traced: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(RUNTIME, "hook_timeout_s", 0.2)
    cancelled: list[str] = []

    async def stuck(call: oa.ActionCall) -> None:
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            cancelled.append(call.name)
            raise

    oa.add_post_hook(stuck)

    @oa.agent(name="answer")
    async def answer() -> int:
        return 42

    before = traced.telemetry.stats()["hooks_timed_out"]
    with caplog.at_level(logging.WARNING, logger="otel_agents"):
        start = time.monotonic()
        # A bound of our own, so a missing deadline fails the test instead of hanging it.
        assert await asyncio.wait_for(answer(), 5) == 42
        assert await asyncio.wait_for(answer(), 5) == 42
        took = time.monotonic() - start
    assert took < 2.0
    assert cancelled == ["answer", "answer"]
    assert traced.telemetry.stats()["hooks_timed_out"] == before + 2
    reports = [r for r in caplog.records if "stuck" in r.getMessage()]
    assert len(reports) == 1, [r.getMessage() for r in reports]
    assert "OTEL_AGENTS_HOOK_TIMEOUT_MS" in reports[0].getMessage()


@pytest.mark.internal_errors  # on purpose: the hook's own error is counted
async def test_an_async_hook_raising_its_own_timeout_error_is_an_error_not_a_deadline(
    traced: Any,
) -> None:
    if sys.version_info < (3, 11):
        pytest.skip("Python 3.10's wait_for cannot tell them apart")

    async def own_timeout(call: oa.ActionCall) -> None:
        raise TimeoutError("the hook's own")

    oa.add_post_hook(own_timeout)

    @oa.agent(name="b")
    async def b() -> int:
        return 1

    before = traced.telemetry.stats()
    assert await b() == 1
    after = traced.telemetry.stats()
    assert after["hooks_timed_out"] == before["hooks_timed_out"]
    assert after["internal_errors"] == before["internal_errors"] + 1


def test_a_hanging_async_background_hook_is_cancelled_and_the_next_one_runs(
    traced: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(RUNTIME, "hook_timeout_s", 0.2)
    seen: list[str] = []

    async def maybe_stuck(call: oa.ActionCall) -> None:
        if call.result == "hang":
            await asyncio.sleep(3600)
        seen.append(call.result)

    oa.add_post_hook(maybe_stuck, background=True)

    @oa.agent(name="c")
    def c(value: str) -> str:
        return value

    before = traced.telemetry.stats()["hooks_timed_out"]
    c("hang")
    c("next")
    assert oa.force_flush(5_000)
    assert seen == ["next"]
    assert traced.telemetry.stats()["hooks_timed_out"] == before + 1


def test_a_slow_sync_hook_is_reported_once_by_name_and_counted(
    traced: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(RUNTIME, "hook_timeout_s", 0.05)

    def sluggish_pre_hook(call: oa.ActionCall) -> None:
        time.sleep(0.08)

    oa.add_pre_hook(sluggish_pre_hook)

    @oa.agent(name="d")
    def d() -> int:
        return 3

    before = traced.telemetry.stats()["hooks_slow"]
    with caplog.at_level(logging.WARNING, logger="otel_agents"):
        assert [d(), d(), d()] == [3, 3, 3]
    assert traced.telemetry.stats()["hooks_slow"] == before + 3
    reports = [r.getMessage() for r in caplog.records if "sluggish_pre_hook" in r.getMessage()]
    assert len(reports) == 1, reports
    assert "background=True" in reports[0]


def test_a_full_background_queue_drops_counts_and_warns_once(
    traced: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(hooks._WORKER, "max_queue", 5)
    monkeypatch.setattr(hooks._WORKER, "_warned_full", False)
    release = threading.Event()
    ran: list[int] = []

    def blocked(call: oa.ActionCall) -> None:
        release.wait(10)
        ran.append(call.result)

    oa.add_post_hook(blocked, background=True)

    @oa.agent(name="e")
    def e(i: int) -> int:
        return i

    before = traced.telemetry.stats()["hooks_dropped"]
    with caplog.at_level(logging.WARNING, logger="otel_agents"):
        e(0)
        deadline = time.monotonic() + 5
        while not hooks._WORKER._busy:  # the worker holds call 0: the queue is empty
            assert time.monotonic() < deadline
            time.sleep(0.01)
        for i in range(1, 20):
            e(i)
    release.set()
    assert oa.force_flush(5_000)
    dropped = traced.telemetry.stats()["hooks_dropped"] - before
    assert len(ran) + dropped == 20
    assert dropped == 14  # one running, five waiting
    assert ran == [0, 1, 2, 3, 4, 5]  # in order
    assert len([r for r in caplog.records if "queue is full" in r.getMessage()]) == 1


@pytest.mark.parametrize("value", ["0", "soon"])
def test_a_bad_hook_timeout_fails_at_configure_naming_the_variable(
    value: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OTEL_AGENTS_HOOK_TIMEOUT_MS", value)
    with pytest.raises(oa.ConfigurationError, match="OTEL_AGENTS_HOOK_TIMEOUT_MS"):
        oa.configure(service_name="hooks", outcome_log=tmp_path / "o.jsonl")
    oa.shutdown()


def test_the_hook_timeout_is_read_from_the_environment_by_configure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OTEL_AGENTS_HOOK_TIMEOUT_MS", "250")
    oa.configure(service_name="hooks", outcome_log=tmp_path / "o.jsonl")
    try:
        assert RUNTIME.hook_timeout_s == 0.25
    finally:
        oa.shutdown()
    monkeypatch.delenv("OTEL_AGENTS_HOOK_TIMEOUT_MS")
    oa.configure(service_name="hooks", outcome_log=tmp_path / "o.jsonl", hook_timeout_ms=40)
    try:
        assert RUNTIME.hook_timeout_s == 0.04
    finally:
        oa.shutdown()
    assert RUNTIME.hook_timeout_s == 1.0  # the default again once shut down
