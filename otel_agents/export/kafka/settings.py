"""Settings of the Kafka outcome exporter: keyword arguments, else environment, else defaults.

Everything is checked here, once, so a mistake fails at ``configure()`` time with a message
naming the argument or environment variable and the fix, never later inside a callback.
"""

from __future__ import annotations

import importlib
import json
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, Literal

from otel_agents.errors import ConfigurationError

ENV_BOOTSTRAP_SERVERS: Final = "OTEL_AGENTS_KAFKA_BOOTSTRAP_SERVERS"
ENV_TOPIC: Final = "OTEL_AGENTS_KAFKA_TOPIC"
ENV_PRODUCER_CONFIG: Final = "OTEL_AGENTS_KAFKA_PRODUCER_CONFIG"
#: Prefix of one-property-per-variable pass-through, e.g. ``..._PRODUCER_SASL_MECHANISM``.
ENV_PRODUCER_PREFIX: Final = "OTEL_AGENTS_KAFKA_PRODUCER_"
ENV_SPOOL_DIR: Final = "OTEL_AGENTS_KAFKA_SPOOL_DIR"
ENV_SPOOL_MAX_BYTES: Final = "OTEL_AGENTS_KAFKA_SPOOL_MAX_BYTES"
ENV_SPOOL_FSYNC: Final = "OTEL_AGENTS_KAFKA_SPOOL_FSYNC"
ENV_SHUTDOWN_TIMEOUT_MS: Final = "OTEL_AGENTS_KAFKA_SHUTDOWN_TIMEOUT_MS"
#: ``module:function`` returning ``(token, expiry_epoch_seconds)`` for SASL OAUTHBEARER
#: (librdkafka's ``oauth_cb``), e.g. an MSK IAM token provider.
ENV_OAUTH_CB: Final = "OTEL_AGENTS_KAFKA_OAUTH_CB"
#: Properties every client of ours (producer, feedback route, monitor) shares with the
#: outcome producer: how to reach and log in to the cluster.
_CONNECTION_PREFIXES: Final = ("security.", "sasl.", "ssl.", "enable.ssl.", "oauth_cb")

DEFAULT_BOOTSTRAP_SERVERS: Final = "localhost:9092"
DEFAULT_TOPIC: Final = "agent-outcomes"
DEFAULT_SPOOL_MAX_BYTES: Final = 256 * 1024 * 1024
DEFAULT_SHUTDOWN_TIMEOUT_MS: Final = 3000

FsyncPolicy = Literal["always", "interval", "never"]
_FSYNC_POLICIES: Final = ("always", "interval", "never")

#: Producer defaults (DESIGN.md, Kafka). User properties override any of them.
PRODUCER_DEFAULTS: Final[Mapping[str, str | int | bool]] = {
    "client.id": "otel-agents",
    # Exactly-once per partition within a producer session; implies acks=all and
    # retries, so a transient broker error never reorders or duplicates by itself.
    "enable.idempotence": True,
    # lz4: about half the CPU of zstd in librdkafka's broker thread (~2 µs per 2 KB event
    # on a loaded 2-core machine); zstd packs repetitive JSON about twice as small. Set
    # compression.type=zstd where bandwidth or broker disk matters more than CPU.
    "compression.type": "lz4",
    # Batches of ~20 ms: far fewer requests at high rates; the outcome processor already
    # waits up to 100 ms, and the end-to-end goal is p99 < 200 ms.
    "linger.ms": 20,
    # Bounded local queue: at most 100k messages / 64 MiB in memory; beyond that we spool.
    "queue.buffering.max.messages": 100_000,
    "queue.buffering.max.kbytes": 65_536,
    # librdkafka's default (300 s) keeps failed events in memory for five minutes; 30 s
    # moves them to the durable spool much sooner.
    "message.timeout.ms": 30_000,
    # Same partition for a trace id as the Collector's kafkaexporter (Sarama hash).
    "partitioner": "fnv1a_random",
    # Come back quickly after a broker restart (default backs off up to 10 s).
    "reconnect.backoff.max.ms": 2_000,
    "message.max.bytes": 1_000_000,
}

# Properties we own: the producer would misbehave for us if a user changed them.
_RESERVED: Final = frozenset({"on_delivery", "dr_cb", "dr_msg_cb", "error_cb"})
_TOPIC_RE: Final = re.compile(r"^[A-Za-z0-9._-]{1,249}$")
_SIZE_RE: Final = re.compile(r"^\s*(\d+)\s*([kKmMgG]i?[bB]?|[bB])?\s*$")
_SIZE_UNITS: Final = {"": 1, "b": 1, "k": 1024, "m": 1024**2, "g": 1024**3}


@dataclass(frozen=True)
class KafkaSettings:
    """Resolved, validated settings of one ``KafkaOutcomeExporter``."""

    bootstrap_servers: str
    topic: str
    producer_config: dict[str, str | int | float | bool] = field(repr=False)
    spool_dir: Path
    spool_max_bytes: int
    spool_fsync: FsyncPolicy
    shutdown_timeout_ms: int

    @property
    def max_message_bytes(self) -> int:
        return int(self.producer_config.get("message.max.bytes", 1_000_000))


