"""OutcomeEvent v1: a finished agent/tool/workflow span in a stable, published shape.

    event = OutcomeEvent.from_span(span)       # a finished SDK span (ReadableSpan)
    payload = event.to_json_bytes()            # CloudEvents 1.0 structured JSON

The envelope is CloudEvents 1.0 (structured mode), so any CloudEvents consumer reads it;
``data`` holds the outcome. The JSON Schema (draft 2020-12) ships in the package
(``load_schema()``, ``otel-agents schema``). Within major version 1 changes are additive
only; consumers must ignore unknown fields.
"""

from __future__ import annotations

import copy
import datetime as _dt
import functools
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import orjson
from opentelemetry.trace import StatusCode

from otel_agents import _otel_private, env, semconv
from otel_agents.events import schema as schema_files
from otel_agents.events.jsonsafe import dumps, json_default, json_safe, truncate_text
from otel_agents.ids import (
    EVENT_ID_NAMESPACE,
    EVENT_TYPE_OUTCOME,
    EVENT_TYPE_PENDING,
    event_id_from_hex,
    hex_id,
)
from otel_agents.ids import event_id_for as event_id_for  # re-exported
from otel_agents.semconv import (
    ACTION_TYPE,
    CORRELATION_ID,
    DEFAULT_SEVERITY,
    ERROR_TYPE,
    EVENT_EXCEPTION,
    EXCEPTION_MESSAGE,
    EXCEPTION_STACKTRACE,
    GEN_AI_AGENT_DESCRIPTION,
    GEN_AI_AGENT_ID,
    GEN_AI_AGENT_NAME,
    GEN_AI_AGENT_VERSION,
    GEN_AI_CONVERSATION_ID,
    GEN_AI_OPERATION_NAME,
    GEN_AI_PROVIDER_NAME,
    GEN_AI_REQUEST_MODEL,
    GEN_AI_TOOL_CALL_ARGUMENTS,
    GEN_AI_TOOL_CALL_ID,
    GEN_AI_TOOL_CALL_RESULT,
    GEN_AI_TOOL_DESCRIPTION,
    GEN_AI_TOOL_NAME,
    GEN_AI_TOOL_TYPE,
    GEN_AI_USAGE_INPUT_TOKENS,
    GEN_AI_USAGE_OUTPUT_TOKENS,
    GEN_AI_WORKFLOW_NAME,
    INPUT,
    KIND_BY_OPERATION,
    METADATA_PREFIX,
    OPERATION_INVOKE_AGENT,
    OUTCOME_CONFIDENCE_SCORE,
    OUTCOME_COST_USD,
    OUTCOME_ERROR_MESSAGE,
    OUTCOME_LATENCY_MS,
    OUTCOME_LLM_LATENCY_MS,
    OUTCOME_OPERATIONS,
    OUTCOME_QUALITY_SCORE,
    OUTCOME_RETRY_COUNT,
    OUTCOME_REWARD,
    OUTCOME_SEVERITY,
    OUTCOME_STATUS,
    OUTCOME_STEPS_FAILED,
    OUTCOME_STEPS_TOTAL,
    OUTCOME_TOTAL_TOKENS,
    OUTPUT,
    TAGS,
    WORKFLOW_ID,
)

SCHEMA_VERSION = "1.0"
CLOUDEVENTS_TYPE = "otel_agents.outcome.v1"
DATA_SCHEMA = "urn:otel-agents:schema:outcome-event:1"
CONTENT_TYPE = "application/json"


def field_type_errors(data: Mapping[str, Any]) -> list[str]:
    """Names of the fields of ``data`` whose JSON type the published schema does not allow.

    Missing and null fields are not errors here (readers treat them as absent).

    >>> field_type_errors({"duration_ms": "slow", "name": "planner"})
    ['duration_ms']
    """
    allowed = _field_types()
    return [
        name
        for name, value in data.items()
        if value is not None
        and name in allowed
        and not (isinstance(value, allowed[name]) and not isinstance(value, bool))
        and not (isinstance(value, bool) and bool in allowed[name])
    ]


