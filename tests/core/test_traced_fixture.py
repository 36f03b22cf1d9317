"""The ``traced`` fixture fails a test whose telemetry counted an internal error."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
_TESTS = """
import pytest
import otel_agents as oa


def _broken_hook(call):
    raise RuntimeError("hook bug")


def test_swallowed_error(traced):
    oa.add_post_hook(_broken_hook)
    oa.agent(lambda: 1)()


@pytest.mark.internal_errors
def test_swallowed_error_on_purpose(traced):
    oa.add_post_hook(_broken_hook)
    oa.agent(lambda: 1)()
"""


def test_an_internal_error_fails_the_test_unless_marked(tmp_path: Path) -> None:
    (tmp_path / "conftest.py").write_text('pytest_plugins = ["tests.plugins.core"]\n')
    (tmp_path / "test_inner.py").write_text(textwrap.dedent(_TESTS))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    summary = run.stdout.strip().splitlines()[-1]
    assert "2 passed" in summary and "1 error" in summary, run.stdout  # error at teardown
    assert "ERROR test_inner.py::test_swallowed_error -" in run.stdout
