"""What a Kafka client error means for the user, said once, naming the setting to fix.

librdkafka reports a refused login or an untrusted certificate on every reconnect (as an
``error_cb`` call and as an ERROR log line), followed by "1/1 brokers are down". A user
needs one line saying which of their settings is wrong: this module writes it, and keeps
librdkafka's repeats of the same failure out of the log.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from typing import Final

from confluent_kafka.cimpl import KafkaError

_PREFIX: Final = "OTEL_AGENTS_KAFKA_PRODUCER_"
_CREDENTIALS: Final = (
    f"{_PREFIX}SASL_MECHANISM, {_PREFIX}SASL_USERNAME and {_PREFIX}SASL_PASSWORD "
    "(or OTEL_AGENTS_KAFKA_OAUTH_CB for OAUTHBEARER tokens; the same keys may be given in "
    "OTEL_AGENTS_KAFKA_PRODUCER_CONFIG)"
)
_TRUST: Final = (
    f"{_PREFIX}SSL_CA_LOCATION (the CA that signed the broker's certificate) and "
    f"{_PREFIX}SECURITY_PROTOCOL"
)
#: Error codes that are the user's settings, not the network: no retry will fix them.
SETTINGS_ERRORS: Final = frozenset({KafkaError._AUTHENTICATION, KafkaError._SSL})


def explain(err: KafkaError, servers: str) -> str | None:
    """One sentence naming the cause and the variables to check, or None (not ours to say)."""
    code = err.code()
    if code == KafkaError._AUTHENTICATION:
        return f"Kafka at {servers} refused our credentials ({_detail(err)}); check {_CREDENTIALS}"
    if code == KafkaError._SSL:
        return f"TLS with Kafka at {servers} failed ({_detail(err)}); check {_TRUST}"
    return None


_REPORTED: set[tuple[int, str]] = set()
_REPORTED_LOCK = threading.Lock()


def first_report(err: KafkaError, servers: str) -> str | None:
    """``explain(err)`` the first time this process meets that failure, else None.

    The outcome producer and the feedback producer share one login: the user hears once.
    """
    message = explain(err, servers)
    if message is None:
        return None
    with _REPORTED_LOCK:
        key = (err.code(), servers)
        if key in _REPORTED:
            return None
        _REPORTED.add(key)
    return message


def _detail(err: KafkaError) -> str:
    text = err.str()
    # "sasl_ssl://host:port/bootstrap: SASL authentication error: ... (after 358ms in state
    # AUTH_REQ...)": keep the part that says what happened.
    text = re.sub(r"^\S+://\S+?: ", "", text)
    return re.sub(r"\s*\(after \d+ms in state [^)]*\)?", "", text).strip()


class QuietRepeats(logging.Filter):
    """Drops librdkafka lines that repeat a settings failure ``explain`` already reported,
    and lets any other line through once per ``interval_s`` (librdkafka retries forever)."""

    # librdkafka words an untrusted certificate either way, depending on when it notices.
    _SETTINGS_LINES: Final = (
        "SASL authentication error",
        "SSL handshake failed",
        "certificate verify failed",
    )

    def __init__(self, interval_s: float = 300.0) -> None:
        super().__init__()
        self._interval = interval_s
        self._seen: dict[str, float] = {}
        self._lock = threading.Lock()

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        if any(marker in text for marker in self._SETTINGS_LINES):
            return False
        key = re.sub(r"\d+", "#", text)[:160]
        now = time.monotonic()
        with self._lock:
            last = self._seen.get(key)
            if last is not None and now - last < self._interval:
                return False
            if len(self._seen) > 1000:
                self._seen.clear()
            self._seen[key] = now
        return True
