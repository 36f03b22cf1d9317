"""A normal (non-editable) install carries the start-up hook too."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest
from conftest import SAMPLE_APPS

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import hatchling  # noqa: F401 - the wheel is built offline with it (dev extra)

    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--wheel-dir",
            str(out),
            str(ROOT),
        ],
        check=True,
        timeout=120,
    )
    return next(out.glob("otel_agents-*.whl"))


def test_wheel_ships_the_pth_line_at_its_root(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        line = archive.read("otel_agents_auto.pth").decode()
    assert line == (ROOT / "otel_agents_auto.pth").read_text()


def test_pth_from_an_installed_wheel_instruments_plain_python(wheel: Path, tmp_path: Path) -> None:
    site_dir = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--target",
            str(site_dir),
            str(wheel),
        ],
        check=True,
        timeout=120,
    )
    # -S: no site-packages, so neither the editable checkout nor its .pth is seen; the
    # dependencies come in by path and the wheel's directory is processed as a site dir.
    script = (
        "import sys, site, runpy; "
        f"sys.path.append({sysconfig.get_paths()['purelib']!r}); "
        f"site.addsitedir({str(site_dir)!r}); "
        "import otel_agents; print('from', otel_agents.__file__); "
        "runpy.run_module('shop.main', run_name='__main__')"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    env.update(
        OTEL_AGENTS_AUTO_INSTRUMENT="true",
        OTEL_AGENTS_TARGETS="shop.agents:PlannerAgent.execute",
        OTEL_TRACES_EXPORTER="console",
        OTEL_AGENTS_OUTCOME_LOG=str(tmp_path / "outcomes.jsonl"),
    )
    proc = subprocess.run(
        [sys.executable, "-S", "-c", script],
        cwd=SAMPLE_APPS,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert f"from {site_dir}" in proc.stdout
    assert '"name": "invoke_agent PlannerAgent"' in proc.stdout
