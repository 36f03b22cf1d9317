"""Exceptions otel-agents raises. Only configuration errors ever reach user code."""

from __future__ import annotations


class ConfigurationError(ValueError):
    """Invalid configuration, raised by ``configure()`` or an exporter's constructor.

    The message names the setting (argument or environment variable) and how to fix it.
    """
