"""A real Apache Kafka broker (KRaft, single node) for tests, run from the official jars.

The jars (``org.apache.kafka:kafka_2.13`` and its runtime dependencies) are fetched once
from Maven Central with ``mvn dependency:copy-dependencies`` into a cache folder outside
the repository, then the broker runs on Java 17 with the classpath ``<cache>/libs/*``.
Only 127.0.0.1 is ever bound; ports are picked free at construction and kept across
``restart()`` so clients see "the same broker coming back".

    broker = KafkaBroker(workdir)
    broker.start()            # blocks until the broker answers metadata requests
    broker.kill()             # SIGKILL, like a crashed machine
    broker.restart()          # same ports, same log dir: topics and data survive
    broker.stop()
"""

from __future__ import annotations

import base64
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

KAFKA_VERSION = os.environ.get("OTEL_AGENTS_TEST_KAFKA_VERSION", "4.1.1")

_POM = """<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>otel-agents.tests</groupId>
  <artifactId>kafka-broker-classpath</artifactId>
  <version>1</version>
  <dependencies>
    <dependency>
      <groupId>org.apache.kafka</groupId>
      <artifactId>kafka_2.13</artifactId>
      <version>{version}</version>
    </dependency>
    <!-- Kafka logs through slf4j; without a binding its start-up errors would be silent. -->
    <dependency>
      <groupId>org.slf4j</groupId>
      <artifactId>slf4j-simple</artifactId>
      <version>1.7.36</version>
    </dependency>
  </dependencies>
</project>
"""


class BrokerUnavailable(RuntimeError):
    """Java, Maven or the jars are missing, or the broker did not come up."""


def cache_root() -> Path:
    default = Path.home() / ".cache" / "otel-agents-tests"
    return Path(os.environ.get("OTEL_AGENTS_TEST_CACHE", default))