@functools.cache
def _field_types() -> dict[str, tuple[type, ...]]:
    """Python types of each ``data`` field, read once from the shipped JSON Schema."""
    python = {
        "string": (str,),
        "integer": (int,),
        "number": (int, float),
        "boolean": (bool,),
        "array": (list, tuple),
        "object": (dict,),
        "null": (),
    }
    properties = load_schema()["properties"]["data"]["properties"]
    types: dict[str, tuple[type, ...]] = {}
    for name, spec in properties.items():
        declared = spec.get("type", "string" if "enum" in spec else None)
        if declared is None:
            continue
        names = declared if isinstance(declared, list) else [declared]
        types[name] = tuple(t for n in names for t in python.get(n, ()))
    return types


def schema_version_from_headers(
    headers: Iterable[tuple[str, bytes | str | None]] | None,
) -> str | None:
    """The schema version a Kafka record's headers declare (either header name), or None.

    >>> schema_version_from_headers(message.headers())
    '1.0'
    """
    legacy = None
    for name, value in headers or ():
        if value is None:
            continue
        text = value.decode("utf-8", "replace") if isinstance(value, bytes) else value
        if name == semconv.HEADER_SCHEMA_VERSION:
            return text
        if name == semconv.HEADER_SCHEMA_VERSION_LEGACY:
            legacy = text
    return legacy


_DEFAULT_MAX_VALUE: int = env.setting_default("max_value_length")


def is_outcome_span(span: Any) -> bool:
    """True for spans made by ``@agent``/``@tool``/``@workflow`` (or auto-instrumentation)."""
    attributes = getattr(span, "attributes", None)
    if not attributes:
        return False
    return attributes.get(GEN_AI_OPERATION_NAME) in OUTCOME_OPERATIONS


def load_schema() -> dict[str, Any]:
    """The OutcomeEvent v1 JSON Schema (draft 2020-12) shipped in the package."""
    return schema_files.load("outcome-event-v1.json")


