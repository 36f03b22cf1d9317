"""Feedback routes are cached per process: each test starts and ends with none."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from otel_agents.export import feedback_routes as _feedback_transport


@pytest.fixture(autouse=True)
def _fresh_feedback_routes() -> Iterator[None]:
    _feedback_transport.close_routes()
    yield
    _feedback_transport.close_routes(timeout_s=0.5)
