"""What auto-instrumentation would wrap here, found without wrapping anything.

``otel-agents doctor`` imports the modules the patterns name (as the application would),
matches the patterns, and reports; it patches nothing, configures no telemetry and
sends nothing. Modules that are not installed are reported, not imported.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Iterator

from otel_agents.auto._installed import installed_versions
from otel_agents.auto._patcher import _all_subclasses, matching_classes, matching_members
from otel_agents.auto.presets import PRESETS
from otel_agents.auto.targets import Target, parse_targets


def report(targets_text: str) -> Iterator[str]:
    """Lines describing each preset and pattern, and the classes it would wrap.

    for line in report("preset:auto"): print(line)
    """
    versions = installed_versions()
    yield "Framework presets:"
    for preset in PRESETS.values():
        version = versions.get(preset.distribution)
        if version is None:
            state = "not installed"
        elif preset.supports(version):
            state = f"{version} installed (tested range)"
        else:
            state = f"{version} installed, OUTSIDE the tested range"
        tested = f">={preset.tested_from},<{preset.tested_below}"
        yield f"  preset:{preset.name:<14} {preset.distribution} {tested}: {state}"
    yield ""
    yield f"Patterns ({targets_text}):"
    for target in parse_targets(targets_text, source="otel-agents doctor"):
        origin = f"  [preset:{target.preset}]" if target.preset else ""
        yield f"  {target.text}{origin}"
        for line in _matches(target):
            yield f"      {line}"


def _matches(target: Target) -> list[str]:
    if target.module_is_glob:
        return ["(module glob: matched as modules are imported; not listed here)"]
    try:
        try:
            found = importlib.util.find_spec(target.module)
        except ModuleNotFoundError:
            found = None  # a parent package is missing
        if found is None:
            return [f"module {target.module} is not installed"]
        module = importlib.import_module(target.module)
    except Exception as exc:
        return [f"module {target.module} cannot be imported: {exc!r}"]
    owners = matching_classes(target, module) or []
    if not owners:
        return [f"nothing named {'.'.join(target.qualname[:-1])} is defined there"]
    kind = target.kind.value
    lines: list[str] = []
    for owner in owners:
        where = getattr(owner, "__qualname__", module.__name__)
        if target.attribute:
            lines.append(f"{kind}: {module.__name__}.{where}.{target.qualname[-1]} (per instance)")
            continue
        classes = [owner, *_all_subclasses(owner)] if target.hierarchy else [owner]
        for cls in classes:
            for attr, _ in matching_members(target, cls, module.__name__):
                name = getattr(cls, "__qualname__", "")
                place = f"{cls.__module__}.{name}" if isinstance(cls, type) else module.__name__
                lines.append(f"{kind}: {place}.{attr}")
    return lines or [f"no member matches {target.qualname[-1]} (inherited members need '+')"]