class OutcomeEvent:
    """One agent action's outcome. Attribute names match the JSON ``data`` object.

    The event keeps its ``data`` dict as built (building it directly is the cheapest way
    to make ~30k events a second on one core); the annotations below document and type
    each field, read through ``__getattr__``.
    """

    __slots__ = ("_data", "_json")

    event_id: str
    event_type: str
    trace_id: str
    span_id: str
    parent_span_id: str | None
    trace_flags: int
    kind: str
    operation: str
    name: str
    span_name: str
    action_type: str | None
    agent_name: str | None
    agent_id: str | None
    agent_version: str | None
    tool_name: str | None
    tool_call_id: str | None
    tool_type: str | None
    workflow_id: str | None
    workflow_name: str | None
    correlation_id: str | None
    conversation_id: str | None
    session_id: str | None
    user_id: str | None
    start_time: str
    end_time: str | None
    duration_ms: float | None
    latency_ms: float | None
    status: str
    severity: str
    span_status: str
    error_type: str | None
    error_message: str | None
    error_stack_trace: str | None
    retry_count: int | None
    input_tokens: int | None
    output_tokens: int | None
    total_tokens: int | None
    cached_input_tokens: int | None
    reasoning_tokens: int | None
    llm_calls: int | None
    llm_latency_ms: float | None
    cost_usd: float | None
    quality_score: float | None
    confidence_score: float | None
    reward: float | None
    model: str | None
    provider: str | None
    steps_total: int | None
    steps_failed: int | None
    tags: list[str]
    metadata: dict[str, Any]
    input: str | None
    output: str | None
    events: list[dict[str, Any]]
    links: list[dict[str, Any]]
    attributes: dict[str, Any]
    resource: dict[str, Any]
    schema_version: str

    def __init__(self, data: dict[str, Any]) -> None:
        self._data = data
        self._json: bytes | None = None  # serialised once, for every sink that needs it

    def __eq__(self, other: object) -> bool:
        return isinstance(other, OutcomeEvent) and other._data == self._data

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return (
            f"OutcomeEvent(kind={self.kind!r}, name={self.name!r}, status={self.status!r}, "
            f"event_id={self.event_id!r})"
        )

    # -- construction --------------------------------------------------------
    @classmethod
    def from_span(
        cls,
        span: Any,
        event_type: str = EVENT_TYPE_OUTCOME,
        max_value_length: int = _DEFAULT_MAX_VALUE,
        attributes: Mapping[str, Any] | None = None,
        events: Sequence[Any] | None = None,
    ) -> OutcomeEvent:
        """Build the event of a finished (or, for PENDING, started) SDK span.

        ``attributes``/``events`` replace the span's own when given: the processor's
        reading of the span (roll-up, other libraries' spans, content policy).
        """
        limit = max_value_length
        source = _attributes_of(span, event_type) if attributes is None else attributes
        if _build_outcome is not None and event_type == EVENT_TYPE_OUTCOME:
            # The compiled builder makes the same dict for the common case, else None.
            built = _build_outcome(span, source, events, limit)
            if built is not None:
                return _seal_event(cls(built))
        return cls(_data_of(span, event_type, limit, source, events))

    @classmethod
    def from_dict(cls, document: Mapping[str, Any]) -> OutcomeEvent:
        """Read an event back from its CloudEvents JSON form; unknown fields are ignored.

        Raises ``ValueError`` when the document is not an OutcomeEvent.
        """
        data = document.get("data", document) if isinstance(document, Mapping) else None
        if not isinstance(data, Mapping):
            raise ValueError("not an OutcomeEvent: no data object")
        missing = [name for name in _REQUIRED if not isinstance(data.get(name), str)]
        if missing:
            raise ValueError(f"not an OutcomeEvent: missing {', '.join(missing)}")
        wrong = field_type_errors(data)
        if wrong:
            raise ValueError(f"not an OutcomeEvent: wrong type of {', '.join(wrong)}")
        values = {name: data.get(name) for name in FIELD_NAMES}
        for name, empty in _EMPTY_DEFAULTS.items():
            if values.get(name) is None:
                values[name] = copy.copy(empty)
        return cls(values)

    @classmethod
    def from_json_bytes(cls, payload: bytes | str) -> OutcomeEvent:
        """Parse one JSON document; ``ValueError`` for anything that is not an OutcomeEvent.

        orjson, not ``json``: it refuses nesting deeper than 1024 levels with a
        ``ValueError`` where ``json`` recurses until ``RecursionError``.
        """
        return cls.from_dict(orjson.loads(payload))

    # -- output --------------------------------------------------------------
    @property
    def traceparent(self) -> str:
        """The W3C ``traceparent`` of the action's span."""
        return _traceparent(self._data)

    def key_and_traceparent(self) -> tuple[bytes, bytes]:
        """The trace id and the W3C ``traceparent``, encoded: a Kafka record's key and header."""
        ids = _record_ids(self._data)
        if ids is None:
            return self.trace_id.encode(), _traceparent(self._data).encode()
        return ids

    @property
    def service_name(self) -> str | None:
        value = self.resource.get("service_name")
        return value if isinstance(value, str) else None

    def data(self) -> dict[str, Any]:
        """The ``data`` object: every field, JSON-safe. Treat it as read-only."""
        return self._data

    def replace(self, **changes: Any) -> OutcomeEvent:
        """A copy with some fields changed."""
        return OutcomeEvent({**self._data, **changes})

    def to_dict(self) -> dict[str, Any]:
        """The CloudEvents 1.0 structured-mode envelope with the outcome as ``data``."""
        data = self._data
        service = (data["resource"] or {}).get("service_name") or "unknown_service"
        return {
            "specversion": "1.0",
            "id": data["event_id"],
            "source": _SOURCES.get(service) or _source(service),
            "type": CLOUDEVENTS_TYPE,
            "subject": data["name"],
            "time": data["end_time"] or data["start_time"],
            "datacontenttype": CONTENT_TYPE,
            "dataschema": DATA_SCHEMA,
            "traceparent": _traceparent(data),
            "data": data,
        }

    def to_json_bytes(self, max_bytes: int | None = None, keep: bool = True) -> bytes:
        """Compact JSON; if ``max_bytes`` is given, large values are cut to fit it.

        The bytes are kept on the event for the next sink that asks; ``keep=False`` (a
        sink that copies them at once) leaves them to be freed as soon as it is done:
        ~2 KB less held per event in ``oa.recent_events()``.
        """
        payload = self._json
        if payload is None:
            # The compiled writer makes the same bytes without the envelope's dict.
            payload = _envelope_json(self._data) or dumps(self.to_dict())
            if keep:
                self._json = payload
        if max_bytes is None or len(payload) <= max_bytes:
            return payload
        return _shrink(self, max_bytes)


