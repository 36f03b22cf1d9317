"""Three real Kafka brokers (KRaft, each broker+controller) on 127.0.0.1, for failover tests.

cluster = KafkaCluster(workdir)
cluster.start()                       # all three, waits for the quorum and brokers
cluster.create_topic("t", partitions=3, replication=3, min_insync=2)
cluster.leader_of("t", 0)             # node id
cluster.kill(node_id)                 # SIGKILL, like a crashed machine
cluster.stop()
"""

from __future__ import annotations

import base64
import os
import subprocess
import time
from pathlib import Path

from tests.kafka.broker import BrokerUnavailable, KafkaBroker, free_port


class _Node(KafkaBroker):
    def __init__(self, workdir: Path, node_id: int, cluster: KafkaCluster) -> None:
        super().__init__(workdir)
        self.node_id = node_id
        self._cluster = cluster

    def _write_properties(self) -> Path:
        path = super()._write_properties()
        props = dict(line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)
        props.update(
            {
                "node.id": str(self.node_id),
                "controller.quorum.voters": self._cluster.voters,
                "offsets.topic.replication.factor": "3",
                "transaction.state.log.replication.factor": "3",
                "transaction.state.log.min.isr": "2",
                "share.coordinator.state.topic.replication.factor": "3",
                "default.replication.factor": "3",
                "min.insync.replicas": "2",
                # Notice a dead peer in seconds, not the default 9-18 s.
                "broker.session.timeout.ms": "4000",
                "broker.heartbeat.interval.ms": "500",
                "replica.lag.time.max.ms": "5000",
            }
        )
        path.write_text("".join(f"{k}={v}\n" for k, v in props.items()))
        return path

    def _format(self, props: Path) -> None:
        proc = subprocess.run(
            self._java(
                "kafka.tools.StorageTool",
                "format",
                "-t",
                self._cluster.cluster_id,
                "-c",
                str(props),
            ),
            capture_output=True,
            text=True,
            timeout=120,
        )
        if proc.returncode != 0:
            raise BrokerUnavailable(f"kafka storage format failed:\n{proc.stdout}\n{proc.stderr}")
        self._formatted = True

    def _wait_ready(self, timeout: float) -> None:
        return  # the cluster waits for all three together (a lone voter has no quorum)

    def _java(self, *args: str) -> list[str]:
        command = super()._java(*args)
        return [part if part != "-Xmx512m" else "-Xmx384m" for part in command]


class KafkaCluster:
    """Three KRaft nodes with static voters; ports free, kept across restarts."""

    def __init__(self, workdir: Path, size: int = 3) -> None:
        self.workdir = Path(workdir)
        cluster_id = "-"
        while cluster_id.startswith("-"):
            cluster_id = base64.urlsafe_b64encode(os.urandom(16)).rstrip(b"=").decode()
        self.cluster_id = cluster_id
        self.nodes = {i: _Node(self.workdir / f"node-{i}", i, self) for i in range(1, size + 1)}
        used = {p for n in self.nodes.values() for p in (n.port, n.controller_port)}
        if len(used) != 2 * size:  # two free_port() calls may return the same port
            for node in self.nodes.values():
                node.port, node.controller_port = free_port(), free_port()

    @property
    def voters(self) -> str:
        return ",".join(f"{i}@127.0.0.1:{n.controller_port}" for i, n in self.nodes.items())

    @property
    def bootstrap(self) -> str:
        return ",".join(n.bootstrap for n in self.nodes.values())

    def start(self, timeout: float = 120.0) -> None:
        for node in self.nodes.values():
            node.start()
        self.wait_for_brokers(len(self.nodes), timeout)

    def wait_for_brokers(self, count: int, timeout: float = 60.0) -> None:
        from confluent_kafka.admin import AdminClient

        admin = AdminClient({"bootstrap.servers": self.bootstrap, "log_level": 0})
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for node in self.nodes.values():
                if node._proc is not None and node._proc.poll() is not None:
                    raise BrokerUnavailable(f"node {node.node_id} exited:\n{node.tail_log()}")
            try:
                if len(admin.list_topics(timeout=2).brokers) >= count:
                    return
            except Exception:
                pass
            time.sleep(0.3)
        self.stop()
        raise BrokerUnavailable(f"{count} brokers not up after {timeout}s")

    def create_topic(self, name: str, partitions: int, replication: int, min_insync: int) -> str:
        from confluent_kafka.admin import AdminClient, NewTopic

        admin = AdminClient({"bootstrap.servers": self.bootstrap})
        topic = NewTopic(
            name, partitions, replication, config={"min.insync.replicas": str(min_insync)}
        )
        for future in admin.create_topics([topic], operation_timeout=30).values():
            future.result(timeout=30)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:  # leaders elected everywhere before we use it
            md = admin.list_topics(name, timeout=5).topics[name]
            if len(md.partitions) == partitions and all(
                p.leader >= 0 and len(p.isrs) == replication for p in md.partitions.values()
            ):
                return name
            time.sleep(0.2)
        raise BrokerUnavailable(f"topic {name} has no full ISR after 30 s")

    def leader_of(self, topic: str, partition: int) -> int:
        from confluent_kafka.admin import AdminClient

        admin = AdminClient({"bootstrap.servers": self.bootstrap})
        return int(admin.list_topics(topic, timeout=10).topics[topic].partitions[partition].leader)

    def kill(self, node_id: int) -> None:
        self.nodes[node_id].kill()

    def stop(self) -> None:
        # SIGKILL: a graceful stop waits for a controlled shutdown that a cluster missing
        # a node (the test killed one) drags out for tens of seconds; nothing is kept.
        for node in self.nodes.values():
            node.kill()