def resolve_settings(
    *,
    bootstrap_servers: str | None,
    topic: str | None,
    producer_config: Mapping[str, str | int | float | bool] | None,
    spool_dir: str | os.PathLike[str] | None,
    spool_max_bytes: int | str | None,
    spool_fsync: str | None,
    shutdown_timeout_millis: int | None,
    environ: Mapping[str, str] | None = None,
    argument_prefix: str = "",
) -> KafkaSettings:
    """Arguments win over environment variables, which win over defaults.

    >>> s = resolve_settings(bootstrap_servers="127.0.0.1:9092", topic=None, producer_config=None,
    ...     spool_dir="/tmp/s", spool_max_bytes=None, spool_fsync=None,
    ...     shutdown_timeout_millis=None, environ={})
    >>> s.topic
    'agent-outcomes'
    """
    env = os.environ if environ is None else environ
    # Errors name what the user wrote: configure()'s argument is ``kafka_topic``.
    servers = _bootstrap(bootstrap_servers, env, argument_prefix)
    topic_name = _topic(topic, env, argument_prefix)
    config: dict[str, str | int | float | bool] = dict(PRODUCER_DEFAULTS)
    config.update(_producer_env(env))
    if producer_config:
        config.update({str(k): v for k, v in producer_config.items()})
    for key in _RESERVED & config.keys():
        raise ConfigurationError(
            f"producer property {key!r} is set by otel-agents itself; remove it from "
            f"producer_config / {ENV_PRODUCER_CONFIG}"
        )
    config["bootstrap.servers"] = servers
    _check_int_property(config, "message.max.bytes")
    oauth_cb = _oauth_cb(env)
    if oauth_cb is not None:
        config["oauth_cb"] = oauth_cb  # type: ignore[assignment]
    return KafkaSettings(
        bootstrap_servers=servers,
        topic=topic_name,
        producer_config=config,
        spool_dir=_spool_dir(spool_dir, env, servers),
        spool_max_bytes=_size(spool_max_bytes, env),
        spool_fsync=_fsync(spool_fsync, env),
        shutdown_timeout_ms=_shutdown_timeout(shutdown_timeout_millis, env),
    )


def _bootstrap(value: str | None, env: Mapping[str, str], prefix: str) -> str:
    source = f"{prefix}bootstrap_servers" if value is not None else ENV_BOOTSTRAP_SERVERS
    raw = value if value is not None else env.get(ENV_BOOTSTRAP_SERVERS, DEFAULT_BOOTSTRAP_SERVERS)
    servers = [s.strip() for s in raw.split(",") if s.strip()]
    if not servers:
        raise ConfigurationError(
            f"{source} is empty; set it to host:port[,host:port], e.g. 127.0.0.1:9092"
        )
    for server in servers:
        host, sep, port = server.rpartition(":")
        if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ConfigurationError(
                f"{source}={raw!r}: {server!r} is not host:port; use e.g. 127.0.0.1:9092"
            )
    return ",".join(servers)


def _topic(value: str | None, env: Mapping[str, str], prefix: str) -> str:
    source = f"{prefix}topic" if value is not None else ENV_TOPIC
    name = value if value is not None else env.get(ENV_TOPIC, DEFAULT_TOPIC)
    if not _TOPIC_RE.match(name) or name in {".", ".."}:
        raise ConfigurationError(
            f"{source}={name!r} is not a valid Kafka topic name; use 1-249 characters "
            f"from [A-Za-z0-9._-], e.g. {DEFAULT_TOPIC}"
        )
    return name


def _producer_env(env: Mapping[str, str]) -> dict[str, str | int | float | bool]:
    config: dict[str, str | int | float | bool] = {}
    raw = env.get(ENV_PRODUCER_CONFIG, "").strip()
    if raw.startswith("{"):
        try:
            parsed = json.loads(raw)
        except ValueError as exc:
            raise ConfigurationError(
                f"{ENV_PRODUCER_CONFIG} is not valid JSON ({exc}); use a JSON object such as "
                '{"security.protocol": "SASL_SSL"} or key=value pairs separated by commas'
            ) from None
        if not isinstance(parsed, dict):
            raise ConfigurationError(f"{ENV_PRODUCER_CONFIG} must be a JSON object")
        config.update({str(k): v for k, v in parsed.items()})
    elif raw:
        for pair in raw.split(","):
            key, sep, val = pair.partition("=")
            if not sep or not key.strip():
                raise ConfigurationError(
                    f"{ENV_PRODUCER_CONFIG}: {pair!r} is not key=value; use e.g. "
                    "security.protocol=SASL_SSL,sasl.mechanism=PLAIN"
                )
            config[key.strip()] = _from_text(val.strip())
    for name, val in env.items():
        if name.startswith(ENV_PRODUCER_PREFIX) and name != ENV_PRODUCER_CONFIG:
            # OTEL_AGENTS_KAFKA_PRODUCER_SASL_MECHANISM -> sasl.mechanism
            key = name[len(ENV_PRODUCER_PREFIX) :].lower().replace("_", ".")
            config[key] = _from_text(val)
    return config