def _data_of(
    span: Any,
    event_type: str,
    limit: int,
    source: Mapping[str, Any],
    events: Sequence[Any] | None,
) -> dict[str, Any]:
    """The ``data`` of a span's event, in Python: the reference for the compiled builder."""
    data = _TEMPLATE.copy()
    metadata: dict[str, Any] = {}
    others: dict[str, Any] = {}
    # One pass over the attributes, dispatching each known key to its field: this runs
    # once per event on the export thread, so it is kept to dict lookups. Most known
    # attributes are strings stored as they are: that case is tested first.
    str_fields = _STR_FIELDS
    for key, value in source.items():
        field = str_fields.get(key)
        if field is not None and type(value) is str:
            data[field] = value
            continue
        target = _DISPATCH.get(key)
        if target is None:
            if key.startswith(_METADATA_PREFIX):
                metadata[key[_METADATA_PREFIX_LENGTH:]] = _safe(value, limit)
            else:
                others[key] = _safe(value, limit)
            continue
        field, conversion = target
        if conversion is _AS_STR:
            data[field] = value if type(value) is str else str(value)
        elif conversion is _AS_INT:
            data[field] = value if type(value) is int else _int(value)
        elif conversion is _AS_FLOAT:
            data[field] = _float(value)
        elif conversion is _AS_TEXT:
            data[field] = _text(value, limit)
        elif conversion is _AS_TAGS:
            data[field] = [str(tag) for tag in value] if isinstance(value, tuple) else [str(value)]
    ctx = span.context
    parent = span.parent
    span_name = span.name
    operation = data["operation"]
    if operation not in KIND_BY_OPERATION:
        from_name = semconv.operation_of_span_name(span_name)
        if from_name is not None:
            # Evicted or cut by the SDK's attribute limits: the span name still says it.
            operation = from_name
            data[_NAME_FIELD_BY_KIND[KIND_BY_OPERATION[operation]]] = span_name.partition(" ")[2]
    operation = operation or OPERATION_INVOKE_AGENT
    kind = KIND_BY_OPERATION.get(operation, semconv.ActionKind.AGENT)
    name = data[_NAME_FIELD_BY_KIND[kind]] or span_name
    if not span_name.endswith(name) and semconv.operation_of_span_name(span_name) is not None:
        whole = span_name.partition(" ")[2]
        if len(name) < len(whole):
            name = whole  # the name attribute was cut by the SDK's value length limit
    start_ns: int = span.start_time or 0
    end_ns: int | None = span.end_time if event_type == EVENT_TYPE_OUTCOME else None
    duration = (end_ns - start_ns) / 1e6 if end_ns else None
    if event_type == EVENT_TYPE_PENDING:
        status = _PENDING
    else:
        status = data["status"] or _status_from_span(span)
    if data["severity"] is None:
        data["severity"] = _SEVERITY_OF_STATUS.get(status, "INFO")
    input_tokens = data["input_tokens"]
    output_tokens = data["output_tokens"]
    if input_tokens is not None or output_tokens is not None:
        data["total_tokens"] = max(
            data["total_tokens"] or 0, (input_tokens or 0) + (output_tokens or 0)
        )
    span_events = _events_of(span) if events is None else events
    if span_events:
        error_message, stack = _exception_details(span_events)
        if data["error_message"] is None and error_message is not None:
            data["error_message"] = _text(error_message, limit)
        data["error_stack_trace"] = _text(stack, limit)
        data["events"] = [_event(event, limit) for event in span_events]
    else:
        data["events"] = []
    links = _links_of(span)
    data["links"] = [_link(link) for link in links] if links else []
    if data["tags"] is None:
        data["tags"] = []
    if data["latency_ms"] is None:
        data["latency_ms"] = duration
    trace_hex, span_hex = hex_id(ctx.trace_id, 16), hex_id(ctx.span_id, 8)
    data["event_id"] = event_id_from_hex(trace_hex, span_hex, event_type)
    data["event_type"] = event_type
    data["trace_id"] = trace_hex
    data["span_id"] = span_hex
    data["parent_span_id"] = hex_id(parent.span_id, 8) if parent is not None else None
    flags = ctx.trace_flags
    data["trace_flags"] = _FLAG_VALUES.get(flags) or int(flags)
    data["kind"] = _KIND_VALUES[kind]
    data["operation"] = operation
    data["name"] = name
    data["span_name"] = span_name
    data["start_time"] = _rfc3339(start_ns)
    data["end_time"] = _rfc3339(end_ns) if end_ns else None
    data["duration_ms"] = duration
    data["status"] = status
    data["span_status"] = _STATUS_CODE_NAMES.get(span.status.status_code, "UNSET")
    data["metadata"] = metadata
    data["attributes"] = others
    data["resource"] = _resource(span.resource)
    return data


