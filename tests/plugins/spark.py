"""Fixtures of the Spark analytics tests: pyspark (the `spark` extra) and the connector jars.

The Kafka connector's jars are fetched once with Maven into the test cache. Missing Java,
Maven or pyspark: a skip on a developer's machine, a failure in CI.
"""

from __future__ import annotations

import os

import pytest

from tests.spark.jars import JarsUnavailable, connector_jars


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"required component unavailable in CI: {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def spark_connector_jars() -> list[str]:
    """Jar paths of spark-sql-kafka-0-10 and its runtime dependencies, for ``spark.jars``."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        _unavailable("pyspark is not installed (pip install -e '.[spark]')")
    try:
        return connector_jars()
    except JarsUnavailable as exc:
        _unavailable(str(exc))
        raise
