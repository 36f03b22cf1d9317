"""The test harness itself: a server that never gets ready is not left running."""

from __future__ import annotations

from pathlib import Path

import ops_harness
import pytest


def test_a_server_that_never_gets_ready_is_stopped(tmp_path: Path) -> None:
    server = ops_harness.Server("sleeper", ["sleep", "60"], tmp_path / "sleeper.log")
    with pytest.raises(ops_harness.ComponentUnavailable, match="no readiness"):
        server.wait_for(lambda: None, 0.5, "readiness")
    assert not server.running()


def test_a_server_that_exits_early_is_reported_with_its_log(tmp_path: Path) -> None:
    server = ops_harness.Server(
        "failer", ["sh", "-c", "echo bad flag >&2; exit 3"], tmp_path / "failer.log"
    )
    with pytest.raises(ops_harness.ComponentUnavailable, match="bad flag"):
        server.wait_for(lambda: None, 10, "readiness")