_FLAGS_HEX = [f"{flags:02x}" for flags in range(256)]


def _traceparent(data: Mapping[str, Any]) -> str:
    flags = data["trace_flags"] or 0
    flags_hex = _FLAGS_HEX[flags] if 0 <= flags < 256 else f"{flags:02x}"
    return f"00-{data['trace_id']}-{data['span_id']}-{flags_hex}"


_SOURCE_PREFIX = "/otel-agents/"

# The CloudEvents source of each service, made once (services are few; bounded anyway).
_SOURCES: dict[str, str] = {}


def _source(service: str) -> str:
    if len(_SOURCES) >= 64:
        _SOURCES.clear()
    source = _SOURCES[service] = f"{_SOURCE_PREFIX}{service}"
    return source


#: Every field of ``data``, in order.
FIELD_NAMES: tuple[str, ...] = tuple(OutcomeEvent.__annotations__)
_TEMPLATE: dict[str, Any] = dict.fromkeys(FIELD_NAMES)
_TEMPLATE["schema_version"] = SCHEMA_VERSION


def _field_property(name: str) -> property:
    return property(lambda self: self._data[name], doc=f"The ``{name}`` field.")


for _name in FIELD_NAMES:
    # Real properties: attribute reads on events are frequent in sinks and the monitor.
    setattr(OutcomeEvent, _name, _field_property(_name))

