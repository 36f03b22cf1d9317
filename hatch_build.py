"""Wheel build hook: compile the OutcomeEvent builder's C accelerator when a compiler exists.

``otel_agents/events/_speedups.c`` builds most events with about half the instructions of
the Python code in ``otel_agents/events/outcome.py``, which stays the reference and the
fallback: without a C compiler (or with ``OTEL_AGENTS_PURE_PYTHON=1`` at build time) the
wheel is pure Python and behaves the same, only slower. An editable install compiles the
module in place.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sysconfig
import tempfile
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

SOURCE = Path("otel_agents", "events", "_speedups.c")
_TRUE = ("1", "true", "yes", "on")


def compile_extension(root: Path, output_dir: Path) -> Path:
    """Compile ``SOURCE`` for this interpreter into ``output_dir``; its path, or raise."""
    cc = sysconfig.get_config_var("CC")
    ldshared = sysconfig.get_config_var("LDSHARED")
    suffix = sysconfig.get_config_var("EXT_SUFFIX")
    if not cc or not ldshared or not suffix:
        raise RuntimeError("this Python does not say how to build C extensions")
    include = sysconfig.get_paths()["include"]
    output = output_dir / f"_speedups{suffix}"
    with tempfile.TemporaryDirectory(prefix="otel-agents-build-") as scratch:
        objects = Path(scratch, "_speedups.o")
        compile_args = [
            *shlex.split(cc),
            *shlex.split(sysconfig.get_config_var("CCSHARED") or ""),
            "-O2",
            "-Wall",
            "-I",
            include,
            "-c",
            str(root / SOURCE),
            "-o",
            str(objects),
        ]
        subprocess.run(compile_args, check=True, capture_output=True, timeout=300)
        link_args = [*shlex.split(ldshared), str(objects), "-o", str(output)]
        subprocess.run(link_args, check=True, capture_output=True, timeout=300)
    return output


class CustomBuildHook(BuildHookInterface):  # type: ignore[type-arg]
    """Adds the compiled module to the wheel (or builds it in place for editable installs)."""

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if os.environ.get("OTEL_AGENTS_PURE_PYTHON", "").strip().lower() in _TRUE:
            return
        root = Path(self.root)
        package_dir = root / SOURCE.parent
        output_dir = package_dir if version == "editable" else Path(self.directory, "_c")
        output_dir.mkdir(parents=True, exist_ok=True)
        try:
            built = compile_extension(root, output_dir)
        except (OSError, RuntimeError, subprocess.SubprocessError) as exc:
            detail = getattr(exc, "stderr", b"") or b""
            self.app.display_warning(
                "otel-agents: the C accelerator was not built, so events are built in "
                f"Python (same results, slower): {exc} {detail.decode(errors='replace')[:500]}"
            )
            return
        build_data["pure_python"] = False
        build_data["infer_tag"] = True
        if version != "editable":
            build_data["force_include"][str(built)] = str(SOURCE.parent / built.name)
