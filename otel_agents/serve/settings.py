"""Settings of ``otel-agents serve``: arguments beat the environment, which beats defaults.

    settings = ServeSettings.from_env(port=8765)
    settings.token          # OTEL_AGENTS_SERVE_TOKEN, or None: no authentication

A bad value fails at start-up with a ``ConfigurationError`` naming the variable.
"""

from __future__ import annotations

import dataclasses
import os
from typing import Any

from otel_agents.errors import ConfigurationError

ENV_TOKEN = "OTEL_AGENTS_SERVE_TOKEN"
ENV_CORS_ORIGINS = "OTEL_AGENTS_SERVE_CORS_ORIGINS"
ENV_MAX_BODY = "OTEL_AGENTS_SERVE_MAX_BODY_BYTES"
ENV_CLIENT_QUEUE = "OTEL_AGENTS_SERVE_CLIENT_QUEUE"
LOOPBACK = "127.0.0.1"


@dataclasses.dataclass(frozen=True)
class ServeSettings:
    """How the server listens, whom it lets in, and how much it keeps per client."""

    host: str = LOOPBACK
    port: int = 8765
    #: Bearer token required on /api and /ws when set (never logged, never in a URL).
    token: str | None = None
    #: Origins allowed by CORS and for WebSocket upgrades besides the page's own.
    cors_origins: tuple[str, ...] = ()
    #: Largest request body accepted; larger ones get 413 before they are read.
    max_body_bytes: int = 64 * 1024
    #: Messages queued per WebSocket client; a slow client loses its oldest ones.
    client_queue: int = 1000
    #: Most messages put in one WebSocket frame (a JSON array).
    max_frame_messages: int = 500
    heartbeat_s: float = 15.0
    #: How often per-agent learning figures are pushed to subscribers (at most).
    learning_interval_s: float = 1.0
    #: How long an unauthenticated socket may take to send its ``auth`` message.
    auth_timeout_s: float = 5.0
    #: How long POST /api/v1/feedback waits for the feedback to come back from the source.
    feedback_wait_s: float = 5.0
    #: Finished actions kept for /api/v1/actions and workflow lookups.
    recent_actions: int = 5000

    @classmethod
    def from_env(cls, **overrides: Any) -> ServeSettings:
        """Read the environment; keyword arguments that are not None win."""
        values: dict[str, Any] = {
            "token": os.environ.get(ENV_TOKEN) or None,
            "cors_origins": _origins(os.environ.get(ENV_CORS_ORIGINS, "")),
            "max_body_bytes": _positive_int(ENV_MAX_BODY, cls.max_body_bytes),
            "client_queue": _positive_int(ENV_CLIENT_QUEUE, cls.client_queue),
        }
        values.update({key: value for key, value in overrides.items() if value is not None})
        settings = cls(**values)
        if settings.token is not None and len(settings.token) < 16:
            raise ConfigurationError(
                f"{ENV_TOKEN} is shorter than 16 characters; use a long random value, e.g. "
                "the output of `python -c 'import secrets; print(secrets.token_urlsafe())'`"
            )
        if not 0 <= settings.port <= 65535:
            raise ConfigurationError(f"port {settings.port} is not a TCP port (0-65535)")
        return settings


def _origins(text: str) -> tuple[str, ...]:
    origins = tuple(part.strip().rstrip("/") for part in text.split(",") if part.strip())
    for origin in origins:
        if origin == "*" or not origin.startswith(("http://", "https://")):
            raise ConfigurationError(
                f"{ENV_CORS_ORIGINS}: {origin!r} is not an origin; list full origins such as "
                "https://dashboard.example.com (a wildcard is not allowed)"
            )
    return origins


def _positive_int(name: str, default: int) -> int:
    text = os.environ.get(name)
    if not text:
        return default
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value <= 0:
        raise ConfigurationError(f"{name}={text!r}: use a positive whole number")
    return value
