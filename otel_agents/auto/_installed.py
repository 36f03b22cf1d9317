"""Which distributions are installed, read from ``*.dist-info`` folder names only.

Auto-presets need to know whether, say, ``crewai`` is installed, at interpreter start,
without importing it and without ``importlib.metadata`` reading every ``METADATA`` file.
A folder name already says ``name-version.dist-info``: one ``scandir`` per ``sys.path``
entry is enough.
"""

from __future__ import annotations

import os
import re
import sys

_DIST_INFO = re.compile(r"^(?P<name>.+?)-(?P<version>[^-]+?)\.(?:dist-info|egg-info)$")


def normalize(name: str) -> str:
    """PEP 503 normalisation: ``Pydantic_AI.slim`` -> ``pydantic-ai-slim``."""
    return re.sub(r"[-_.]+", "-", name).lower()


def installed_versions(paths: list[str] | None = None) -> dict[str, str]:
    """``{normalized name: version}`` for every distribution found on ``sys.path``."""
    found: dict[str, str] = {}
    for entry in paths if paths is not None else sys.path:
        try:
            with os.scandir(entry or ".") as it:
                names = [e.name for e in it if e.name.endswith(("dist-info", "egg-info"))]
        except OSError:
            continue
        for name in names:
            match = _DIST_INFO.match(name)
            if match is not None:
                found.setdefault(normalize(match["name"]), match["version"])
    return found


def release(version: str) -> tuple[int, ...]:
    """The numeric release part of a version: ``1.15.30rc1`` -> ``(1, 15, 30)``."""
    numbers: list[int] = []
    for part in version.split("."):
        digits = re.match(r"\d+", part)
        if digits is None:
            break
        numbers.append(int(digits.group()))
        if digits.group() != part:
            break
    return tuple(numbers)
