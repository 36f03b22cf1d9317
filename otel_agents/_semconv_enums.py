"""The outcome and feedback enums of ``otel_agents.semconv``, created on first use.

Import them from ``otel_agents.semconv`` (or ``otel_agents``), which loads this module
when one is first read (PEP 562): creating an enum class costs ~0.6 M instructions on
Python 3.11, and the auto-instrumentation start-up needs none of these. The first traced
call (its outcome) or the first feedback loads them.
"""

from __future__ import annotations

from typing import Final

from otel_agents._text_enum import TextEnum


class Status(TextEnum):
    """How an agent action ended. Stored on the span as ``agent.outcome.status``."""

    SUCCESS = "SUCCESS"
    FAILURE = "FAILURE"
    PARTIAL = "PARTIAL"
    TIMEOUT = "TIMEOUT"
    CANCELLED = "CANCELLED"
    PENDING = "PENDING"


class Severity(TextEnum):
    """How much an outcome matters to an operator (``agent.outcome.severity``)."""

    INFO = "INFO"
    WARNING = "WARNING"
    ERROR = "ERROR"
    CRITICAL = "CRITICAL"


#: Default severity of each status; CRITICAL is reserved for exceptions marked critical.
DEFAULT_SEVERITY: Final = {
    Status.SUCCESS: Severity.INFO,
    Status.PENDING: Severity.INFO,
    Status.PARTIAL: Severity.WARNING,
    Status.CANCELLED: Severity.WARNING,
    Status.FAILURE: Severity.ERROR,
    Status.TIMEOUT: Severity.ERROR,
}


class FeedbackKind(TextEnum):
    """What a person (or a judge) said about an agent action."""

    POSITIVE = "positive"
    NEGATIVE = "negative"
    CORRECTION = "correction"
    SUGGESTION = "suggestion"
