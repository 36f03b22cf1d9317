"""Objects that raise from ``__str__``, and hooks that raise ``SystemExit`` (item 11)."""

from __future__ import annotations

import sys
from typing import Any

import pytest

import otel_agents as oa


class _UnprintableError(Exception):
    def __str__(self) -> str:
        raise RuntimeError("no text for you")


class _Unprintable:
    def __str__(self) -> str:
        raise RuntimeError("no text for you")


def test_exception_whose_str_raises_is_recorded_as_failure(traced: Any) -> None:
    @oa.agent(name="boom")
    def boom() -> None:
        raise _UnprintableError()

    with pytest.raises(_UnprintableError):
        boom()
    (event,) = traced.events(agent="boom")
    assert event.status == "FAILURE"
    assert event.error_type is not None and event.error_type.endswith("_UnprintableError")
    assert "str() raised RuntimeError" in (event.error_message or "")


@pytest.mark.internal_errors  # on purpose: each is counted and logged once
def test_evaluation_and_thought_with_unprintable_arguments_do_not_raise(traced: Any) -> None:
    @oa.agent(name="judge")
    def judge() -> str:
        oa.evaluation(
            _Unprintable(), score=2**2000, label=_Unprintable(), explanation=_Unprintable()
        )  # type: ignore[arg-type]
        oa.thought(_Unprintable())  # type: ignore[arg-type]
        return "ok"

    assert judge() == "ok"
    (event,) = traced.events(agent="judge")
    assert event.status == "SUCCESS"


@pytest.mark.internal_errors  # on purpose: each is counted and logged once
def test_hook_raising_system_exit_does_not_end_the_agent_call(traced: Any) -> None:
    def quitter(call: oa.ActionCall) -> None:
        sys.exit(3)

    oa.add_pre_hook(quitter)
    oa.add_post_hook(quitter)

    @oa.agent(name="survivor")
    def survivor() -> int:
        return 42

    assert survivor() == 42
    (event,) = traced.events(agent="survivor")
    assert event.status == "SUCCESS"