def connection_config(environ: Mapping[str, str] | None = None) -> dict[str, object]:
    """Security and login properties from the environment, for a consumer or admin client.

    >>> connection_config({"OTEL_AGENTS_KAFKA_PRODUCER_SECURITY_PROTOCOL": "SASL_SSL"})
    {'security.protocol': 'SASL_SSL'}
    """
    env = os.environ if environ is None else environ
    config: dict[str, object] = {
        key: value
        for key, value in _producer_env(env).items()
        if key.startswith(_CONNECTION_PREFIXES)
    }
    oauth_cb = _oauth_cb(env)
    if oauth_cb is not None:
        config["oauth_cb"] = oauth_cb
    return config


def _oauth_cb(env: Mapping[str, str]) -> Callable[[str], object] | None:
    spec = env.get(ENV_OAUTH_CB, "").strip()
    if not spec:
        return None
    module_name, sep, attribute = spec.partition(":")
    fix = "set it to module:function, a function returning (token, expiry_epoch_seconds)"
    if not sep or not module_name or not attribute:
        raise ConfigurationError(f"{ENV_OAUTH_CB}={spec!r} is not module:function; {fix}")
    try:
        target: object = importlib.import_module(module_name)
        for part in attribute.split("."):
            target = getattr(target, part)
    except (ImportError, AttributeError) as exc:
        raise ConfigurationError(
            f"{ENV_OAUTH_CB}={spec!r} cannot be loaded ({exc}); {fix}"
        ) from None
    if not callable(target):
        raise ConfigurationError(f"{ENV_OAUTH_CB}={spec!r} is not callable; {fix}")
    return target


def _from_text(value: str) -> str | bool:
    # confluent-kafka's own properties (e.g. delivery.report.only.error) demand a real
    # bool; librdkafka's accept either, so true/false from the environment become bools.
    lowered = value.strip().lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    return value


def _check_int_property(config: Mapping[str, object], key: str) -> None:
    try:
        if int(str(config[key])) <= 0:
            raise ValueError
    except ValueError:
        raise ConfigurationError(
            f"producer property {key}={config[key]!r} must be a positive integer"
        ) from None


def _spool_dir(value: str | os.PathLike[str] | None, env: Mapping[str, str], servers: str) -> Path:
    if value is not None:
        path, source = Path(value), "spool_dir"
    elif env.get(ENV_SPOOL_DIR):
        path, source = Path(env[ENV_SPOOL_DIR]), ENV_SPOOL_DIR
    else:
        state = env.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
        # One folder per cluster, so a replay never sends one cluster's events to another.
        slug = re.sub(r"[^A-Za-z0-9.-]+", "_", servers)[:100]
        path, source = Path(state) / "otel-agents" / "spool" / slug, ENV_SPOOL_DIR
    path = path.expanduser()
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigurationError(
            f"{source}={str(path)!r} cannot be created ({exc.strerror}); point it at a "
            "writable folder on a persistent disk"
        ) from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise ConfigurationError(
            f"{source}={str(path)!r} is not writable; point it at a writable folder"
        )
    return path


def _size(value: int | str | None, env: Mapping[str, str]) -> int:
    source = "spool_max_bytes" if value is not None else ENV_SPOOL_MAX_BYTES
    raw = value if value is not None else env.get(ENV_SPOOL_MAX_BYTES)
    if raw is None or raw == "":
        return DEFAULT_SPOOL_MAX_BYTES
    if isinstance(raw, int):
        size = raw
    else:
        match = _SIZE_RE.match(raw)
        if not match:
            size = -1
        else:
            unit = (match.group(2) or "")[:1].lower()
            size = int(match.group(1)) * _SIZE_UNITS[unit]
    if size <= 0:
        raise ConfigurationError(
            f"{source}={raw!r} must be a positive size in bytes, e.g. 268435456 or 256MiB"
        )
    return size


def _fsync(value: str | None, env: Mapping[str, str]) -> FsyncPolicy:
    source = "spool_fsync" if value is not None else ENV_SPOOL_FSYNC
    raw = (value if value is not None else env.get(ENV_SPOOL_FSYNC, "interval")).lower()
    if raw == "always":
        return "always"
    if raw == "interval":
        return "interval"
    if raw == "never":
        return "never"
    raise ConfigurationError(f"{source}={raw!r}; use one of {', '.join(_FSYNC_POLICIES)}")


def _shutdown_timeout(value: int | None, env: Mapping[str, str]) -> int:
    source = "shutdown_timeout_millis" if value is not None else ENV_SHUTDOWN_TIMEOUT_MS
    raw: int | str = (
        value
        if value is not None
        else env.get(ENV_SHUTDOWN_TIMEOUT_MS, str(DEFAULT_SHUTDOWN_TIMEOUT_MS))
    )
    try:
        millis = int(raw)
        if millis < 0:
            raise ValueError
    except ValueError:
        raise ConfigurationError(
            f"{source}={raw!r} must be a non-negative number of milliseconds, e.g. 3000"
        ) from None
    return millis
