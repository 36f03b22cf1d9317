"""Every ``OTEL_AGENTS_*`` variable, in one registry; and ``Settings``, read from them.

``VARIABLES`` lists each variable once with its default, its kind (how it is parsed) and
one line of documentation; README's tables are checked against it by a test. ``Settings``
holds what ``configure()`` reads; ``SETTINGS_FIELDS`` names each field's variable.

Precedence: an argument to ``configure()`` beats the environment, which beats the default.
Invalid values fail at configuration time with a ``ConfigurationError`` naming the
variable and the fix.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from otel_agents._record import FrozenRecord
from otel_agents.errors import ConfigurationError

if TYPE_CHECKING:
    from pathlib import Path

    #: ``DEFAULT_OUTCOME_LOG_PATH`` as a ``Path`` (made on first read).
    DEFAULT_OUTCOME_LOG: Path

#: The outcome log when none is set, relative to the working directory. A string: the
#: auto-instrumentation start-up reads it, and ``pathlib`` costs ~6 M instructions there.
DEFAULT_OUTCOME_LOG_PATH = os.path.join(".otel-agents", "outcomes.jsonl")
#: A JSON price table over the shipped one (``otel_agents.export.prices``).
PRICES_ENV = "OTEL_AGENTS_PRICES"
HOOK_TIMEOUT_ENV = "OTEL_AGENTS_HOOK_TIMEOUT_MS"
DEFAULT_HOOK_TIMEOUT_MS = 1000


class EnvVar(FrozenRecord):
    """One environment variable: name, documented default, how it is parsed, what it does."""

    __slots__ = ("name", "default", "kind", "doc")  # noqa: RUF023 (repr follows field order)
    name: str
    default: str
    kind: str  # bool, int, path, text, regex, module:function, size, json, patterns, prefix
    doc: str

    def __init__(self, name: str, default: str, kind: str, doc: str) -> None:
        self._set(name=name, default=default, kind=kind, doc=doc)


VARIABLES: tuple[EnvVar, ...] = (
    EnvVar("OTEL_AGENTS_OUTCOME_LOG", ".otel-agents/outcomes.jsonl", "path", "the outcome log"),
    EnvVar("OTEL_AGENTS_OUTCOME_LOG_MAX_BYTES", "104857600", "int", "rotate the log at this size"),
    EnvVar("OTEL_AGENTS_OUTCOME_LOG_KEEP", "5", "int", "rotated outcome log files kept"),
    EnvVar("OTEL_AGENTS_RECENT_EVENTS", "1000", "int", "size of the recent_events() buffer"),
    EnvVar("OTEL_AGENTS_CAPTURE_CONTENT", "false", "bool", "capture inputs/outputs"),
    EnvVar("OTEL_AGENTS_MAX_VALUE_LENGTH", "4096", "int", "longest captured/metadata value"),
    EnvVar("OTEL_AGENTS_REDACT", "true", "bool", "redact secrets in content and metadata"),
    EnvVar("OTEL_AGENTS_REDACT_PATTERN", "", "regex", "one more pattern to redact"),
    EnvVar("OTEL_AGENTS_REDACT_CALLBACK", "", "module:function", "a function applied to content"),
    EnvVar("OTEL_AGENTS_MAX_QUEUE_SIZE", "2048", "int", "finished spans waiting for export"),
    EnvVar(
        "OTEL_AGENTS_EXPORT_INTERVAL_MS",
        "100",
        "int",
        "how often the event worker exports while spans arrive (idle, it sleeps untimed)",
    ),
    EnvVar("OTEL_AGENTS_SINK_QUEUE_SIZE", "2048", "int", "events waiting for each sink"),
    EnvVar("OTEL_AGENTS_SINK_TIMEOUT_MS", "10000", "int", "deadline of a sink call; shutdown"),
    EnvVar("OTEL_AGENTS_PURE_PYTHON", "false", "bool", "build events in Python, not compiled code"),
    EnvVar("OTEL_AGENTS_PROPAGATE_TO_THREADS", "true", "bool", "context into thread pools"),
    EnvVar(
        "OTEL_AGENTS_HOOK_TIMEOUT_MS",
        "1000",
        "int",
        "deadline of an async hook; time budget of a sync hook (over it: reported once)",
    ),
    EnvVar("OTEL_AGENTS_EMIT_PENDING", "false", "bool", "PENDING events for runs in flight"),
    EnvVar("OTEL_AGENTS_FEEDBACK_LOG", "feedback.jsonl", "path", "the local feedback log"),
    EnvVar("OTEL_AGENTS_KAFKA_BOOTSTRAP_SERVERS", "", "text", "Kafka host:port[,host:port]"),
    EnvVar("OTEL_AGENTS_KAFKA_TOPIC", "agent-outcomes", "text", "topic of OutcomeEvents"),
    EnvVar("OTEL_AGENTS_KAFKA_FEEDBACK_TOPIC", "agent-feedback", "text", "topic of feedback"),
    EnvVar("OTEL_AGENTS_KAFKA_PRODUCER_CONFIG", "", "json", "librdkafka producer properties"),
    EnvVar("OTEL_AGENTS_KAFKA_PRODUCER_", "", "prefix", "one librdkafka property each"),
    EnvVar("OTEL_AGENTS_KAFKA_OAUTH_CB", "", "module:function", "SASL OAUTHBEARER token callback"),
    EnvVar("OTEL_AGENTS_KAFKA_SPOOL_DIR", "", "path", "where undelivered records wait"),
    EnvVar("OTEL_AGENTS_KAFKA_SPOOL_MAX_BYTES", "256MiB", "size", "largest spool"),
    EnvVar("OTEL_AGENTS_KAFKA_SPOOL_FSYNC", "interval", "text", "spool durability policy"),
    EnvVar("OTEL_AGENTS_KAFKA_SHUTDOWN_TIMEOUT_MS", "3000", "int", "longest wait at shutdown"),
    EnvVar(
        "OTEL_AGENTS_AUTO_INSTRUMENT",
        "",
        "bool",
        "auto-instrument at interpreter start (alone: presets of installed frameworks)",
    ),
    EnvVar(
        "OTEL_AGENTS_TARGETS",
        "",
        "patterns",
        "what auto-instrumentation wraps: [kind:]module:qualname[+|@attr][;name=RULE], preset:NAME",
    ),
    EnvVar("OTEL_AGENTS_FOREIGN_SPANS", "all", "text", "other libraries' span conventions read"),
    EnvVar("OTEL_AGENTS_PRICES", "", "path", "a JSON price table over the shipped one"),
    EnvVar("OTEL_AGENTS_SERVE_TOKEN", "", "text", "serve: bearer token on /api and /ws"),
    EnvVar("OTEL_AGENTS_SERVE_CORS_ORIGINS", "", "text", "serve: origins allowed by CORS"),
    EnvVar("OTEL_AGENTS_SERVE_MAX_BODY_BYTES", "65536", "int", "serve: largest request body"),
    EnvVar("OTEL_AGENTS_SERVE_CLIENT_QUEUE", "1000", "int", "serve: messages queued per client"),
)
"""The registry: every ``OTEL_AGENTS_*`` variable otel-agents reads."""


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


class SettingField(FrozenRecord):
    """One field of ``Settings``: its name, the variable it is read from, its default, and
    for a number the least value it accepts."""

    __slots__ = ("name", "env", "default", "kind", "least")  # noqa: RUF023 (repr: field order)
    name: str
    env: str
    default: Any
    kind: str  # how a value from the environment is parsed: bool, int, path or text
    least: int | None

    def __init__(
        self, name: str, env: str, default: Any, kind: str, least: int | None = None
    ) -> None:
        self._set(name=name, env=env, default=default, kind=kind, least=least)

    def check(self, value: Any) -> None:
        """Raise the ``ConfigurationError`` that names this field, if ``value`` is below it."""
        if self.least is not None and value < self.least:
            unit = " (milliseconds)" if self.name.endswith("_ms") else ""
            raise _invalid(self.name, self.env, f"use {self.least} or more{unit}")


#: ``Settings``' fields in order, each naming the variable it is read from.
SETTINGS_FIELDS: tuple[SettingField, ...] = (
    SettingField("service_name", "OTEL_SERVICE_NAME", None, "text"),
    SettingField("outcome_log", "OTEL_AGENTS_OUTCOME_LOG", None, "path"),
    SettingField(
        "outcome_log_max_bytes",
        "OTEL_AGENTS_OUTCOME_LOG_MAX_BYTES",
        100 * 1024 * 1024,
        "int",
        least=1024,
    ),
    SettingField("outcome_log_keep", "OTEL_AGENTS_OUTCOME_LOG_KEEP", 5, "int", least=1),
    SettingField("recent_events_size", "OTEL_AGENTS_RECENT_EVENTS", 1000, "int", least=0),
    SettingField("capture_content", "OTEL_AGENTS_CAPTURE_CONTENT", False, "bool"),
    SettingField("max_value_length", "OTEL_AGENTS_MAX_VALUE_LENGTH", 4096, "int", least=64),
    SettingField("redact", "OTEL_AGENTS_REDACT", True, "bool"),
    SettingField("redact_pattern", "OTEL_AGENTS_REDACT_PATTERN", None, "text"),
    SettingField("otlp_endpoint", "OTEL_EXPORTER_OTLP_ENDPOINT", None, "text"),
    SettingField("otlp_protocol", "OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf", "text"),
    SettingField("kafka_bootstrap_servers", "OTEL_AGENTS_KAFKA_BOOTSTRAP_SERVERS", None, "text"),
    SettingField("kafka_topic", "OTEL_AGENTS_KAFKA_TOPIC", None, "text"),
    # As the SDK's BatchSpanProcessor: every queued span is ~10 objects the host's
    # garbage collector walks; a backlog of 16,384 made each full collection ~55 ms.
    SettingField("max_queue_size", "OTEL_AGENTS_MAX_QUEUE_SIZE", 2048, "int", least=1),
    SettingField("export_interval_ms", "OTEL_AGENTS_EXPORT_INTERVAL_MS", 100, "int", least=1),
    # A sink's backlog of built events: 16,384 of them behind Kafka in a tight loop held
    # ~35 MB more at peak than 2,048, for no CPU saved.
    SettingField("sink_queue_size", "OTEL_AGENTS_SINK_QUEUE_SIZE", 2048, "int", least=1),
    SettingField("sink_timeout_ms", "OTEL_AGENTS_SINK_TIMEOUT_MS", 10000, "int", least=1),
    SettingField("emit_pending", "OTEL_AGENTS_EMIT_PENDING", False, "bool"),
    SettingField("propagate_to_threads", "OTEL_AGENTS_PROPAGATE_TO_THREADS", True, "bool"),
    # Deadline of an async hook, time budget of a sync one (see docs/guarantees.md).
    SettingField("hook_timeout_ms", HOOK_TIMEOUT_ENV, DEFAULT_HOOK_TIMEOUT_MS, "int", least=1),
    # Conventions of other libraries' spans read as actions and LLM calls.
    SettingField("foreign_spans", "OTEL_AGENTS_FOREIGN_SPANS", "all", "text"),
)


def setting_default(name: str) -> Any:
    """The default of ``Settings.<name>`` when no env var sets it: one place for each."""
    for field in SETTINGS_FIELDS:
        if field.name == name:
            return field.default
    raise KeyError(name)


#: The fields an ``OutcomeSpanProcessor`` takes, by the names of its arguments.
PROCESSOR_SETTINGS: tuple[str, ...] = (
    "max_queue_size",
    "export_interval_ms",
    "max_value_length",
    "emit_pending",
    "sink_queue_size",
    "sink_timeout_ms",
)


def settings_from_env(names: Iterable[str]) -> dict[str, Any]:
    """The named ``Settings`` fields as ``configure()`` reads them (env, else default),
    checked the same way: for a part that runs without ``configure()``.

    settings_from_env(["max_queue_size"])   # {"max_queue_size": 2048} unless the env says
    """
    fields = {field.name: field for field in SETTINGS_FIELDS}
    values: dict[str, Any] = {}
    for name in names:
        field = fields[name]
        raw = _env(field.env)
        value = field.default if raw is None else _parse(field, raw)
        field.check(value)
        values[name] = value
    return values


class Settings(FrozenRecord):
    """Everything ``configure()`` can set; ``SETTINGS_FIELDS`` names each one's env var.

    settings = Settings.from_env({"service_name": "support-bot"})
    settings.max_queue_size   # 2048 unless OTEL_AGENTS_MAX_QUEUE_SIZE says otherwise
    """

    __slots__ = tuple(field.name for field in SETTINGS_FIELDS)
    service_name: str | None
    outcome_log: str | None  # a file system path, as given (``os.fspath`` of a PathLike)
    outcome_log_max_bytes: int
    outcome_log_keep: int
    recent_events_size: int
    capture_content: bool
    max_value_length: int
    redact: bool
    redact_pattern: str | None
    otlp_endpoint: str | None
    otlp_protocol: str
    kafka_bootstrap_servers: str | None
    kafka_topic: str | None
    max_queue_size: int
    export_interval_ms: int
    sink_queue_size: int
    sink_timeout_ms: int
    emit_pending: bool
    propagate_to_threads: bool
    hook_timeout_ms: int
    foreign_spans: str

    def __init__(self, **values: Any) -> None:
        unknown = set(values).difference(self.__slots__)
        if unknown:
            raise TypeError(f"Settings() got unknown settings {sorted(unknown)}")
        for field in SETTINGS_FIELDS:
            object.__setattr__(self, field.name, values.get(field.name, field.default))

    @classmethod
    def from_env(cls, overrides: Mapping[str, Any] | None = None) -> Settings:
        """Read every field from its env var, then apply non-None ``overrides``."""
        values: dict[str, Any] = {}
        for field in SETTINGS_FIELDS:
            raw = _env(field.env)
            if raw is not None:
                values[field.name] = _parse(field, raw)
        for name, value in (overrides or {}).items():
            if value is not None:
                values[name] = value
        settings = cls(**values)
        settings._validate()
        return settings

    def _validate(self) -> None:
        for field in SETTINGS_FIELDS:
            field.check(getattr(self, field.name))
        if self.otlp_protocol not in ("grpc", "http/protobuf"):
            raise _invalid(
                "otlp_protocol", "OTEL_EXPORTER_OTLP_PROTOCOL", "use 'grpc' or 'http/protobuf'"
            )


def _invalid(field: str, env_name: str, fix: str) -> ConfigurationError:
    return ConfigurationError(f"invalid {field} (argument `{field}` or env {env_name}): {fix}")


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def is_on(env_name: str) -> bool:
    """An on/off variable read where a typo must not raise (at import): on only for the
    words ``parse_bool`` reads as true."""
    return (os.environ.get(env_name) or "").strip().lower() in _TRUE


def parse_bool(raw: str, env_name: str) -> bool:
    """Parse a boolean env value strictly: a typo is an error, not a silent False."""
    lowered = raw.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ConfigurationError(f"env {env_name}={raw!r} is not a boolean: use true or false")


def _parse(field: SettingField, raw: str) -> Any:
    if field.kind == "bool":
        return parse_bool(raw, field.env)
    if field.kind == "int":
        try:
            return int(raw)
        except ValueError:
            raise ConfigurationError(
                f"env {field.env}={raw!r} is not a whole number: set it to e.g. {field.default}"
            ) from None
    if field.kind == "path":
        return raw
    return raw.strip()


def hook_timeout_ms_or_default() -> int:
    """``OTEL_AGENTS_HOOK_TIMEOUT_MS`` as hooks use it before ``configure()``.

    Hooks work without ``configure()``, so a bad value cannot fail anything here: it
    gives the default, and ``configure()`` reports it as a ``ConfigurationError``.
    """
    raw = _env(HOOK_TIMEOUT_ENV)
    try:
        value = int(raw) if raw is not None else DEFAULT_HOOK_TIMEOUT_MS
    except ValueError:
        return DEFAULT_HOOK_TIMEOUT_MS
    return value if value >= 1 else DEFAULT_HOOK_TIMEOUT_MS


def __getattr__(name: str) -> Any:
    # PEP 562: the Path constant for the CLI and older callers, without pathlib at start-up.
    if name == "DEFAULT_OUTCOME_LOG":
        from pathlib import Path

        return Path(DEFAULT_OUTCOME_LOG_PATH)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
