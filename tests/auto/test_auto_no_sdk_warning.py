"""Under ``opentelemetry-instrument`` with no SDK configured: one clear warning."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

INSTRUMENT = Path(sys.executable).parent / "opentelemetry-instrument"


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    env.update(OTEL_METRICS_EXPORTER="none", OTEL_LOGS_EXPORTER="none", **extra)
    return env


def test_no_sdk_under_opentelemetry_instrument_logs_one_warning_naming_the_fix(
    tmp_path: Path,
) -> None:
    app = tmp_path / "app.py"
    app.write_text(
        "import otel_agents as oa\n\n@oa.agent\ndef planner():\n    return 1\n\nplanner()\n"
    )
    # No configurator (as without a distro) and no configure() in the app.
    env = _env(OTEL_PYTHON_DISTRO="none", OTEL_PYTHON_CONFIGURATOR="none")
    result = subprocess.run(
        [str(INSTRUMENT), sys.executable, str(app)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.count("no OpenTelemetry SDK was configured") == 1, result.stderr
    assert "OTEL_AGENTS_AUTO_INSTRUMENT=true" in result.stderr
