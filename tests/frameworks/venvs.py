"""Real agent frameworks, each in a virtualenv of its own, cached outside the repository.

Frameworks pin their own versions of OpenTelemetry, pydantic or openai, so they cannot
share the project's `.venv`. Each group in `requirements/<name>.txt` gets a venv under
the test cache, keyed by a hash of its requirements and of the project's runtime
dependencies, built once (under a lock, so parallel runs share it) and reused. The
project itself is not installed there: a run puts the repository on `PYTHONPATH`, so the
venv stays valid across edits and checkouts. The auto-instrumentation start-up line is
copied in, so `OTEL_AGENTS_AUTO_INSTRUMENT=true` works there as after `pip install`.

    python = framework_python("pydantic-ai")
    result = run_in_framework("pydantic-ai", "tests/frameworks/apps/pydantic_app.py")
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import tomllib

REPO_ROOT = Path(__file__).resolve().parents[2]
REQUIREMENTS = Path(__file__).resolve().parent / "requirements"
BUILD_TIMEOUT_S = 1200


#: Each framework's own switch for usage telemetry, trace uploads and start-up downloads.
TELEMETRY_OFF = {
    "DO_NOT_TRACK": "1",  # the cross-tool convention several libraries honour
    "TRACELOOP_TELEMETRY": "false",  # traceloop-sdk / OpenLLMetry usage telemetry
    "CREWAI_DISABLE_TELEMETRY": "true",  # CrewAI's OpenTelemetry usage telemetry
    "CREWAI_TRACING_ENABLED": "false",  # CrewAI's trace upload
    "LANGCHAIN_TRACING_V2": "false",  # LangSmith tracing (old and new names)
    "LANGSMITH_TRACING": "false",
    "LOGFIRE_SEND_TO_LOGFIRE": "false",  # pydantic-ai's Logfire, if configured
    "HF_HUB_OFFLINE": "1",  # smolagents / Hugging Face Hub: no downloads, no telemetry
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "ANONYMIZED_TELEMETRY": "false",  # chromadb (CrewAI's memory)
    "LITELLM_LOCAL_MODEL_COST_MAP": "True",  # litellm fetches its cost map at import
    "SCARF_NO_ANALYTICS": "true",
}


def cache_root() -> Path:
    configured = os.environ.get("OTEL_AGENTS_TEST_CACHE")
    return Path(configured) if configured else Path.home() / ".cache" / "otel-agents-tests"


def available() -> list[str]:
    return sorted(p.stem for p in REQUIREMENTS.glob("*.txt"))


def _project_runtime_deps() -> list[str]:
    with open(REPO_ROOT / "pyproject.toml", "rb") as f:
        project = tomllib.load(f)["project"]
    return list(project["dependencies"])


def _requirements(name: str) -> list[str]:
    path = REQUIREMENTS / f"{name}.txt"
    if not path.exists():
        raise ValueError(f"no framework group {name!r}; known: {available()}")
    lines = (line.split("#", 1)[0].strip() for line in path.read_text().splitlines())
    return [line for line in lines if line]


def venv_path(name: str) -> Path:
    spec = {
        "python": f"{sys.version_info.major}.{sys.version_info.minor}",
        "framework": _requirements(name),
        "project": _project_runtime_deps(),
    }
    digest = hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:12]
    return cache_root() / "framework-venvs" / f"{name}-{digest}"


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _site_packages(venv: Path) -> Path:
    python = venv / "bin" / "python"
    out = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    )
    return Path(out.stdout.strip())


def framework_python(name: str) -> Path:
    """The interpreter of the group's venv, building the venv on first use."""
    venv = venv_path(name)
    ready = venv / ".ready"
    if ready.exists():
        _install_startup_line(venv)
        return venv / "bin" / "python"
    with _file_lock(venv.with_suffix(".lock")):
        if ready.exists():
            return venv / "bin" / "python"
        shutil.rmtree(venv, ignore_errors=True)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        pip = [str(venv / "bin" / "python"), "-m", "pip", "--disable-pip-version-check"]
        try:
            subprocess.run(
                [*pip, "install", "--quiet", *_project_runtime_deps(), *_requirements(name)],
                check=True,
                timeout=BUILD_TIMEOUT_S,
                capture_output=True,
                text=True,
            )
        except subprocess.CalledProcessError as exc:
            shutil.rmtree(venv, ignore_errors=True)
            raise RuntimeError(
                f"installing framework group {name!r} failed:\n{exc.stdout[-3000:]}"
                f"\n{exc.stderr[-3000:]}"
            ) from exc
        (venv / ".site-packages").write_text(str(_site_packages(venv)))
        _install_startup_line(venv)
        ready.write_text("ok\n")
    return venv / "bin" / "python"


def _install_startup_line(venv: Path) -> None:
    # The start-up line follows the checkout (not part of the venv's key), as pip would
    # install it with the project.
    source = REPO_ROOT / "otel_agents_auto.pth"
    target = Path((venv / ".site-packages").read_text()) / source.name
    if not target.exists() or target.read_bytes() != source.read_bytes():
        partial = target.with_name(f".{target.name}.{os.getpid()}")
        shutil.copy(source, partial)
        os.replace(partial, target)  # atomic: a run starting meanwhile reads a whole line


def framework_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """An environment for a framework run: the repository importable, no stray OTel env."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("OTEL_", "PYTHON")) and k not in {"VIRTUAL_ENV"}
    }
    env["PYTHONPATH"] = str(REPO_ROOT)
    env["PYTHONUNBUFFERED"] = "1"
    # Frameworks must never reach a real service: no keys, no telemetry home-calls, no
    # downloads at import (checked once with `strace -f -e trace=connect` on a full run:
    # only loopback connections).
    env["OPENAI_API_KEY"] = "sk-test-not-a-real-key"
    env["OTEL_SDK_DISABLED"] = "false"
    env["OTEL_PYTHON_DISABLED_INSTRUMENTATIONS"] = ""
    env.update(TELEMETRY_OFF)
    env.update(extra or {})
    return env


def run_in_framework(
    name: str,
    args: Sequence[str],
    env: Mapping[str, str] | None = None,
    timeout_s: float = 300,
    cwd: Path | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run `python ARGS` in the group's venv; raises with the output when it fails."""
    python = framework_python(name)
    result = subprocess.run(
        [str(python), *args],
        env=framework_env(env),
        cwd=str(cwd or REPO_ROOT),
        capture_output=True,
        text=True,
        timeout=timeout_s,
    )
    if result.returncode != 0:
        raise AssertionError(
            f"{name}: python {' '.join(args)} exited {result.returncode}\n"
            f"--- stdout\n{result.stdout[-4000:]}\n--- stderr\n{result.stderr[-6000:]}"
        )
    return result
