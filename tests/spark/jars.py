"""Spark's Kafka connector jars for tests, fetched once with Maven into the test cache.

``org.apache.spark:spark-sql-kafka-0-10_2.13`` with its runtime dependencies (the Kafka
client, commons-pool2, the token provider), minus what pyspark already ships, copied by
``mvn dependency:copy-dependencies`` into ``<cache>/spark-kafka-<hash>/libs``. The hash
covers the pom, so a new connector version gets a folder of its own and several checkouts
share one download; a file lock keeps two of them from fetching at once.

    jars = connector_jars()          # list of jar paths for ``spark.jars``
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

from tests.kafka.broker import cache_root

SPARK_VERSION = "4.2.0"

# Runtime scope only: `mvn dependency:get` of the connector fails on a test-jar it names.
# Spark itself, Scala, slf4j and the compression codecs come with pyspark; copying them
# again would put two versions of one class on the classpath.
_POM = """<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>otel-agents.tests</groupId>
  <artifactId>spark-kafka-classpath</artifactId>
  <version>1</version>
  <dependencies>
    <dependency>
      <groupId>org.apache.spark</groupId>
      <artifactId>spark-sql-kafka-0-10_2.13</artifactId>
      <version>{version}</version>
      <exclusions>
        <exclusion><groupId>org.scala-lang</groupId><artifactId>*</artifactId></exclusion>
        <exclusion><groupId>org.slf4j</groupId><artifactId>*</artifactId></exclusion>
        <exclusion><groupId>org.apache.hadoop</groupId><artifactId>*</artifactId></exclusion>
        <exclusion><groupId>com.google.code.findbugs</groupId><artifactId>*</artifactId></exclusion>
        <exclusion><groupId>org.scala-lang.modules</groupId><artifactId>*</artifactId></exclusion>
        <exclusion><groupId>at.yawk.lz4</groupId><artifactId>*</artifactId></exclusion>
        <exclusion><groupId>org.xerial.snappy</groupId><artifactId>*</artifactId></exclusion>
        <exclusion><groupId>org.apache.spark</groupId><artifactId>spark-tags_2.13</artifactId></exclusion>
      </exclusions>
    </dependency>
  </dependencies>
</project>
"""


class JarsUnavailable(RuntimeError):
    """Maven is missing or the fetch failed."""


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def jars_folder(version: str = SPARK_VERSION) -> Path:
    pom = _POM.format(version=version)
    digest = hashlib.sha256(pom.encode()).hexdigest()[:16]
    return cache_root() / f"spark-kafka-{digest}"


def connector_jars(version: str = SPARK_VERSION, timeout: float = 900.0) -> list[str]:
    """Paths of the connector's jars, fetching them with Maven the first time."""
    folder = jars_folder(version)
    libs, marker = folder / "libs", folder / ".complete"
    with _file_lock(folder.with_suffix(".lock")):
        if not marker.exists():
            _fetch(folder, _POM.format(version=version), timeout)
            marker.write_text(version)
    jars = sorted(str(path) for path in libs.glob("*.jar"))
    if not any("spark-sql-kafka" in jar for jar in jars):
        raise JarsUnavailable(f"no connector jar in {libs}")
    return jars


def _fetch(folder: Path, pom: str, timeout: float) -> None:
    if shutil.which("mvn") is None:
        raise JarsUnavailable("mvn not found: install Maven to fetch the Spark Kafka connector")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "pom.xml").write_text(pom)
    # Into a temporary folder, then rename: an interrupted download never looks complete.
    staging, libs = folder / "libs.partial", folder / "libs"
    shutil.rmtree(staging, ignore_errors=True)
    cmd = [
        "mvn",
        "-q",
        "-B",
        "-f",
        str(folder / "pom.xml"),
        "dependency:copy-dependencies",
        "-DincludeScope=runtime",
        f"-DoutputDirectory={staging}",
    ]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except (OSError, subprocess.SubprocessError) as exc:
        raise JarsUnavailable(f"mvn failed: {exc}") from None
    if proc.returncode != 0:
        raise JarsUnavailable(f"mvn failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    shutil.rmtree(libs, ignore_errors=True)
    staging.rename(libs)
