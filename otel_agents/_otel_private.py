"""Every use of a private OpenTelemetry internal, in one place, each with its reason.

OpenTelemetry does not promise these names; ``tests/core/test_otel_private.py`` checks
each one (``tests/core/test_direct_histogram.py`` the metrics SDK's, for
``DirectHistogram``; ``tests/core/test_clean_start.py`` the tracer's, for
``CleanStartTracer``), so an SDK or API upgrade that changes them fails loudly in CI
instead of silently disabling a fast path.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterable, Iterator, Mapping
from time import time_ns as _time_ns
from typing import Any

from opentelemetry import context
from opentelemetry import trace as _trace_api

#: The OTel API module's globals and the name of its provider global. The decorators read
#: ``TRACE_API_GLOBALS[TRACER_PROVIDER_KEY] is None`` inline on every call when no SDK
#: exists: one dict lookup, where a function call would double the cost of the bypass.
TRACE_API_GLOBALS: dict[str, Any] = vars(_trace_api)
TRACER_PROVIDER_KEY = "_TRACER_PROVIDER"


_NO_BAGGAGE: Mapping[str, object] = {}
# The context key baggage lives under, once opentelemetry.baggage has made it (it never
# changes after): read on the agent's thread at each root call and each span start.
_baggage_key: str | None = None


def baggage_entries(ctx: context.Context | None = None) -> Mapping[str, object]:
    """The W3C baggage in ``ctx`` (default: the current context); empty when there is none.

    Baggage lives in a context under a key that ``opentelemetry.baggage`` creates when it
    is imported, so no context holds any before that module loads (a propagator, a
    ``session()`` or a workflow loads it). Until then this answers {} without importing it:
    that import (its regular expressions) costs ~3 ms at each start-up.
    """
    key = _baggage_key
    if key is None:
        module = sys.modules.get("opentelemetry.baggage")
        if module is None:
            return _NO_BAGGAGE
        key = _remember_baggage_key(module)
        if key is None:  # an API that keeps it elsewhere
            entries: Mapping[str, object] = module.get_all(ctx)
            return entries
    # The API's get_all wraps the context's dict in a read-only view through three calls
    # (~1 µs). The dict is returned as the read-only Mapping it is typed as.
    found = (context.get_current() if ctx is None else ctx).get(key)
    return found if isinstance(found, dict) else _NO_BAGGAGE


def _remember_baggage_key(module: Any) -> str | None:
    global _baggage_key
    key = getattr(module, "_BAGGAGE_KEY", None)
    if isinstance(key, str):
        _baggage_key = key
        return key
    return None


def global_tracer_provider_is_set() -> bool:
    """Whether anyone has set a global tracer provider (the SDK's or another).

    ``trace.get_tracer_provider()`` would create a proxy provider as a side effect and
    costs a lock; the decorators read this on every call to skip telemetry entirely
    when no SDK exists, so they read the module global the API itself uses.
    """
    return _trace_api._TRACER_PROVIDER is not None


@contextlib.contextmanager
def suppress_instrumentation() -> Iterator[None]:
    """Run a block with OpenTelemetry's suppress-instrumentation key set.

    Instrumented clients used by a sink (HTTP, Kafka) then make no spans of their own,
    so exporting never traces itself. The key is named privately in the API, but every
    contrib instrumentation and the SDK's own batch processor use it; the public
    ``opentelemetry.instrumentation.utils.suppress_instrumentation`` does this same thing
    but imports the whole instrumentation package.
    """
    token = context.attach(context.set_value(context._SUPPRESS_INSTRUMENTATION_KEY, True))
    try:
        yield
    finally:
        context.detach(token)


def plain_attributes(span: Any) -> dict[str, Any] | None:
    """A copy of a finished SDK span's attributes, or None when the shape is not known.

    The SDK's public ``attributes`` is a read-only view over a locked ``BoundedAttributes``:
    copying through it costs ~2 µs a span, reading the plain dict behind it ~0.1 µs, and
    this runs once per outcome on the export thread.
    """
    bounded = getattr(span, "_attributes", None)
    inner = getattr(bounded, "_dict", None)
    return dict(inner) if isinstance(inner, dict) else None


def finished_attributes(span: Any) -> dict[str, Any] | None:
    """The plain dict behind a *finished* SDK span's attributes, not copied; else None.

    The SDK makes the mapping immutable when the span ends, so the export thread can read
    it in place: one copy fewer per outcome. Callers must not change it.
    """
    bounded = getattr(span, "_attributes", None)
    inner = getattr(bounded, "_dict", None)
    return inner if isinstance(inner, dict) else None


def may_have_items(span: Any, name: str) -> bool:
    """False when the SDK span's ``_events``/``_links`` list is known to be empty.

    ``span.events`` and ``span.links`` copy a locked list twice even when it is empty, as
    it is for most spans; its length is a plain read.
    """
    bounded = getattr(span, name, None)
    if bounded is None:
        return True
    # The SDK's BoundedList keeps a deque: its length without a Python-level __len__.
    items = getattr(bounded, "_dq", bounded)
    try:
        return len(items) > 0
    except TypeError:
        return True


def meter_records_nothing(meter: Any) -> bool:
    """True while every instrument of ``meter`` drops what it is given.

    A meter taken from the API's proxy provider before any ``MeterProvider`` was set
    forwards to a real meter once one is (its ``_real_meter``); until then, and for a
    ``NoOpMeter``, a recording is thrown away. The metrics sink reads this once a batch
    to skip ~2 µs of work per event that nothing would keep.
    """
    from opentelemetry.metrics import NoOpMeter
    from opentelemetry.metrics._internal import _ProxyMeter

    if isinstance(meter, NoOpMeter):
        return True
    return isinstance(meter, _ProxyMeter) and meter._real_meter is None


def remove_span_processors(provider: Any, processors: Iterable[Any]) -> bool:
    """Detach ``processors`` from an SDK ``TracerProvider`` (or its processor chain).

    The SDK has no ``remove_span_processor``; ``shutdown()`` must leave an application's
    own provider as it found it, so it rebuilds the provider's processor tuple (one
    assignment: a span ending meanwhile sees the old tuple or the new). False if the
    shape is unknown.
    """
    active = getattr(provider, "_active_span_processor", provider)
    current = getattr(active, "_span_processors", None)
    if active is None or current is None:
        return False
    ours = {id(p) for p in processors}
    active._span_processors = tuple(p for p in current if id(p) not in ours)
    return True


def initialize_sdk_from_environment() -> None:
    """Build the SDK from the standard ``OTEL_*`` variables, exactly as a distro does.

    Auto-instrumentation under plain ``python`` (or ``opentelemetry-instrument`` with no
    distro) has nobody else to do it; the SDK exposes this only privately.
    """
    from opentelemetry.sdk._configuration import _initialize_components

    _initialize_components()


def processor_chain_of(span: Any, exporter: Any) -> Any | None:
    """Where to add a span processor so it sees what ``exporter``'s processor sees.

    The Kafka exporter, when a ``BatchSpanProcessor`` built in code feeds it (under the
    SDK's own configuration it joins earlier, see ``provider_being_configured``), adds the
    outcome processor there at its first export, so outcomes no longer depend on the
    batch processor's queue, which drops spans silently when full. Older SDKs hand
    processors the live span, whose ``_span_processor`` is the provider's chain; newer
    ones hand a ``ReadableSpan`` copy, and then the global provider is the one if
    ``exporter`` is among its processors' exporters. Both have a public
    ``add_span_processor``. None when neither is known.
    """
    chain = getattr(span, "_span_processor", None)
    if callable(getattr(chain, "add_span_processor", None)):
        return chain
    provider = _trace_api.get_tracer_provider()
    if callable(getattr(provider, "add_span_processor", None)) and any(
        found is exporter for found in span_exporters(provider)
    ):
        return provider
    return None


def provider_being_configured() -> Any | None:
    """The ``TracerProvider`` the SDK's ``_init_tracing`` is building, if it is calling us.

    ``OTEL_TRACES_EXPORTER=kafka_outcomes`` makes ``_init_tracing`` (distro, auto-
    instrumentation or ``_OTelSDKConfigurator``) construct our exporter with no arguments
    and wrap it in a ``BatchSpanProcessor`` on its local ``provider``. Our exporter adds
    the outcome processor to that provider while being constructed, so no outcome span
    ever depends on the batch queue, which drops silently when full. The SDK hands the
    provider to no one (and may fail to make it the global one), so it is read from the
    caller's frame: the function is matched by its code object, the provider by name and
    shape. None when not called from there.
    """
    configuration = sys.modules.get("opentelemetry.sdk._configuration")
    code = getattr(getattr(configuration, "_init_tracing", None), "__code__", None)
    if code is None:
        return None
    frame = sys._getframe(1)
    for _ in range(_FRAMES_TO_SEARCH):
        if frame is None:
            return None
        if frame.f_code is code:
            provider = frame.f_locals.get("provider")
            return provider if callable(getattr(provider, "add_span_processor", None)) else None
        frame = frame.f_back  # type: ignore[assignment]
    return None


#: Our constructor, a subclass's, and a few wrappers between them and ``_init_tracing``.
_FRAMES_TO_SEARCH = 8


def span_exporters(provider: Any) -> list[Any]:
    """The exporters behind an SDK ``TracerProvider``'s batch/simple span processors.

    ``configure()`` under ``opentelemetry-instrument`` looks for the ``kafka_outcomes``
    exporter the SDK already built, to feed it rather than open a second producer; the
    SDK exposes neither its processor list nor (since 1.3x) the batch processor's
    exporter publicly. Unknown shapes give an empty list.
    """
    active = getattr(provider, "_active_span_processor", None)
    found: list[Any] = []
    for processor in getattr(active, "_span_processors", ()):
        exporter = getattr(processor, "span_exporter", None)
        if exporter is None:  # SDK >= 1.3x keeps it on the batch processor's core
            exporter = getattr(getattr(processor, "_batch_processor", None), "_exporter", None)
        if exporter is not None:
            found.append(exporter)
    return found


def metric_exporter_preferences(exporter: Any) -> tuple[Any, Any]:
    """(preferred temporality, preferred aggregation) of a metric exporter.

    A wrapper around an exporter must report the same preferences, or the reader would
    aggregate for the wrapper's defaults instead of what OTEL_EXPORTER_OTLP_METRICS_*
    chose for the inner one. The SDK's own reader reads these private attributes too.
    """
    return exporter._preferred_temporality, exporter._preferred_aggregation


class DirectHistogram:
    """``histogram.record(value, attributes)`` for one fixed attribute set, handed straight
    to the SDK's aggregations once a first ``record`` has made them.

    The SDK's ``record`` cleans, copies and hashes the attributes again at every call:
    ~13 µs with six attributes (SDK 1.45), most of an outcome's metrics cost. The outcome
    metrics record the same few attribute sets over and over, so after one ``record``
    through the API this finds the aggregation that each reader's view of the instrument
    keeps for the set and gives later values to it as ``record`` would (~2 µs).

    Everything it cannot see through, or that could move under it, goes through
    ``record`` instead: a proxy not yet bound to an SDK, delta temporality (its
    aggregations are replaced at each collection), readers added or removed, a set sent
    to the overflow point, a disabled meter, an exemplar to sample, a value the SDK
    would refuse, an SDK whose internals differ.
    """

    __slots__ = ("_attributes", "_consumer", "_instrument", "_sdk", "_storages", "_targets")

    def __init__(self, instrument: Any, attributes: Mapping[str, Any]) -> None:
        self._instrument = instrument
        self._attributes = attributes
        self._sdk: Any = None
        self._consumer: Any = None
        self._storages: Any = None
        #: The set's aggregations once found; () when they cannot be used; None: not yet.
        self._targets: tuple[Any, ...] | None = None

    @property
    def direct(self) -> bool:
        """True while values go straight to the aggregations."""
        return bool(self._targets) and self._consumer._reader_storages is self._storages

    def record(self, value: float) -> None:
        targets = self._targets
        if targets and 0 <= value < _INFINITY:  # the SDK refuses the rest, with a warning
            consumer, sdk = self._consumer, self._sdk
            if consumer._reader_storages is not self._storages:
                self._targets = None  # readers added or removed: find them again
            elif sdk._is_enabled():
                ctx = context.get_current()
                now = _time_ns()
                if not consumer._sdk_config.exemplar_filter.should_sample(
                    value, now, self._attributes, ctx
                ):
                    measurement = _MEASUREMENT[0](value, now, sdk, ctx, None)
                    for aggregation in targets:
                        aggregation.aggregate(measurement, False)
                    return
        self._instrument.record(value, self._attributes)
        if self._targets is None:
            try:
                self._targets = self._find_targets()
            except Exception:  # an SDK of another shape: record() it is, from now on
                self._targets = ()

    def _find_targets(self) -> tuple[Any, ...] | None:
        import inspect

        from opentelemetry.sdk.metrics._internal._view_instrument_match import (
            _hash_attributes,
        )
        from opentelemetry.sdk.metrics._internal.instrument import _Synchronous
        from opentelemetry.sdk.metrics._internal.measurement import Measurement

        sdk = getattr(self._instrument, "_real_instrument", self._instrument)  # a proxy's
        if sdk is None:
            return None  # a proxy with no SDK behind it yet: look again next time
        if not isinstance(sdk, _Synchronous) or not callable(sdk._is_enabled):
            return ()
        consumer: Any = sdk._measurement_consumer
        storages = consumer._reader_storages
        consumer._sdk_config.exemplar_filter.should_sample  # noqa: B018 (shape check)
        attributes = dict(self._attributes)
        targets = []
        for storage in storages.values():
            for match in storage._instrument_view_instrument_matches.get(sdk, ()):
                if match._reset_on_collect is not False:
                    return ()  # delta: the aggregations are replaced at each collection
                keys = match._view._attribute_keys
                kept = (
                    attributes
                    if keys is None
                    else {k: v for k, v in attributes.items() if k in keys}
                )
                aggregation = match._attributes_aggregation.get(_hash_attributes(kept))
                if aggregation is None:
                    return ()  # at the overflow point, or not made by that record()
                # The SDK's calling convention, as its measurement consumer uses it.
                if (
                    "should_sample_exemplar"
                    not in inspect.signature(aggregation.aggregate).parameters
                ):
                    return ()
                targets.append(aggregation)
        probe = context.get_current()
        Measurement(value=0, time_unix_nano=0, instrument=sdk, context=probe, attributes=None)
        _MEASUREMENT[0] = Measurement
        self._sdk, self._consumer, self._storages = sdk, consumer, storages
        return tuple(targets)


_INFINITY = float("inf")
#: The SDK's ``Measurement`` class, once a ``DirectHistogram`` has checked its shape.
_MEASUREMENT: list[Any] = [None]


class CleanAttributes(dict):  # type: ignore[type-arg]
    """Span attributes already in the form the SDK keeps: non-empty ``str`` keys; ``str``,
    ``bool``, ``int`` or ``float`` values, or tuples of them. Made by ``clean_attributes``;
    a ``CleanStartTracer`` puts them on a span without cleaning them again."""

    __slots__ = ()


_SCALARS = frozenset({str, bool, int, float})


def clean_attributes(attributes: dict[str, Any]) -> dict[str, Any]:
    """``attributes`` as ``CleanAttributes`` when every item is already clean, else as is.

    The decorators' start attributes are the same at every call of a function: checked
    once here, at decoration time, instead of by the SDK at each span.
    """
    scalars = _SCALARS
    for key, value in attributes.items():
        if type(key) is not str or not key:
            return attributes
        kind = type(value)
        if kind not in scalars and not (
            kind is tuple and all(type(item) in scalars for item in value)
        ):
            return attributes
    return CleanAttributes(attributes)


#: What the SDK's ``Tracer.start_span`` reads, in the versions ``CleanStartTracer``
#: repeats (1.45): another set means another algorithm, and the SDK's own is used.
_START_SPAN_NAMES = frozenset(
    [
        "DEFAULT",
        "NonRecordingSpan",
        "RANDOM_TRACE_ID",
        "SAMPLED",
        "SpanContext",
        "TraceFlags",
        "TypeError",
        "_Span",
        "_instrumentation_scope",
        "_is_enabled",
        "_span_limits",
        "_tracer_metrics",
        "attributes",
        "decision",
        "generate_span_id",
        "generate_trace_id",
        "get_current_span",
        "get_span_context",
        "id_generator",
        "instrumentation_info",
        "is_recording",
        "is_sampled",
        "is_trace_id_random",
        "is_valid",
        "isinstance",
        "random_trace_id",
        "resource",
        "sampler",
        "should_sample",
        "span_processor",
        "start",
        "start_span",
        "trace_api",
        "trace_flags",
        "trace_id",
        "trace_state",
    ]
)
_SPAN_KEYWORDS = frozenset(
    [
        "name",
        "context",
        "parent",
        "sampler",
        "resource",
        "attributes",
        "span_processor",
        "kind",
        "links",
        "instrumentation_info",
        "record_exception",
        "set_status_on_exception",
        "limits",
        "instrumentation_scope",
        "record_end_metrics",
    ]
)


def tracer_for_clean_attributes(tracer: Any) -> Any:
    """``tracer`` wrapped in a ``CleanStartTracer`` when the SDK is of the shape it
    repeats, its sampler passes attributes through and no attribute length limit is set;
    else ``tracer`` itself."""
    try:
        from opentelemetry.sdk.trace import Tracer, _Span

        if type(tracer) is not Tracer:
            return tracer
        if frozenset(Tracer.start_span.__code__.co_names) != _START_SPAN_NAMES:
            return tracer
        code = _Span.__init__.__code__
        if not set(code.co_varnames[: code.co_argcount + code.co_kwonlyargcount]) >= _SPAN_KEYWORDS:
            return tracer
        limits = tracer._span_limits
        if limits.max_span_attribute_length is not None:
            return tracer  # values would be cut: the SDK's own cleaning does it
        if not _passes_attributes_through(tracer.sampler):
            return tracer
        tracer._tracer_metrics.start_span  # noqa: B018 (shape check)
        tracer.id_generator.is_trace_id_random  # noqa: B018 (shape check)
        return CleanStartTracer(tracer, _Span, limits.max_span_attributes)
    except Exception:  # an SDK of another shape: its own start_span it is
        return tracer


def _passes_attributes_through(sampler: Any) -> bool:
    """Whether ``sampler`` is one whose result carries the attributes it was given,
    unchanged (or none, when it drops the span): the SDK's own static, ratio and
    parent-based samplers (their aliases included), and ours over one of them."""
    from opentelemetry.sdk.trace import sampling

    kind = type(sampler)
    if kind.__module__ == sampling.__name__:
        if issubclass(kind, (sampling.StaticSampler, sampling.TraceIdRatioBased)):
            return True
        if issubclass(kind, sampling.ParentBased):
            delegates = (
                sampler._root,
                sampler._remote_parent_sampled,
                sampler._remote_parent_not_sampled,
                sampler._local_parent_sampled,
                sampler._local_parent_not_sampled,
            )
            return all(_passes_attributes_through(delegate) for delegate in delegates)
        return False
    # Ours, once configure() has wrapped the provider's sampler (not imported otherwise).
    ours = sys.modules.get("otel_agents.export.sampling")
    return (
        ours is not None
        and kind is ours.OutcomeSampler
        and (_passes_attributes_through(sampler.delegate))
    )


class CleanStartTracer(_trace_api.Tracer):
    """The SDK's tracer, with a ``start_span`` that takes ``CleanAttributes`` as they are.

    The SDK cleans a span's start attributes one by one, under a lock, at every span:
    ~7 µs of the ~18 µs a span with eight attributes costs to start and end (SDK 1.45).
    For ``CleanAttributes`` (the decorators' own) this repeats the SDK's ``start_span``
    step by step (context, ids, the sampler, trace flags, the tracer's metrics, the span,
    its processors' ``on_start``) but fills the new span's attribute mapping directly.
    Anything else, or more attributes than the span limit keeps, goes to the SDK's own.
    ``tests/core/test_clean_start.py`` starts the same spans both ways and compares them.
    """

    def __init__(self, tracer: Any, span_class: Any, max_attributes: int | None) -> None:
        self.sdk_tracer = tracer
        self._span_class = span_class
        self._sampler = tracer.sampler
        self._room = max_attributes

    def start_span(
        self,
        name: str,
        context: context.Context | None = None,
        kind: _trace_api.SpanKind = _trace_api.SpanKind.INTERNAL,
        attributes: Any = None,
        links: Any = (),
        start_time: int | None = None,
        record_exception: bool = True,
        set_status_on_exception: bool = True,
    ) -> _trace_api.Span:
        tracer = self.sdk_tracer
        room = self._room
        if (
            type(attributes) is not CleanAttributes
            or context is not None
            or links
            or start_time is not None
            or not record_exception
            or not set_status_on_exception
            or (room is not None and len(attributes) > room)
            or tracer.sampler is not self._sampler
        ):
            return tracer.start_span(  # type: ignore[no-any-return]
                name,
                context,
                kind,
                attributes,
                links,
                start_time,
                record_exception,
                set_status_on_exception,
            )
        parent: Any = _trace_api.get_current_span().get_span_context()
        if not tracer._is_enabled():
            return _trace_api.NonRecordingSpan(context=parent)
        ids = tracer.id_generator
        if parent is None or not parent.is_valid:
            parent = None
            trace_id = ids.generate_trace_id()
            random_trace_id = ids.is_trace_id_random()
        else:
            trace_id = parent.trace_id
            random_trace_id = parent.trace_flags.random_trace_id
        result = self._sampler.should_sample(None, trace_id, name, kind, attributes, ())
        decision = result.decision
        flags = _SAMPLED if decision.is_sampled() else _NOT_SAMPLED
        if random_trace_id:
            flags = _trace_api.TraceFlags(flags | _trace_api.TraceFlags.RANDOM_TRACE_ID)
        span_context = _trace_api.SpanContext(
            trace_id,
            ids.generate_span_id(),
            is_remote=False,
            trace_flags=flags,
            trace_state=result.trace_state,
        )
        record_end_metrics = tracer._tracer_metrics.start_span(parent, decision)
        if not decision.is_recording():
            return _trace_api.NonRecordingSpan(context=span_context)
        span = self._span_class(
            name=name,
            context=span_context,
            parent=parent,
            sampler=self._sampler,
            resource=tracer.resource,
            attributes=None,
            span_processor=tracer.span_processor,
            kind=kind,
            links=(),
            instrumentation_info=tracer.instrumentation_info,
            record_exception=True,
            set_status_on_exception=True,
            limits=tracer._span_limits,
            instrumentation_scope=tracer._instrumentation_scope,
            record_end_metrics=record_end_metrics,
        )
        # The new span's own mapping, empty and seen by no one yet: what the SDK's
        # cleaning would have put there, it already is.
        span._attributes._dict.update(attributes)
        span.start(start_time=None, parent_context=None)
        return span  # type: ignore[no-any-return]

    def start_as_current_span(self, *args: Any, **kwargs: Any) -> Any:
        return self.sdk_tracer.start_as_current_span(*args, **kwargs)


_SAMPLED = _trace_api.TraceFlags(_trace_api.TraceFlags.SAMPLED)
_NOT_SAMPLED = _trace_api.TraceFlags(_trace_api.TraceFlags.DEFAULT)
