"""The one redaction policy: what counts as a secret in captured content and metadata.

    oa.configure(redact_pattern=r"ACME-\\d{4}", redact_callback=lambda s: s.replace(...))

Every captured input/output and every ``agent.metadata.*`` value passes through here.
Trade-offs of the defaults, written beside them so they can be judged:
- Text patterns match ``key: value`` / ``key=value`` pairs with a secret-sounding key and
  well-known credential shapes (OpenAI ``sk-``, bearer tokens, AWS access key ids). They
  miss secrets with no recognisable shape; add a pattern for those.
- Metadata keys are secret when they name a password, secret, API key, credential,
  cookie or token. ``token`` counts only as a word of its own (``access_token``,
  ``x-auth-token``): ``max_tokens``, ``prompt_tokens`` and ``token_count`` are usage
  figures, not credentials, and redacting them hid ordinary token metadata.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable

from otel_agents.errors import ConfigurationError

REPLACEMENT = "[REDACTED]"

DEFAULT_TEXT_PATTERNS: tuple[str, ...] = (
    r"(?i)\b(?:api[_-]?key|secret|password|passwd|token|authorization)\b\s*[:=]\s*\S+",
    r"\bsk-[A-Za-z0-9_\-]{16,}",
    r"(?i)\bbearer\s+[A-Za-z0-9._\-]{16,}",
    r"\bAKIA[0-9A-Z]{16}\b",
)
DEFAULT_SECRET_KEY_PATTERN = (
    r"(?i)password|passwd|secret|api[_-]?key|authorization|cookie|credential"
    r"|(?<![a-z])token(?![a-z]|_(?:count|usage|limit|type)s?\b)"
)

TextCallback = Callable[[str], str]


class RedactionPolicy:
    """Patterns and the user's callback; swapped whole by ``configure()``.

    The patterns compile on first use, not when the policy is made: a process that never
    captures content or metadata (most auto-instrumented start-ups) never compiles them.
    """

    __slots__ = ("_compiled", "_key_pattern", "_patterns", "callback")

    def __init__(
        self,
        enabled: bool = True,
        extra_pattern: str | None = None,
        callback: TextCallback | None = None,
    ) -> None:
        patterns: list[str] = list(DEFAULT_TEXT_PATTERNS) if enabled else []
        if extra_pattern:
            patterns.append(extra_pattern)
        self._patterns = tuple(patterns)
        self._key_pattern = DEFAULT_SECRET_KEY_PATTERN if enabled else None
        self._compiled: tuple[tuple[re.Pattern[str], ...], re.Pattern[str] | None] | None = None
        self.callback = callback

    @property
    def text_patterns(self) -> tuple[re.Pattern[str], ...]:
        """The text patterns, compiled."""
        return (self._compiled or self._compile())[0]

    @property
    def secret_keys(self) -> re.Pattern[str] | None:
        """The pattern of secret metadata keys, compiled (None when redaction is off)."""
        return (self._compiled or self._compile())[1]

    def _compile(self) -> tuple[tuple[re.Pattern[str], ...], re.Pattern[str] | None]:
        keys = None if self._key_pattern is None else re.compile(self._key_pattern)
        self._compiled = (tuple(re.compile(p) for p in self._patterns), keys)
        return self._compiled


_policy = RedactionPolicy()


def use_policy(policy: RedactionPolicy | None) -> None:
    """Make ``policy`` current (None: the defaults)."""
    global _policy
    _policy = policy if policy is not None else RedactionPolicy()


def compile_extra_pattern(pattern: str | None, source: str) -> str | None:
    """Check a user pattern now, so a typo fails at configuration time naming ``source``."""
    if not pattern:
        return None
    try:
        re.compile(pattern)
    except re.error as exc:
        raise ConfigurationError(
            f"{source}={pattern!r} is not a valid regular expression: {exc}"
        ) from None
    return pattern


def load_callback(reference: str | None, source: str) -> TextCallback | None:
    """Import ``module:function`` (from ``OTEL_AGENTS_REDACT_CALLBACK``); fail naming ``source``."""
    if not reference:
        return None
    module_name, _, attribute = reference.partition(":")
    try:
        callback = getattr(importlib.import_module(module_name.strip()), attribute.strip())
    except (ImportError, AttributeError, ValueError) as exc:
        raise ConfigurationError(
            f"{source}={reference!r}: cannot import it ({exc}); use module:function"
        ) from None
    if not callable(callback):
        raise ConfigurationError(f"{source}={reference!r} is not callable")
    return callback  # type: ignore[no-any-return]


def redact_text(text: str) -> str:
    """Captured content with every secret replaced by ``[REDACTED]``."""
    policy = _policy
    for pattern in policy.text_patterns:
        text = pattern.sub(REPLACEMENT, text)
    if policy.callback is not None:
        text = policy.callback(text)
    return text


def is_secret_key(key: str) -> bool:
    """Whether a metadata key names a credential (its value is then dropped whole)."""
    secret_keys = _policy.secret_keys
    return secret_keys is not None and secret_keys.search(key) is not None