_AS_STR, _AS_INT, _AS_FLOAT, _AS_TEXT, _AS_TAGS = range(5)
_DISPATCH: dict[str, tuple[str, int]] = {
    GEN_AI_OPERATION_NAME: ("operation", _AS_STR),
    ACTION_TYPE: ("action_type", _AS_STR),
    GEN_AI_AGENT_NAME: ("agent_name", _AS_STR),
    GEN_AI_AGENT_ID: ("agent_id", _AS_STR),
    GEN_AI_AGENT_VERSION: ("agent_version", _AS_STR),
    GEN_AI_TOOL_NAME: ("tool_name", _AS_STR),
    GEN_AI_TOOL_CALL_ID: ("tool_call_id", _AS_STR),
    GEN_AI_TOOL_TYPE: ("tool_type", _AS_STR),
    WORKFLOW_ID: ("workflow_id", _AS_STR),
    GEN_AI_WORKFLOW_NAME: ("workflow_name", _AS_STR),
    CORRELATION_ID: ("correlation_id", _AS_STR),
    GEN_AI_CONVERSATION_ID: ("conversation_id", _AS_STR),
    semconv.SESSION_ID: ("session_id", _AS_STR),
    semconv.USER_ID: ("user_id", _AS_STR),
    semconv.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS: ("cached_input_tokens", _AS_INT),
    semconv.OUTCOME_REASONING_TOKENS: ("reasoning_tokens", _AS_INT),
    semconv.OUTCOME_LLM_CALLS: ("llm_calls", _AS_INT),
    OUTCOME_STATUS: ("status", _AS_STR),
    OUTCOME_SEVERITY: ("severity", _AS_STR),
    ERROR_TYPE: ("error_type", _AS_STR),
    GEN_AI_REQUEST_MODEL: ("model", _AS_STR),
    GEN_AI_PROVIDER_NAME: ("provider", _AS_STR),
    OUTCOME_RETRY_COUNT: ("retry_count", _AS_INT),
    GEN_AI_USAGE_INPUT_TOKENS: ("input_tokens", _AS_INT),
    GEN_AI_USAGE_OUTPUT_TOKENS: ("output_tokens", _AS_INT),
    OUTCOME_TOTAL_TOKENS: ("total_tokens", _AS_INT),
    OUTCOME_STEPS_TOTAL: ("steps_total", _AS_INT),
    OUTCOME_STEPS_FAILED: ("steps_failed", _AS_INT),
    OUTCOME_LATENCY_MS: ("latency_ms", _AS_FLOAT),
    OUTCOME_LLM_LATENCY_MS: ("llm_latency_ms", _AS_FLOAT),
    OUTCOME_COST_USD: ("cost_usd", _AS_FLOAT),
    OUTCOME_QUALITY_SCORE: ("quality_score", _AS_FLOAT),
    OUTCOME_CONFIDENCE_SCORE: ("confidence_score", _AS_FLOAT),
    OUTCOME_REWARD: ("reward", _AS_FLOAT),
    OUTCOME_ERROR_MESSAGE: ("error_message", _AS_TEXT),
    INPUT: ("input", _AS_TEXT),
    GEN_AI_TOOL_CALL_ARGUMENTS: ("input", _AS_TEXT),
    OUTPUT: ("output", _AS_TEXT),
    GEN_AI_TOOL_CALL_RESULT: ("output", _AS_TEXT),
    TAGS: ("tags", _AS_TAGS),
    # Mapped elsewhere or shown by other fields: not repeated under ``attributes``.
    GEN_AI_AGENT_DESCRIPTION: ("", -1),
    GEN_AI_TOOL_DESCRIPTION: ("", -1),
}
_STR_FIELDS = {key: field for key, (field, how) in _DISPATCH.items() if how == _AS_STR}
_NAME_FIELD_BY_KIND = {
    semconv.ActionKind.AGENT: "agent_name",
    semconv.ActionKind.TOOL: "tool_name",
    semconv.ActionKind.WORKFLOW: "workflow_name",
}
_KIND_VALUES = {kind: kind.value for kind in semconv.ActionKind}  # enum .value is slow
_PENDING = semconv.Status.PENDING.value
_STATUS_CODE_NAMES = {code: code.name for code in StatusCode}
_SEVERITY_OF_STATUS = {status.value: sev.value for status, sev in DEFAULT_SEVERITY.items()}
_REQUIRED = ("event_id", "trace_id", "span_id", "kind", "name", "status", "start_time")
_EMPTY_DEFAULTS: dict[str, Any] = {
    "tags": [],
    "metadata": {},
    "events": [],
    "links": [],
    "attributes": {},
    "resource": {},
    "schema_version": SCHEMA_VERSION,
    "trace_flags": 1,
}
_SHRINKABLE_TEXT = ("error_stack_trace", "input", "output", "error_message")
_SHRINKABLE_BULK = ("events", "attributes", "metadata", "links")


