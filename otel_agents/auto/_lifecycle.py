"""The one seam between auto-instrumentation and the call lifecycle: names only.

Auto-instrumentation opens and ends action spans itself (names chosen per call, spans
handed over to streamed results), but every span must be the very span a decorator makes:
same attributes, hooks, content capture and outcome. So the shells in ``_traced`` and
``_streaming`` use ``otel_agents.instrument.lifecycle``'s own begin/enter/end steps,
re-exported here so that nothing else in ``auto`` reaches into ``instrument``. There is
no second copy of the lifecycle.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from otel_agents._lazy import lazy_attributes
from otel_agents._state import RUNTIME
from otel_agents.instrument.spec import SPEC_ATTRIBUTE, ActionSpec, make_spec

if TYPE_CHECKING:
    from otel_agents.instrument.action import CURRENT_ACTION, Action, attach, detach
    from otel_agents.instrument.hooks import ActionCall, run_hooks_async, run_hooks_sync
    from otel_agents.instrument.lifecycle import (
        begin,
        end_async,
        end_sync,
        enter,
        fail,
        note_first_item,
        succeed,
    )

# What only a call needs loads with the first traced call, not when the targets are
# wrapped at start-up (PEP 562): a process that imports its agents and never calls one
# does not pay for the lifecycle's modules.
_ON_FIRST_CALL = {
    "ActionCall": "otel_agents.instrument.hooks",
    "run_hooks_async": "otel_agents.instrument.hooks",
    "run_hooks_sync": "otel_agents.instrument.hooks",
    "CURRENT_ACTION": "otel_agents.instrument.action",
    "Action": "otel_agents.instrument.action",
    "attach": "otel_agents.instrument.action",
    "detach": "otel_agents.instrument.action",
    "begin": "otel_agents.instrument.lifecycle",
    "end_async": "otel_agents.instrument.lifecycle",
    "end_sync": "otel_agents.instrument.lifecycle",
    "enter": "otel_agents.instrument.lifecycle",
    "fail": "otel_agents.instrument.lifecycle",
    "note_first_item": "otel_agents.instrument.lifecycle",
    "succeed": "otel_agents.instrument.lifecycle",
}


__getattr__ = lazy_attributes(globals(), _ON_FIRST_CALL)


__all__ = [
    "CURRENT_ACTION",
    "RUNTIME",
    "SPEC_ATTRIBUTE",
    "Action",
    "ActionCall",
    "ActionSpec",
    "attach",
    "begin",
    "detach",
    "end_async",
    "end_sync",
    "enter",
    "fail",
    "make_spec",
    "note_first_item",
    "run_hooks_async",
    "run_hooks_sync",
    "succeed",
]