def ensure_jars(version: str = KAFKA_VERSION, timeout: float = 900.0) -> Path:
    """Return the folder holding the broker's classpath, fetching it with Maven if needed."""
    folder = cache_root() / f"kafka-{version}"
    libs = folder / "libs"
    marker = folder / ".complete"
    if marker.exists():
        return libs
    if shutil.which("java") is None:
        raise BrokerUnavailable("java not found: install a Java 17 runtime")
    if shutil.which("mvn") is None:
        raise BrokerUnavailable("mvn not found: install Maven to fetch the Kafka jars")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "pom.xml").write_text(_POM.format(version=version))
    # Fetch into a temporary folder, then rename: an interrupted download never looks complete.
    staging = folder / "libs.partial"
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
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        raise BrokerUnavailable(f"mvn failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    shutil.rmtree(libs, ignore_errors=True)
    staging.rename(libs)
    marker.write_text(version)
    return libs


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class KafkaBroker:
    """One KRaft broker+controller process bound to 127.0.0.1."""

    def __init__(
        self,
        workdir: Path,
        *,
        partitions: int = 3,
        version: str = KAFKA_VERSION,
        cpus: set[int] | None = None,
    ):
        self.workdir = Path(workdir)
        self.cpus = cpus  # benchmarks keep the JVM off the core they measure
        self.version = version
        self.partitions = partitions
        self.port = free_port()
        self.controller_port = free_port()
        while self.controller_port == self.port:
            self.controller_port = free_port()
        self.log_dir = self.workdir / "data"
        self.log_file = self.workdir / "broker.log"
        self._proc: subprocess.Popen[bytes] | None = None
        self._formatted = False

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    @property
    def pid(self) -> int | None:
        """The broker's process id (and process group id) while it runs."""
        return self._proc.pid if self.running and self._proc is not None else None

    def _write_properties(self) -> Path:
        props = {
            "process.roles": "broker,controller",
            "node.id": "1",
            "controller.quorum.voters": f"1@127.0.0.1:{self.controller_port}",
            "listeners": (
                f"PLAINTEXT://127.0.0.1:{self.port},CONTROLLER://127.0.0.1:{self.controller_port}"
            ),
            "advertised.listeners": f"PLAINTEXT://127.0.0.1:{self.port}",
            "controller.listener.names": "CONTROLLER",
            "inter.broker.listener.name": "PLAINTEXT",
            "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
            "log.dirs": str(self.log_dir),
            "num.partitions": str(self.partitions),
            "auto.create.topics.enable": "true",
            "offsets.topic.replication.factor": "1",
            "offsets.topic.num.partitions": "1",
            "transaction.state.log.replication.factor": "1",
            "transaction.state.log.min.isr": "1",
            "share.coordinator.state.topic.replication.factor": "1",
            "group.initial.rebalance.delay.ms": "0",
            # Tests restart the broker after SIGKILL: keep log recovery short.
            "log.flush.interval.ms": "1000",
        }
        path = self.workdir / "server.properties"
        path.write_text("".join(f"{k}={v}\n" for k, v in props.items()))
        return path

    def _java(self, *args: str) -> list[str]:
        libs = ensure_jars(self.version)
        # The JVM's scratch files (lz4's native library, unpacked per run) in the broker's
        # folder: a killed broker never removes them, and they would pile up in the
        # system's temp folder.
        scratch = self.workdir / "java-tmp"
        scratch.mkdir(parents=True, exist_ok=True)
        return [
            "java",
            "-Xms128m",
            "-Xmx512m",
            "-XX:+UseSerialGC",
            "-XX:TieredStopAtLevel=1",
            "-Djava.awt.headless=true",
            f"-Djava.io.tmpdir={scratch}",
            "-cp",
            f"{libs}/*",
            *args,
        ]

    def _format(self, props: Path) -> None:
        cluster_id = "-"
        while cluster_id.startswith("-"):  # as Kafka's Uuid.randomUuid(): "-x" looks like a flag
            cluster_id = base64.urlsafe_b64encode(os.urandom(16)).rstrip(b"=").decode()
        proc = subprocess.run(
            self._java("kafka.tools.StorageTool", "format", "-t", cluster_id, "-c", str(props)),
            capture_output=True,
            text=True,
            timeout=120,
        )
        if proc.returncode != 0:
            raise BrokerUnavailable(f"kafka storage format failed:\n{proc.stdout}\n{proc.stderr}")
        self._formatted = True

    def start(self, timeout: float = 90.0) -> None:
        """Start the broker (formatting its log dir the first time) and wait until it answers."""
        if self.running:
            return
        self.workdir.mkdir(parents=True, exist_ok=True)
        props = self._write_properties()
        if not self._formatted:
            self._format(props)
        log = open(self.log_file, "ab")  # noqa: SIM115 - handed to the child process
        try:
            self._proc = subprocess.Popen(
                self._java("kafka.Kafka", str(props)),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                preexec_fn=(lambda: os.sched_setaffinity(0, self.cpus)) if self.cpus else None,
            )
        finally:
            log.close()
        self._wait_ready(timeout)

    def _wait_ready(self, timeout: float) -> None:
        from confluent_kafka.admin import AdminClient

        deadline = time.monotonic() + timeout
        admin = AdminClient({"bootstrap.servers": self.bootstrap, "log_level": 0})
        while time.monotonic() < deadline:
            if not self.running:
                raise BrokerUnavailable(f"broker exited early; log:\n{self.tail_log()}")
            try:
                md = admin.list_topics(timeout=1.0)
                if md.brokers:
                    return
            except Exception:
                pass
            time.sleep(0.2)
        self.stop()
        raise BrokerUnavailable(f"broker not ready after {timeout}s; log:\n{self.tail_log()}")

    def tail_log(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def kill(self) -> None:
        """SIGKILL the broker: no clean shutdown, like a crashed host."""
        if self._proc is not None and self._proc.poll() is None:
            os.killpg(self._proc.pid, signal.SIGKILL)
            self._proc.wait(timeout=30)
        self._proc = None

    def stop(self, timeout: float = 30.0) -> None:
        """Stop the broker cleanly (SIGTERM), falling back to SIGKILL."""
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)

    def restart(self, timeout: float = 90.0) -> None:
        """Start again on the same ports and log dir (after ``kill()`` or ``stop()``)."""
        self.stop()
        self.start(timeout)

    def create_topic(self, name: str, partitions: int | None = None) -> str:
        from confluent_kafka.admin import AdminClient, NewTopic

        admin = AdminClient({"bootstrap.servers": self.bootstrap})
        futures = admin.create_topics(
            [NewTopic(name, partitions or self.partitions, 1)], operation_timeout=30
        )
        for future in futures.values():
            future.result(timeout=30)
        return name


def create_topic(
    bootstrap: str, name: str, partitions: int = 3, config: dict[str, str] | None = None
) -> str:
    """Create ``name`` on any broker (ours or an existing one)."""
    from confluent_kafka.admin import AdminClient, NewTopic

    admin = AdminClient({"bootstrap.servers": bootstrap})
    topic = NewTopic(name, partitions, 1, config=config or {})
    futures = admin.create_topics([topic], operation_timeout=30)
    for future in futures.values():
        future.result(timeout=30)
    return name


def read_topic(
    bootstrap: str, topic: str, *, expect: int, timeout: float = 60.0, settle: float = 0.5
) -> list[object]:
    """Read every message of ``topic`` from the beginning with a real consumer.

    Stops once ``expect`` messages arrived and nothing more came for ``settle`` seconds
    (so duplicates beyond ``expect`` are seen too), or at ``timeout``.
    """
    from confluent_kafka import Consumer, TopicPartition
    from confluent_kafka.admin import AdminClient

    md = AdminClient({"bootstrap.servers": bootstrap}).list_topics(topic, timeout=30)
    partitions = sorted(md.topics[topic].partitions)
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"otel-agents-tests-{os.getpid()}-{time.monotonic_ns()}",
            "enable.auto.commit": False,
            "auto.offset.reset": "earliest",
        }
    )
    # assign() rather than subscribe(): no group rebalance, so no multi-second wait.
    consumer.assign([TopicPartition(topic, p, -2) for p in partitions])
    messages: list[object] = []
    deadline = time.monotonic() + timeout
    last_new = time.monotonic()
    try:
        while time.monotonic() < deadline:
            batch = consumer.consume(num_messages=1000, timeout=0.2)
            good = [m for m in batch if m.error() is None]
            if good:
                messages.extend(good)
                last_new = time.monotonic()
            elif len(messages) >= expect and time.monotonic() - last_new >= settle:
                break
    finally:
        consumer.close()
    return messages


def sarama_partition(key: bytes, partitions: int) -> int:
    """The partition librdkafka's ``fnv1a`` partitioner (Sarama's hash partitioner) picks."""
    h = 0x811C9DC5
    for byte in key:
        h = ((h ^ byte) * 0x01000193) & 0xFFFFFFFF
    signed = h - (1 << 32) if h & 0x80000000 else h
    return (abs(signed) & 0xFFFFFFFF) % partitions