def _shrink(event: OutcomeEvent, max_bytes: int) -> bytes:
    """Cut the largest values (text first, then bulk fields) until the record fits."""
    changes: dict[str, Any] = {}
    budget = max(max_bytes // 8, 64)
    for name in _SHRINKABLE_TEXT:
        value = getattr(event, name)
        if isinstance(value, str) and len(value) > budget:
            changes[name] = truncate_text(value, budget)
    shrunk = event.replace(**changes)
    payload = dumps(shrunk.to_dict())
    for name in _SHRINKABLE_BULK:
        if len(payload) <= max_bytes:
            return payload
        original = getattr(shrunk, name)
        placeholder: Any = (
            [{"name": "otel_agents.truncated", "count": len(original)}]
            if isinstance(original, list)
            else {"otel_agents.truncated": f"{len(original)} entries dropped to fit"}
        )
        shrunk = shrunk.replace(**{name: placeholder})
        payload = dumps(shrunk.to_dict())
    if len(payload) > max_bytes:
        # Last resort: every remaining string cut hard; ids and numbers are kept.
        tiny = max(max_bytes // 64, 32)
        keep = ("event_id", "trace_id", "span_id", "start_time", "end_time")
        cut: dict[str, Any] = {
            name: truncate_text(value, tiny)
            for name, value in shrunk.data().items()
            if isinstance(value, str) and len(value) > tiny and name not in keep
        }
        shrunk = shrunk.replace(resource={}, tags=[], **cut)
        payload = dumps(shrunk.to_dict())
    return payload


_METADATA_PREFIX = METADATA_PREFIX
_METADATA_PREFIX_LENGTH = len(_METADATA_PREFIX)


def _attributes_of(span: Any, event_type: str = EVENT_TYPE_OUTCOME) -> Mapping[str, Any]:
    # A finished span's attributes no longer change: they are read in place. A running
    # span's (PENDING event) are copied, since its own thread may still set some.
    if event_type == EVENT_TYPE_OUTCOME:
        plain = _otel_private.finished_attributes(span)
    else:
        plain = _otel_private.plain_attributes(span)
    if plain is not None:
        return plain
    return dict(span.attributes) if span.attributes else {}


def _events_of(span: Any) -> Sequence[Any]:
    return span.events if _otel_private.may_have_items(span, "_events") else ()


def _links_of(span: Any) -> Sequence[Any]:
    return span.links if _otel_private.may_have_items(span, "_links") else ()


def _safe(value: Any, limit: int) -> Any:
    kind = type(value)
    if kind is str:
        return value if len(value) <= limit else truncate_text(value, limit)
    if kind is int or kind is bool:
        return value
    return json_safe(value, limit)


def _status_from_span(span: Any) -> str:
    code = span.status.status_code.name
    return semconv.Status.FAILURE.value if code == "ERROR" else semconv.Status.SUCCESS.value


def _exception_details(span_events: Sequence[Any]) -> tuple[str | None, str | None]:
    for event in reversed(span_events):
        if event.name == EVENT_EXCEPTION:
            attrs = event.attributes or {}
            return _str(attrs.get(EXCEPTION_MESSAGE)), _str(attrs.get(EXCEPTION_STACKTRACE))
    return None, None


def _event(event: Any, limit: int) -> dict[str, Any]:
    return {
        "name": event.name,
        "time": _rfc3339(event.timestamp),
        "attributes": {k: _safe(v, limit) for k, v in (event.attributes or {}).items()},
    }


def _link(link: Any) -> dict[str, Any]:
    ctx = link.context
    return {
        "trace_id": hex_id(ctx.trace_id, 16),
        "span_id": hex_id(ctx.span_id, 8),
        "attributes": {k: json_safe(v, 1024) for k, v in (link.attributes or {}).items()},
    }


@functools.lru_cache(maxsize=32)
def _resource_cached(items: tuple[tuple[str, Any], ...]) -> dict[str, Any]:
    attrs = dict(items)
    return {
        "service_name": _str(attrs.get("service.name")),
        "service_version": _str(attrs.get("service.version")),
        "service_namespace": _str(attrs.get("service.namespace")),
        "environment": _str(
            attrs.get("deployment.environment.name") or attrs.get("deployment.environment")
        ),
        "host": _str(attrs.get("host.name")),
        "attributes": {k: json_safe(v, 1024) for k, v in attrs.items()},
    }


_RESOURCE_CACHE: dict[int, tuple[Any, dict[str, Any]]] = {}


def _resource(resource: Any) -> dict[str, Any]:
    if resource is None:
        return {}
    # Resources are shared by every span of a provider: convert each one once.
    cached = _RESOURCE_CACHE.get(id(resource))
    if cached is not None and cached[0] is resource:
        return cached[1]
    converted = _resource_cached(tuple(sorted(resource.attributes.items())))
    if len(_RESOURCE_CACHE) > 64:
        _RESOURCE_CACHE.clear()
    _RESOURCE_CACHE[id(resource)] = (resource, converted)
    return converted


def _rfc3339(ns: int | None) -> str:
    if not ns:
        return "1970-01-01T00:00:00.000000Z"
    micros = ns // 1000
    seconds = micros // 1_000_000
    prefix = _LAST_SECOND.get(seconds)
    if prefix is None:
        prefix = _second_prefix(seconds)
    return "%s%06dZ" % (prefix, micros % 1_000_000)  # noqa: UP031 - 20% faster than f"{:06d}"


# Events arrive in bursts within the same second: each second is formatted once, and the
# latest one is found with one dict lookup (a worker thread's, so no lock is needed: a
# race only formats a second twice).
_LAST_SECOND: dict[int, str] = {}


def _second_prefix(seconds: int) -> str:
    stamp = _dt.datetime.fromtimestamp(seconds, tz=_dt.timezone.utc)
    prefix = stamp.strftime("%Y-%m-%dT%H:%M:%S.")
    if len(_LAST_SECOND) >= 4:
        _LAST_SECOND.clear()
    _LAST_SECOND[seconds] = prefix
    return prefix


# TraceFlags is an int subclass; the event carries a plain int (int() costs ~0.3 µs).
_FLAG_VALUES = {flags: flags for flags in range(256)}


def _str(value: Any) -> str | None:
    return None if value is None else str(value)


def _text(value: Any, limit: int) -> str | None:
    return None if value is None else truncate_text(str(value), limit)


def _int(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return int(value)


def _float(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    number = float(value)
    return number if number == number and number not in (float("inf"), float("-inf")) else None


def _load_build_outcome() -> Any:
    """The compiled builder (``_speedups.c``), configured with this module's tables; None
    when it was not built (no C compiler at install) or ``OTEL_AGENTS_PURE_PYTHON`` is set."""
    if env.is_on("OTEL_AGENTS_PURE_PYTHON"):
        return None
    try:
        from otel_agents.events import _speedups
    except ImportError:
        return None
    operations = {
        operation: (_NAME_FIELD_BY_KIND[kind], _KIND_VALUES[kind])
        for operation, kind in KIND_BY_OPERATION.items()
    }
    try:
        _speedups.configure(
            _TEMPLATE,
            _STR_FIELDS,
            _DISPATCH,
            _METADATA_PREFIX,
            operations,
            _SEVERITY_OF_STATUS,
            _STATUS_CODE_NAMES,
            _RESOURCE_CACHE,
            _resource,
            EVENT_TYPE_OUTCOME,
            EVENT_ID_NAMESPACE.bytes,
            OutcomeEvent,
        )
        _speedups.configure_envelope(_envelope_fragments(), orjson.dumps, json_default)
    except (TypeError, AttributeError):
        # Compiled from another version of this file (a source checkout not rebuilt):
        # the Python builder makes every event rather than the import failing.
        return None
    global _seal_event, _envelope_json, _record_ids
    _seal_event = _speedups.seal_event
    _envelope_json = _speedups.envelope_json
    _record_ids = _speedups.record_ids
    return _speedups.build_outcome


def _envelope_fragments() -> tuple[bytes, ...]:
    """The constant pieces of ``dumps(event.to_dict())``, in order, around the escaped
    id, service, name, time, trace id and span id (with the flags), then ``data``."""
    return (
        b'{"specversion":"1.0","id":"',
        b'","source":"' + _SOURCE_PREFIX.encode(),
        b'","type":' + orjson.dumps(CLOUDEVENTS_TYPE) + b',"subject":"',
        b'","time":"',
        b'","datacontenttype":'
        + orjson.dumps(CONTENT_TYPE)
        + b',"dataschema":'
        + orjson.dumps(DATA_SCHEMA)
        + b',"traceparent":"00-',
        b'","data":',
        b"}",
    )


def _no_envelope(data: dict[str, Any]) -> bytes | None:
    return None


def _no_record_ids(data: dict[str, Any]) -> tuple[bytes, bytes] | None:
    return None


#: The compiled ``record_ids`` once loaded (``key_and_traceparent`` in one call).
_record_ids: Callable[[dict[str, Any]], tuple[bytes, bytes] | None] = _no_record_ids


#: The compiled envelope writer once loaded (``to_json_bytes`` without ``to_dict``).
_envelope_json: Callable[[dict[str, Any]], bytes | None] = _no_envelope


def _as_is(event: OutcomeEvent) -> OutcomeEvent:
    return event


#: The compiled ``seal_event`` once loaded: an event whose data the compiled builder left
#: out of the cyclic collector (it holds no reference cycle) is left out too.
_seal_event: Callable[[OutcomeEvent], OutcomeEvent] = _as_is


#: The compiled builder of most events, or None (then ``from_span`` builds them all).
_build_outcome = _load_build_outcome()


def events_from_spans(
    spans: Sequence[Any], max_value_length: int = _DEFAULT_MAX_VALUE
) -> list[OutcomeEvent]:
    """OutcomeEvents of the outcome spans among ``spans`` (others are skipped)."""
    return [
        OutcomeEvent.from_span(span, max_value_length=max_value_length)
        for span in spans
        if is_outcome_span(span)
    ]
