"""Roll-up: what ran below an action (LLM calls, failed steps, ids) reaches its event.

Runs on the outcome processor's thread, over every recorded span in the order spans
end (children before parents). What a finished span passes up waits under its parent's
span id until the parent ends; a span that is not an action hands it on to its own
parent, so an LLM call reaches the nearest agent, tool or workflow above it, ours or a
framework's. Nothing here runs on the agent's thread.

- Each LLM call counts once: an LLM span with LLM spans below (an LLM-client
  instrumentation under a framework's LLM span) is the same call, counted by the inner
  ones; it only lends its model and provider.
- Totals an action already carries (``oa.record``, pydantic-ai's aggregated usage) win
  over the calls below; cached and reasoning tokens stay subsets of input and output.
- One event per logical run: an unnamed agent span below an agent span of the same
  library (LangGraph's ``agent`` node), or a span named like its parent (traceloop's
  ``X.workflow`` under ``invoke_agent X``), folds into the parent's event.
- Bounded: entries whose parent never ends here expire after ``ttl_s``.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

from opentelemetry.trace import StatusCode

from otel_agents import _otel_private, semconv
from otel_agents.export.foreign import (
    ROLE_AGENT,
    ROLE_LLM,
    ROLE_TOOL,
    ROLE_WORKFLOW,
    ForeignSpans,
    LlmUsage,
    Mapped,
)
from otel_agents.export.foreign.content import ContentPolicy
from otel_agents.export.prices import PriceTable

_OURS = semconv.INSTRUMENTATION_SCOPE
_TRACELOOP = "traceloop"
_OPERATION = semconv.GEN_AI_OPERATION_NAME
_OUTCOME_OPERATIONS = semconv.OUTCOME_OPERATIONS
_FAILED = frozenset({"FAILURE", "TIMEOUT", "CRITICAL"})
_SUCCESS_LIKE = frozenset({"SUCCESS", "PARTIAL"})
_OPERATION_OF_ROLE = {
    ROLE_AGENT: semconv.OPERATION_INVOKE_AGENT,
    ROLE_TOOL: semconv.OPERATION_EXECUTE_TOOL,
    ROLE_WORKFLOW: semconv.OPERATION_INVOKE_WORKFLOW,
}
_NAME_KEY_OF_ROLE = {
    ROLE_AGENT: semconv.GEN_AI_AGENT_NAME,
    ROLE_TOOL: semconv.GEN_AI_TOOL_NAME,
    ROLE_WORKFLOW: semconv.GEN_AI_WORKFLOW_NAME,
}
_TIMEOUT_TYPES = frozenset(
    {"TimeoutError", "asyncio.TimeoutError", "asyncio.exceptions.TimeoutError"}
)
_CANCEL_TYPES = frozenset(
    {
        "asyncio.CancelledError",
        "asyncio.exceptions.CancelledError",
        "CancelledError",
        "KeyboardInterrupt",
    }
)
#: Keys of a foreign span our event builder would misread: the adapters' values replace them.
_RECOMPUTED = (
    semconv.GEN_AI_OPERATION_NAME,
    semconv.GEN_AI_TOOL_NAME,
    semconv.GEN_AI_WORKFLOW_NAME,
    semconv.GEN_AI_USAGE_INPUT_TOKENS,
    semconv.GEN_AI_USAGE_OUTPUT_TOKENS,
    semconv.GEN_AI_REQUEST_MODEL,
    semconv.GEN_AI_PROVIDER_NAME,
    semconv.OUTCOME_STATUS,
    semconv.OUTCOME_SEVERITY,
    semconv.OUTCOME_COST_USD,
)


_INPUT_TOKENS = semconv.GEN_AI_USAGE_INPUT_TOKENS
_OUTPUT_TOKENS = semconv.GEN_AI_USAGE_OUTPUT_TOKENS


class Ready:
    """An action span whose event can be built now, with the attributes it should show.

    ``attributes`` may be the finished span's own mapping: read it, never change it.
    """

    __slots__ = ("attributes", "events", "span")

    def __init__(self, span: Any, attributes: dict[str, Any], events: Sequence[Any] | None):
        self.span = span
        self.attributes = attributes
        self.events = events


class EventView:
    """A span event as the event builder reads it (name, timestamp, attributes)."""

    __slots__ = ("attributes", "name", "timestamp")

    def __init__(self, name: str, timestamp: int, attributes: Mapping[str, Any]) -> None:
        self.name = name
        self.timestamp = timestamp
        self.attributes = attributes


class _Deferred:
    __slots__ = ("attributes", "mapped", "name", "pending", "role", "span")

    def __init__(
        self,
        span: Any,
        attributes: dict[str, Any],
        mapped: Mapped,
        role: str,
        name: str,
        pending: _Pending | None,
    ) -> None:
        self.span = span
        self.attributes = attributes
        self.mapped = mapped
        self.role = role
        self.name = name
        self.pending = pending


class _Pending:
    """What finished spans below one (still running) span pass up to it."""

    __slots__ = (
        "born",
        "cached_input_tokens",
        "cost_usd",
        "deferred",
        "failed_agent",
        "failed_step",
        "has_tokens",
        "input_tokens",
        "llm_calls",
        "llm_latency_ms",
        "model",
        "named_agent",
        "output_tokens",
        "provider",
        "reasoning_tokens",
        "session_id",
        "steps_failed",
        "steps_total",
        "unpriced_cached",
        "unpriced_calls",
        "unpriced_input",
        "unpriced_output",
        "user_id",
    )

    def __init__(self) -> None:
        self.born = time.monotonic()
        self.input_tokens = self.output_tokens = 0
        self.cached_input_tokens = self.reasoning_tokens = 0
        self.has_tokens = False
        self.llm_calls = 0
        self.llm_latency_ms = 0.0
        self.cost_usd = 0.0
        self.unpriced_calls = self.unpriced_input = self.unpriced_output = 0
        self.unpriced_cached = 0
        self.model: str | None = None
        self.provider: str | None = None
        self.session_id: str | None = None
        self.user_id: str | None = None
        self.failed_agent: tuple[str, str | None] | None = None
        self.failed_step: tuple[str, str | None] | None = None
        self.named_agent = False
        self.steps_total = self.steps_failed = 0
        self.deferred: list[_Deferred] | None = None

    def merge(self, other: _Pending) -> None:
        self.input_tokens += other.input_tokens
        self.output_tokens += other.output_tokens
        self.cached_input_tokens += other.cached_input_tokens
        self.reasoning_tokens += other.reasoning_tokens
        self.has_tokens = self.has_tokens or other.has_tokens
        self.llm_calls += other.llm_calls
        self.llm_latency_ms += other.llm_latency_ms
        self.cost_usd += other.cost_usd
        self.unpriced_calls += other.unpriced_calls
        self.unpriced_input += other.unpriced_input
        self.unpriced_output += other.unpriced_output
        self.unpriced_cached += other.unpriced_cached
        self.model = self.model or other.model
        self.provider = self.provider or other.provider
        self.session_id = self.session_id or other.session_id
        self.user_id = self.user_id or other.user_id
        self.failed_agent = other.failed_agent or self.failed_agent
        self.failed_step = other.failed_step or self.failed_step
        self.named_agent = self.named_agent or other.named_agent
        self.steps_total += other.steps_total
        self.steps_failed += other.steps_failed
        if other.deferred:
            self.deferred = (self.deferred or []) + other.deferred


class RunTree:
    """Classifies finished spans and rolls what ran below into each action's event.

    tree = RunTree(ForeignSpans.from_setting("all"), PriceTable.load(), ContentPolicy())
    for ready in tree.process(span): OutcomeEvent.from_span(ready.span, attributes=...)
    """

    def __init__(
        self,
        adapters: ForeignSpans,
        prices: PriceTable | None,
        policy: ContentPolicy,
        ttl_s: float = 600.0,
        max_pending: int = 100_000,
    ) -> None:
        self.adapters = adapters
        self.prices = prices
        self.policy = policy
        self.ttl_s = ttl_s
        self.max_pending = max_pending
        self._pending: dict[int, _Pending] = {}
        self.llm_calls = 0
        self.unpriced_llm_calls = 0
        self.expired = 0

    @property
    def pending(self) -> int:
        return len(self._pending)

    # -- one finished span ------------------------------------------------------------
    def process(self, span: Any) -> list[Ready]:
        # Read in place (a finished span's attributes no longer change); copied only by
        # whoever adds to them, which most of our own actions never need.
        attributes = _otel_private.finished_attributes(span)
        if attributes is None:
            attributes = dict(span.attributes) if span.attributes else {}
        # Nothing waits for a span while no run is open below a parent (flat calls).
        pending = self._pending.pop(span.context.span_id, None) if self._pending else None
        scope = span.instrumentation_scope
        if scope is not None and scope.name == _OURS:
            # Or by its name, when the SDK's attribute limits evicted or cut the operation.
            if attributes.get(_OPERATION) in _OUTCOME_OPERATIONS or (
                semconv.operation_of_span_name(span.name) is not None
            ):
                return self._ours(span, attributes, pending)
            return self._forward(span, pending)
        attributes = dict(attributes)
        mapped = self.adapters.map(attributes, span.name) if self.adapters else None
        if mapped is None:
            return self._forward(span, pending)
        if mapped.role == ROLE_LLM:
            return self._llm(span, mapped, pending)
        return self._foreign(span, attributes, mapped, pending)

    def expire(self, now: float | None = None) -> list[Ready]:
        """Give up on parents that never ended here (remote, unsampled or lost)."""
        now = time.monotonic() if now is None else now
        ready: list[Ready] = []
        pending = self._pending
        while pending:
            key = next(iter(pending))  # oldest first: dicts keep insertion order
            entry = pending[key]
            if now - entry.born < self.ttl_s and len(pending) <= self.max_pending:
                break
            del pending[key]
            self.expired += 1
            ready.extend(self._release(entry))
        return ready

    def release_all(self) -> list[Ready]:
        """At shutdown: every deferred event goes out as it is."""
        ready: list[Ready] = []
        for entry in self._pending.values():
            ready.extend(self._release(entry))
        self._pending.clear()
        return ready

    # -- roles ------------------------------------------------------------------------
    def _llm(self, span: Any, mapped: Mapped, pending: _Pending | None) -> list[Ready]:
        usage = mapped.usage or LlmUsage()
        entry = pending or _Pending()
        if entry.llm_calls:
            # Stacked instrumentations: the calls below are this call; lend model/provider.
            entry.model = entry.model or usage.model
            entry.provider = entry.provider or usage.provider
            if entry.unpriced_calls and usage.model and self.prices is not None:
                cost = self.prices.cost(
                    usage.provider,
                    usage.model,
                    entry.unpriced_input,
                    entry.unpriced_output,
                    entry.unpriced_cached,
                )
                if cost is not None:
                    entry.cost_usd += cost
                    self.unpriced_llm_calls -= entry.unpriced_calls
                    entry.unpriced_calls = entry.unpriced_input = entry.unpriced_output = 0
                    entry.unpriced_cached = 0
        else:
            self._add_call(entry, usage, _duration_ms(span))
        ids = mapped.attributes
        entry.session_id = entry.session_id or ids.get(semconv.SESSION_ID)
        entry.user_id = entry.user_id or ids.get(semconv.USER_ID)
        if span.status.status_code is StatusCode.ERROR:
            entry.failed_step = _error_of(span, self.policy)
        return self._forward(span, entry)

    def _add_call(self, entry: _Pending, usage: LlmUsage, duration_ms: float) -> None:
        self.llm_calls += 1
        entry.llm_calls += 1
        entry.llm_latency_ms += duration_ms
        entry.model = entry.model or usage.model
        entry.provider = entry.provider or usage.provider
        if not usage.has_tokens:
            return
        entry.has_tokens = True
        entry.input_tokens += usage.input_tokens or 0
        entry.output_tokens += usage.output_tokens or 0
        entry.cached_input_tokens += usage.cached_input_tokens or 0
        entry.reasoning_tokens += usage.reasoning_tokens or 0
        cost = None
        if self.prices is not None:
            cost = self.prices.cost(
                usage.provider,
                usage.model,
                usage.input_tokens,
                usage.output_tokens,
                usage.cached_input_tokens,
            )
        if cost is None:
            self.unpriced_llm_calls += 1
            entry.unpriced_calls += 1
            entry.unpriced_input += usage.input_tokens or 0
            entry.unpriced_output += usage.output_tokens or 0
            entry.unpriced_cached += usage.cached_input_tokens or 0
        else:
            entry.cost_usd += cost

    def _ours(self, span: Any, attributes: dict[str, Any], pending: _Pending | None) -> list[Ready]:
        ready: list[Ready] = []
        if pending is not None:
            if pending.deferred:
                for child in pending.deferred:  # framework runs inside our action: their own
                    ready.extend(self._standalone(child))
                pending.deferred = None
            own_tokens = (
                semconv.GEN_AI_USAGE_INPUT_TOKENS in attributes
                or semconv.GEN_AI_USAGE_OUTPUT_TOKENS in attributes
            )
            attributes = dict(attributes)
            self._fill(attributes, pending, own_tokens)
        if (pending is None or not pending.llm_calls) and (  # not priced below already
            _INPUT_TOKENS in attributes or _OUTPUT_TOKENS in attributes
        ):
            attributes = self._price_own(attributes)
        ready.append(Ready(span, attributes, None))
        parent = span.parent
        if parent is None or parent.is_remote:
            return ready  # a root here: no run above to pass the step to
        status = attributes.get(semconv.OUTCOME_STATUS)
        operation = attributes.get(_OPERATION)
        role = (
            ROLE_AGENT
            if operation == semconv.OPERATION_INVOKE_AGENT
            else (ROLE_TOOL if operation == semconv.OPERATION_EXECUTE_TOOL else ROLE_WORKFLOW)
        )
        failure = None
        if status in _FAILED or status == "CANCELLED":
            failure = (
                str(attributes.get(semconv.ERROR_TYPE) or semconv.ERROR_TYPE_OTHER),
                attributes.get(semconv.OUTCOME_ERROR_MESSAGE),
            )
        self._pass_step(span, attributes, role, role == ROLE_AGENT, failure)
        return ready

    def _foreign(
        self, span: Any, attributes: dict[str, Any], mapped: Mapped, pending: _Pending | None
    ) -> list[Ready]:
        role, name = mapped.role, mapped.name
        if role == ROLE_AGENT and name is None:
            # A run around named agents is a workflow; otherwise the agent of its name.
            role = ROLE_WORKFLOW if pending is not None and pending.named_agent else ROLE_AGENT
        resolved = name or span.name
        parent = span.parent
        if (
            role != ROLE_TOOL
            and parent is not None
            and not parent.is_remote
            and (
                name is None or (mapped.merge_key is not None and mapped.convention == "traceloop")
            )
        ):
            # Maybe a layer of its parent's run: decided when an action above ends.
            deferred = _Deferred(span, attributes, mapped, role, resolved, pending)
            carrier = _Pending()
            carrier.deferred = [deferred]
            self._step_info(carrier, span, role, name is not None, pending)
            return self._forward(span, carrier)
        ready: list[Ready] = []
        if pending is not None and pending.deferred:
            children, pending.deferred = pending.deferred, None
            scope = _scope_name(span)
            for child in children:
                same_run = _scope_name(child.span) == scope and (
                    child.mapped.name is None or child.mapped.merge_key == resolved
                )
                if same_run and role != ROLE_TOOL:
                    if child.pending is not None:
                        pending.merge(child.pending)
                    if _failed(child.span) and pending.failed_step is None:
                        pending.failed_step = _error_of(child.span, self.policy)
                else:
                    ready.extend(self._standalone(child))
        built = self._build(span, attributes, mapped, role, resolved, pending)
        ready.append(built)
        status = built.attributes.get(semconv.OUTCOME_STATUS)
        failure = None
        if status in _FAILED:
            failure = (
                str(built.attributes.get(semconv.ERROR_TYPE)),
                built.attributes.get(semconv.OUTCOME_ERROR_MESSAGE),
            )
        named = role == ROLE_AGENT and name is not None
        self._pass_step(span, built.attributes, role, named, failure)
        return ready

    def _standalone(self, child: _Deferred) -> list[Ready]:
        ready: list[Ready] = []
        pending = child.pending
        if pending is not None and pending.deferred:
            for grandchild in pending.deferred:
                ready.extend(self._standalone(grandchild))
            pending.deferred = None
        ready.append(
            self._build(child.span, child.attributes, child.mapped, child.role, child.name, pending)
        )
        return ready

    # -- building ---------------------------------------------------------------------
    def _build(
        self,
        span: Any,
        raw: dict[str, Any],
        mapped: Mapped,
        role: str,
        name: str,
        pending: _Pending | None,
    ) -> Ready:
        policy = self.policy
        attributes = policy.filter_attributes(raw)
        for key in _RECOMPUTED:
            attributes.pop(key, None)
        attributes[_OPERATION] = _OPERATION_OF_ROLE[role]
        attributes[_NAME_KEY_OF_ROLE[role]] = name
        attributes.setdefault(semconv.ACTION_TYPE, role)
        attributes.update(mapped.attributes)
        attributes.update(policy.io_attributes(raw))
        own = mapped.usage
        own_tokens = own is not None and own.has_tokens
        if own is not None:
            if own_tokens:
                attributes[semconv.GEN_AI_USAGE_INPUT_TOKENS] = own.input_tokens or 0
                attributes[semconv.GEN_AI_USAGE_OUTPUT_TOKENS] = own.output_tokens or 0
            if own.model:
                attributes[semconv.GEN_AI_REQUEST_MODEL] = own.model
            if own.provider:
                attributes[semconv.GEN_AI_PROVIDER_NAME] = own.provider
        if pending is not None:
            self._fill(attributes, pending, own_tokens)
        if pending is None or not pending.llm_calls:
            attributes = self._price_own(attributes)
        self._outcome(span, attributes, role, pending)
        events = [
            _event_view(event, policy) for event in span.events if policy.keeps_event(event.name)
        ]
        return Ready(span, attributes, events)

    def _fill(self, attributes: dict[str, Any], pending: _Pending, own_tokens: bool) -> None:
        if pending.llm_calls:
            attributes.setdefault(semconv.OUTCOME_LLM_CALLS, pending.llm_calls)
            attributes.setdefault(semconv.OUTCOME_LLM_LATENCY_MS, pending.llm_latency_ms)
        if not own_tokens and pending.has_tokens:
            attributes[semconv.GEN_AI_USAGE_INPUT_TOKENS] = pending.input_tokens
            attributes[semconv.GEN_AI_USAGE_OUTPUT_TOKENS] = pending.output_tokens
            if pending.cached_input_tokens:
                attributes[semconv.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS] = (
                    pending.cached_input_tokens
                )
            if pending.reasoning_tokens:
                attributes[semconv.OUTCOME_REASONING_TOKENS] = pending.reasoning_tokens
        if (
            pending.has_tokens
            and pending.unpriced_calls == 0
            and semconv.OUTCOME_COST_USD not in attributes
        ):
            attributes[semconv.OUTCOME_COST_USD] = pending.cost_usd
        model = attributes.get(semconv.GEN_AI_REQUEST_MODEL)
        if (not isinstance(model, str) or model.lower() == "unknown") and pending.model:
            attributes[semconv.GEN_AI_REQUEST_MODEL] = pending.model
        if semconv.GEN_AI_PROVIDER_NAME not in attributes and pending.provider:
            attributes[semconv.GEN_AI_PROVIDER_NAME] = pending.provider
        if pending.session_id and semconv.SESSION_ID not in attributes:
            attributes[semconv.SESSION_ID] = pending.session_id
        if pending.user_id and semconv.USER_ID not in attributes:
            attributes[semconv.USER_ID] = pending.user_id

    def _price_own(self, attributes: dict[str, Any]) -> dict[str, Any]:
        """Cost from an action's own totals and model when nothing gave one: a copy of
        ``attributes`` with the cost, or ``attributes`` itself when nothing is added."""
        if semconv.OUTCOME_COST_USD in attributes or self.prices is None:
            return attributes
        model = attributes.get(semconv.GEN_AI_REQUEST_MODEL)
        tokens_in = attributes.get(semconv.GEN_AI_USAGE_INPUT_TOKENS)
        tokens_out = attributes.get(semconv.GEN_AI_USAGE_OUTPUT_TOKENS)
        if not isinstance(model, str) or (tokens_in is None and tokens_out is None):
            return attributes
        cost = self.prices.cost(
            _str(attributes.get(semconv.GEN_AI_PROVIDER_NAME)),
            model,
            _int(tokens_in),
            _int(tokens_out),
            _int(attributes.get(semconv.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS)),
        )
        if cost is None:
            self.unpriced_llm_calls += 1
            return attributes
        return {**attributes, semconv.OUTCOME_COST_USD: cost}

    def _outcome(
        self, span: Any, attributes: dict[str, Any], role: str, pending: _Pending | None
    ) -> None:
        """Status, error type and message of a foreign action, from span status and events."""
        policy = self.policy
        error_type, message = _exception_of(span, policy)
        explicit_type = attributes.get(semconv.ERROR_TYPE)
        if span.status.status_code is StatusCode.ERROR:
            if explicit_type is None and error_type is None and pending is not None:
                failed = pending.failed_step or pending.failed_agent
                if failed is not None:
                    error_type, message = failed[0], message or failed[1]
            error_type = str(explicit_type or error_type or semconv.ERROR_TYPE_OTHER)
            if message is None and span.status.description:
                message = policy.text(span.status.description)
            status = "FAILURE"
            if error_type in _TIMEOUT_TYPES:
                status = "TIMEOUT"
            elif error_type in _CANCEL_TYPES:
                status = "CANCELLED"
        elif role == ROLE_WORKFLOW and pending is not None and pending.failed_agent is not None:
            # The framework left its run's span unset although an agent in it failed.
            status = "FAILURE"
            error_type, message = pending.failed_agent
        else:
            status = (
                "PARTIAL"
                if role == ROLE_WORKFLOW and pending and pending.steps_failed
                else ("SUCCESS")
            )
            error_type = None
        attributes[semconv.OUTCOME_STATUS] = status
        if error_type is not None:
            attributes[semconv.ERROR_TYPE] = error_type
        if message is not None:
            attributes[semconv.OUTCOME_ERROR_MESSAGE] = message
        if role == ROLE_WORKFLOW and pending is not None:
            attributes.setdefault(semconv.OUTCOME_STEPS_TOTAL, pending.steps_total)
            attributes.setdefault(semconv.OUTCOME_STEPS_FAILED, pending.steps_failed)

    # -- passing things up --------------------------------------------------------------
    def _pass_step(
        self,
        span: Any,
        attributes: Mapping[str, Any],
        role: str,
        named: bool,
        failure: tuple[str, str | None] | None,
    ) -> None:
        parent = span.parent
        if parent is None or parent.is_remote:
            return
        entry = self._entry(parent.span_id)
        if role in (ROLE_AGENT, ROLE_TOOL):
            entry.steps_total += 1
            if failure is not None:
                entry.steps_failed += 1
        entry.named_agent = entry.named_agent or named
        if failure is not None:
            entry.failed_step = failure
            if role == ROLE_AGENT:
                entry.failed_agent = failure
        session = attributes.get(semconv.SESSION_ID)
        user = attributes.get(semconv.USER_ID)
        entry.session_id = entry.session_id or (session if isinstance(session, str) else None)
        entry.user_id = entry.user_id or (user if isinstance(user, str) else None)

    def _step_info(
        self, carrier: _Pending, span: Any, role: str, named: bool, pending: _Pending | None
    ) -> None:
        carrier.named_agent = named or bool(pending and pending.named_agent)
        if _failed(span):
            carrier.failed_step = _error_of(span, self.policy)

    def _forward(self, span: Any, entry: _Pending | None) -> list[Ready]:
        if entry is None:
            return []
        parent = span.parent
        if parent is None or parent.is_remote:
            return self._release(entry)
        existing = self._pending.get(parent.span_id)
        if existing is None:
            self._pending[parent.span_id] = entry
        else:
            existing.merge(entry)
        return []

    def _entry(self, span_id: int) -> _Pending:
        entry = self._pending.get(span_id)
        if entry is None:
            entry = self._pending[span_id] = _Pending()
        return entry

    def _release(self, entry: _Pending) -> list[Ready]:
        ready: list[Ready] = []
        if entry.deferred:
            for child in entry.deferred:
                ready.extend(self._standalone(child))
            entry.deferred = None
        return ready


def _scope_name(span: Any) -> str | None:
    scope = span.instrumentation_scope
    return scope.name if scope is not None else None


def _failed(span: Any) -> bool:
    return bool(span.status.status_code is StatusCode.ERROR)


def _exception_of(span: Any, policy: ContentPolicy) -> tuple[str | None, str | None]:
    for event in reversed(span.events):
        if event.name == semconv.EVENT_EXCEPTION:
            attrs = event.attributes or {}
            kind = attrs.get(semconv.EXCEPTION_TYPE)
            message = attrs.get(semconv.EXCEPTION_MESSAGE)
            return (
                str(kind) if kind else None,
                policy.text(message) if message is not None else None,
            )
    return None, None


def _error_of(span: Any, policy: ContentPolicy) -> tuple[str, str | None]:
    kind, message = _exception_of(span, policy)
    explicit = (span.attributes or {}).get(semconv.ERROR_TYPE)
    if message is None and span.status.description:
        message = policy.text(span.status.description)
    return str(explicit or kind or semconv.ERROR_TYPE_OTHER), message


def _event_view(event: Any, policy: ContentPolicy) -> EventView:
    return EventView(event.name, event.timestamp, policy.filter_attributes(event.attributes or {}))


def _duration_ms(span: Any) -> float:
    if span.start_time is None or span.end_time is None:
        return 0.0
    return float((span.end_time - span.start_time) / 1e6)


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _int(value: Any) -> int | None:
    return int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None
