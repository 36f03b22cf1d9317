"""Target pattern parsing."""

from __future__ import annotations

import pytest

from otel_agents import ConfigurationError
from otel_agents.auto import parse_target, parse_targets
from otel_agents.semconv import ActionKind


@pytest.mark.parametrize(
    ("text", "kind", "module", "qualname", "hierarchy"),
    [
        (
            "myapp.agents:*Agent.execute",
            ActionKind.AGENT,
            "myapp.agents",
            ("*Agent", "execute"),
            False,
        ),
        ("tool:myapp.tools:search_*", ActionKind.TOOL, "myapp.tools", ("search_*",), False),
        (" workflow:myapp.flows:nightly ", ActionKind.WORKFLOW, "myapp.flows", ("nightly",), False),
        ("myapp.base:BaseAgent.run+", ActionKind.AGENT, "myapp.base", ("BaseAgent", "run"), True),
        ("myapp.*:Outer.Inner.run", ActionKind.AGENT, "myapp.*", ("Outer", "Inner", "run"), False),
    ],
)
def test_valid_patterns(
    text: str, kind: ActionKind, module: str, qualname: tuple[str, ...], hierarchy: bool
) -> None:
    target = parse_target(text)
    assert (target.kind, target.module, target.qualname, target.hierarchy) == (
        kind,
        module,
        qualname,
        hierarchy,
    )


@pytest.mark.parametrize(
    "text",
    ["myapp", "a:b:c:d", "robot:myapp:X", "myapp:", ":run", "my app:X", "myapp:X..y", "myapp:f+"],
)
def test_malformed_patterns_name_the_pattern(text: str) -> None:
    with pytest.raises(ConfigurationError, match="malformed target pattern"):
        parse_target(text)


def test_list_ignores_blanks_and_duplicates() -> None:
    targets = parse_targets("a:f, ,a:f,tool:b:g,")
    assert [t.text for t in targets] == ["a:f", "tool:b:g"]


def test_module_glob_crosses_dots() -> None:
    target = parse_target("myapp.*:X.run")
    assert target.module_is_glob
    assert target.matches_module("myapp.agents.deep") and not target.matches_module("other")
