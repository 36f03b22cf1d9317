"""Workflows: a named run of several agent steps, as a ``with`` block or a decorator.

    with oa.workflow("compliance-report", tags=["compliance"]):
        Planner().execute({"query": "..."}, {})

    @oa.workflow(name="nightly-eval")
    async def nightly(): ...

The workflow span's outcome aggregates its steps: SUCCESS, PARTIAL when some steps failed
but the workflow returned, FAILURE when it raised. Its ``workflow_id`` and
``correlation_id`` are carried to every nested span and event, in-process and, through
W3C baggage, across process boundaries.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from types import TracebackType
from typing import Any, TypeVar

from opentelemetry import context as otel_context

from otel_agents import semconv
from otel_agents._state import RUNTIME
from otel_agents.instrument.action import CURRENT_ACTION, Action, attach, detach, end_error, end_ok
from otel_agents.instrument.lifecycle import start_action, wrap_callable
from otel_agents.instrument.spec import ActionSpec, make_spec
from otel_agents.semconv import ActionKind

F = TypeVar("F", bound=Callable[..., Any])


def _block() -> None:
    pass


class WorkflowScope:
    """Returned by ``oa.workflow(...)``: a (sync or async) context manager and a decorator."""

    def __init__(
        self,
        name: str | None,
        *,
        workflow_id: str | None = None,
        correlation_id: str | None = None,
        tags: Iterable[str] | None = None,
        action_type: str | None = None,
        description: str | None = None,
        capture_content: bool | None = None,
    ) -> None:
        self._name = name
        self._fixed_ids = {
            key: value
            for key, value in (
                (semconv.WORKFLOW_ID, workflow_id),
                (semconv.CORRELATION_ID, correlation_id),
            )
            if value is not None
        }
        self._options: dict[str, Any] = {
            "tags": tags,
            "action_type": action_type,
            "description": description,
            "capture_content": capture_content,
        }
        self._block_spec: ActionSpec | None = None
        self._active: list[tuple[Action, Any]] = []
        self._last_workflow_id: str | None = None

    def _spec(self, fn: Callable[..., Any], name: str | None) -> ActionSpec:
        spec = make_spec(ActionKind.WORKFLOW, fn, name=name, **self._options)
        spec.attributes.update(self._fixed_ids)
        return spec

    def __call__(self, fn: F) -> F:
        return wrap_callable(fn, self._spec(fn, self._name))

    @property
    def workflow_id(self) -> str | None:
        """The id of the run in progress (inside the ``with`` block), or of the last run."""
        if self._active:
            return self._active[-1][0].workflow_id
        return self._last_workflow_id or self._fixed_ids.get(semconv.WORKFLOW_ID)

    def __enter__(self) -> WorkflowScope:
        try:
            if self._block_spec is None:
                self._block_spec = self._spec(_block, self._name or "workflow")
            action = start_action(self._block_spec)
            self._active.append((action, attach(action.span, action)))
        except Exception as exc:
            RUNTIME.report_internal_error("starting a workflow", exc)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if not self._active:
            return
        action, tokens = self._active.pop()
        self._last_workflow_id = action.workflow_id
        detach(tokens)
        if exc is not None:
            end_error(action, exc)
        else:
            end_ok(action, None, None)

    async def __aenter__(self) -> WorkflowScope:
        return self.__enter__()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.__exit__(exc_type, exc, tb)


def workflow(
    name: str | Callable[..., Any] | None = None,
    *,
    workflow_id: str | None = None,
    correlation_id: str | None = None,
    tags: Iterable[str] | None = None,
    action_type: str | None = None,
    description: str | None = None,
    capture_content: bool | None = None,
) -> Any:
    """A workflow span around a block or a function (see the module docs).

    with oa.workflow("compliance-report", correlation_id=request_id) as wf:
        print(wf.workflow_id)
    """
    if callable(name):
        return WorkflowScope(None)(name)
    return WorkflowScope(
        name,
        workflow_id=workflow_id,
        correlation_id=correlation_id,
        tags=tags,
        action_type=action_type,
        description=description,
        capture_content=capture_content,
    )


class correlate:
    """Give every action in a block a correlation id (propagated as W3C baggage).

    with oa.correlate(request.headers["x-request-id"]):
        agent.execute(...)
    """

    def __init__(self, correlation_id: str) -> None:
        self._correlation_id = correlation_id
        self._tokens: list[tuple[object, Any]] = []

    def __enter__(self) -> correlate:
        from opentelemetry import baggage  # its import is not paid by every start-up

        ctx = baggage.set_baggage(semconv.BAGGAGE_CORRELATION_ID, self._correlation_id)
        parent = CURRENT_ACTION.get()
        action_token = None
        if parent is not None:
            # Nested actions inherit ids from the parent action, so give them a view of
            # the parent that carries the new correlation id.
            view = Action(
                parent.span,
                parent.kind,
                parent.parent,
                parent.workflow_id,
                parent.workflow_name,
                self._correlation_id,
            )
            view.workflow = parent.workflow
            view.view_of = parent
            action_token = CURRENT_ACTION.set(view)
        self._tokens.append((otel_context.attach(ctx), action_token))
        return self

    def __exit__(self, *exc_info: object) -> None:
        token, action_token = self._tokens.pop()
        if action_token is not None:
            CURRENT_ACTION.reset(action_token)
        otel_context.detach(token)  # type: ignore[arg-type]

    async def __aenter__(self) -> correlate:
        return self.__enter__()

    async def __aexit__(self, *exc_info: object) -> None:
        self.__exit__(*exc_info)
