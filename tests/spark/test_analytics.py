"""The Spark analytics job against the real Kafka broker, Spark in local[2].

One scenario, run once for the module (Spark's start-up is paid twice, not per test):

1. ``otel-agents analytics run`` starts on fresh topics and a fresh checkpoint;
2. the demo runs with its Kafka exporter pointed at those topics, malformed records and a
   feedback for an event nobody produced are sent along;
3. while a second demo run is producing, the job is SIGKILLed (no clean shutdown);
4. the job is restarted on the same checkpoint, this time with the command line that
   ``otel-agents analytics spark-submit`` prints, run by pyspark's own spark-submit;
5. a feedback for an outcome of step 2 is sent, then one outcome and one feedback dated
   two hours ahead move the watermarks past every window of the demo's events.

The tests then check what reached the output topics.
"""

from __future__ import annotations

import collections
import contextlib
import datetime as dt
import json
import os
import shlex
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from confluent_kafka import Producer

from otel_agents.analysis.tally import Tallies
from otel_agents.analytics import load_learning_schema, load_metrics_schema, window_id
from otel_agents.analytics.records import HEADER_REASON, HEADER_SOURCE
from otel_agents.events.outcome import OutcomeEvent
from otel_agents.events.schema import load
from tests.kafka.broker import create_topic, read_topic

pytestmark = [pytest.mark.integration, pytest.mark.timeout(900)]

_LATE = "5s"
_TICK_SERVICE = "analytics-test-clock"
_BIN = Path(sys.executable).parent
_CLI = (sys.executable, "-m", "otel_agents.cli")


@dataclass
class Scenario:
    bootstrap: str
    topics: dict[str, str]
    outcomes: list[dict[str, Any]]  # data of every outcome the demo produced
    demo_feedback: list[dict[str, Any]]
    late_feedback: dict[str, Any]
    unknown_feedback: dict[str, Any]
    malformed: list[tuple[str, bytes, str]]  # (topic, value, expected reason)
    tick_sent_ms: int
    killed_after_batches: int
    metrics: list[Any]
    learning: list[Any]
    dead_letters: list[Any]


class _Job:
    """One analytics job process (its own session, so a kill takes the JVM with it)."""

    def __init__(self, argv: list[str], log: Path, env: dict[str, str]) -> None:
        self.log = log
        with open(log, "ab") as out:
            self.proc = subprocess.Popen(
                argv, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True
            )

    def wait_started(self, timeout: float = 300) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if "otel-agents analytics: started" in self.log.read_text(errors="replace"):
                return
            if self.proc.poll() is not None:
                pytest.fail(f"analytics job exited:\n{self.tail()}")
            time.sleep(0.5)
        pytest.fail(f"analytics job did not start in {timeout}s:\n{self.tail()}")

    def tail(self, lines: int = 60) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=60)

    def stop(self) -> None:
        if self.proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.kill()


def _rfc3339(moment: dt.datetime) -> str:
    return moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _feedback(event_id: str, kind: str, when: dt.datetime, agent: str | None) -> dict[str, Any]:
    feedback_id = str(uuid.uuid4())
    return {
        "specversion": "1.0",
        "id": feedback_id,
        "source": "/otel-agents/feedback/test",
        "type": "otel_agents.feedback.v1",
        "time": _rfc3339(when),
        "datacontenttype": "application/json",
        "data": {
            "schema_version": "1.0",
            "feedback_id": feedback_id,
            "event_id": event_id,
            "kind": kind,
            "score": 0.25,
            "correction": "cite the retention settings",
            "agent_name": agent,
            "time": _rfc3339(when),
            "origin": "api",
        },
    }


def _values(messages: list[Any]) -> list[dict[str, Any]]:
    return [json.loads(m.value()) for m in messages]


def _wait_for(
    bootstrap: str,
    topic: str,
    done: Callable[[list[Any]], bool],
    timeout: float = 240,
    expect: int = 0,
) -> list[Any]:
    """Read ``topic`` whole until ``done`` says so. Each read waits up to 10 s for
    ``expect`` messages: with none expected it returns once 1 s passed without any, which
    a fresh consumer's first fetch can take on a loaded machine."""
    deadline = time.monotonic() + timeout
    messages: list[Any] = []
    while time.monotonic() < deadline:
        messages = read_topic(bootstrap, topic, expect=expect, timeout=10, settle=1.0)
        if done(messages):
            return messages
        time.sleep(2)
    return messages


def _batches_committed(checkpoint: Path) -> int:
    commits = checkpoint / "otel-agents-metrics-60s" / "commits"
    return len([p for p in commits.glob("*") if p.name.isdigit()]) if commits.exists() else 0


@pytest.fixture(scope="module")
def scenario(
    kafka_bootstrap: str, spark_connector_jars: list[str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Scenario]:
    work = tmp_path_factory.mktemp("analytics")
    tag = uuid.uuid4().hex[:8]
    topics = {
        name: create_topic(kafka_bootstrap, f"{name}-{tag}", 2)
        for name in ("outcomes", "feedback", "metrics", "learning", "dead-letter")
    }
    checkpoint = work / "checkpoint"
    job_args = [
        "--bootstrap-servers",
        kafka_bootstrap,
        "--checkpoint",
        str(checkpoint),
        "--outcomes-topic",
        topics["outcomes"],
        "--feedback-topic",
        topics["feedback"],
        "--metrics-topic",
        topics["metrics"],
        "--learning-topic",
        topics["learning"],
        "--dead-letter-topic",
        topics["dead-letter"],
        "--late",
        _LATE,
        "--trigger",
        "1s",
        "--jars",
        ",".join(spark_connector_jars),
    ]
    env = dict(
        os.environ,
        OTEL_AGENTS_KAFKA_TOPIC=topics["outcomes"],
        OTEL_AGENTS_KAFKA_FEEDBACK_TOPIC=topics["feedback"],
        PYSPARK_PYTHON=sys.executable,
        PYSPARK_DRIVER_PYTHON=sys.executable,
        # Spark's scratch folders (block manager, artifacts) in the test's folder: the
        # killed job never removes its own, which would pile up in the system's.
        SPARK_LOCAL_DIRS=str(work / "spark-local"),
        SPARK_SUBMIT_OPTS=f"-Djava.io.tmpdir={work / 'java-tmp'}",
    )
    (work / "java-tmp").mkdir()
    env.pop("OTEL_AGENTS_KAFKA_BOOTSTRAP_SERVERS", None)
    producer = Producer({"bootstrap.servers": kafka_bootstrap})
    jobs: list[_Job] = []

    def demo(seed: int, log: Path) -> subprocess.Popen[bytes]:
        argv = [*_CLI, "demo", "--kafka", kafka_bootstrap]
        argv += ["--runs", "6", "--seed", str(seed), "--speed", "10", "--quiet"]
        argv += ["--outcome-log", str(log)]
        return subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, cwd=work)

    try:
        first = _Job(
            [*_CLI, "analytics", "run", "--master", "local[2]", *job_args],
            work / "job-1.log",
            env,
        )
        jobs.append(first)
        first.wait_started()
        assert demo(7, work / "outcomes-1.jsonl").wait(timeout=120) == 0

        malformed = [
            (topics["outcomes"], b"not json {", "not JSON"),
            (topics["outcomes"], b"", "empty record"),
            (topics["outcomes"], b"[1, 2]", "not a CloudEvents JSON object"),
            (
                topics["outcomes"],
                b'{"type": "otel_agents.outcome.v1", "data": {"event_id": "e-1"}}',
                "missing data.event_type",
            ),
            (topics["feedback"], b'{"type": "something.else", "data": {}}', "unexpected type "),
        ]
        broken_time = json.loads(
            (work / "outcomes-1.jsonl").read_text().splitlines()[0]
        )  # a real event whose end_time a buggy producer mangled
        broken_time["data"].update(event_id=str(uuid.uuid4()), end_time="yesterday")
        malformed.append(
            (
                topics["outcomes"],
                json.dumps(broken_time).encode(),
                "data.end_time is not an RFC 3339 date-time",
            )
        )
        for topic, value, _reason in malformed:
            producer.produce(topic, value)
        unknown = _feedback(
            str(uuid.uuid4()), "negative", dt.datetime.now(dt.timezone.utc), "ghost"
        )
        producer.produce(topics["feedback"], json.dumps(unknown).encode())
        producer.flush(30)

        # Kill while the second demo run is producing, after the job committed batches.
        deadline = time.monotonic() + 120
        while _batches_committed(checkpoint) < 2 and time.monotonic() < deadline:
            time.sleep(0.5)
        second_demo = demo(8, work / "outcomes-2.jsonl")
        time.sleep(1.0)
        killed_after = _batches_committed(checkpoint)
        first.kill()
        assert second_demo.wait(timeout=120) == 0

        printed = subprocess.run(
            [*_CLI, "analytics", "spark-submit", "--master", "local[2]", *job_args],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split("\n")[0]
        argv = shlex.split(printed)
        assert argv[0] == "spark-submit"
        argv[0] = str(_BIN / "spark-submit")
        second = _Job(argv, work / "job-2.log", env)
        jobs.append(second)
        second.wait_started()

        outcomes = [
            OutcomeEvent.from_json_bytes(line).data()
            for log in ("outcomes-1.jsonl", "outcomes-2.jsonl")
            for line in (work / log).read_text().splitlines()
        ]
        writer_outcome = next(o for o in outcomes if o["name"] == "writer")
        late = _feedback(
            writer_outcome["event_id"], "correction", dt.datetime.now(dt.timezone.utc), "writer"
        )
        producer.produce(topics["feedback"], json.dumps(late).encode())
        producer.flush(30)

        # Past every window of the demo's events plus the feedback delay (1 h): learning
        # windows wait for that too, since feedback may be joined that late.
        ahead = dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=2)
        tick = json.loads((work / "outcomes-1.jsonl").read_text().splitlines()[0])
        tick["data"].update(
            event_id=str(uuid.uuid4()),
            start_time=_rfc3339(ahead),
            end_time=_rfc3339(ahead),
            name="tick",
        )
        tick["data"]["resource"] = {"service_name": _TICK_SERVICE}
        tick_sent_ms = int(time.time() * 1000)
        producer.produce(topics["outcomes"], json.dumps(tick).encode())
        tick_feedback = _feedback(str(uuid.uuid4()), "positive", ahead, _TICK_SERVICE)
        producer.produce(topics["feedback"], json.dumps(tick_feedback).encode())
        producer.flush(30)

        demo_names = {(o["kind"], o["name"]) for o in outcomes}
        metrics = _wait_for(
            kafka_bootstrap,
            topics["metrics"],
            lambda ms: (
                {(v["kind"], v["name"], v["window_seconds"]) for v in _values(ms)}
                >= {(k, n, w) for k, n in demo_names for w in (60, 300)}
                and sum(v["calls"] for v in _values(ms) if v["window_seconds"] == 60)
                >= len(outcomes)
            ),
        )
        feedback = [
            json.loads(m.value())["data"]
            for m in read_topic(kafka_bootstrap, topics["feedback"], expect=1, timeout=30)
            if m.value().startswith(b"{") and b"otel_agents.feedback.v1" in m.value()
        ]
        expected_pairs = {f["feedback_id"] for f in feedback} - {tick_feedback["id"]}
        learning = _wait_for(
            kafka_bootstrap,
            topics["learning"],
            lambda ms: (
                {v["id"] for v in _values(ms) if v["record"] == "pair"} >= expected_pairs
                and sum(v["feedback"] for v in _values(ms) if v["record"] == "window")
                >= len(expected_pairs)
            ),
        )
        dead = _wait_for(
            kafka_bootstrap,
            topics["dead-letter"],
            lambda ms: len(ms) >= len(malformed),
            expect=len(malformed),
        )
        excluded = {late["id"], unknown["id"], tick_feedback["id"]}
        yield Scenario(
            bootstrap=kafka_bootstrap,
            topics=topics,
            outcomes=outcomes,
            demo_feedback=[f for f in feedback if f["feedback_id"] not in excluded],
            late_feedback=late["data"],
            unknown_feedback=unknown["data"],
            malformed=malformed,
            tick_sent_ms=tick_sent_ms,
            killed_after_batches=killed_after,
            metrics=metrics,
            learning=learning,
            dead_letters=dead,
        )
    finally:
        for job in jobs:
            job.stop()
        for job in jobs:
            sys.stderr.write(f"--- {job.log.name}\n{job.tail(20)}\n")


def _deduplicated(messages: list[Any]) -> dict[str, dict[str, Any]]:
    """The documented consumer contract: the last record per id wins; repeats are equal."""
    by_id: dict[str, dict[str, Any]] = {}
    for value in _values(messages):
        previous = by_id.get(value["id"])
        assert previous is None or previous == value, "a repeated window changed its figures"
        by_id[value["id"]] = value
    return by_id


def _bucket(end_time: str, seconds: int) -> str:
    moment = dt.datetime.fromisoformat(end_time.replace("Z", "+00:00"))
    start = int(moment.timestamp()) // seconds * seconds
    return dt.datetime.fromtimestamp(start, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


# -- agent-metrics ------------------------------------------------------------------


def test_metrics_windows_equal_the_tally_of_the_same_events(scenario: Scenario) -> None:
    windows = {
        (w["window_seconds"], w["window_start"], w["kind"], w["name"]): w
        for w in _deduplicated(scenario.metrics).values()
        if w["service"] != _TICK_SERVICE
    }
    for seconds in (60, 300):
        groups: dict[tuple[str, str, str], list[dict[str, Any]]] = collections.defaultdict(list)
        for data in scenario.outcomes:
            groups[(_bucket(data["end_time"], seconds), data["kind"], data["name"])].append(data)
        assert {(seconds, *key) for key in groups} == {k for k in windows if k[0] == seconds}
        for (start, kind, name), events in groups.items():
            tally = Tallies()
            tally.add_all(events)
            stats = tally.stats[(kind, name)]
            window = windows[(seconds, start, kind, name)]
            assert window["service"] == "otel-agents-demo"
            assert window["calls"] == stats.calls
            assert {s: c for s, c in window["statuses"].items() if c} == dict(stats.statuses)
            assert window["success_rate"] == pytest.approx(stats.success_rate)
            assert window["input_tokens"] == stats.input_tokens
            assert window["output_tokens"] == stats.output_tokens
            assert window["cost_usd"] == pytest.approx(stats.cost_usd, abs=1e-9)
            for field, source in (
                ("quality_mean", "quality_score"),
                ("confidence_mean", "confidence_score"),
                ("reward_mean", "reward"),
            ):
                expected = _mean([e[source] for e in events if e.get(source) is not None])
                assert window[field] == pytest.approx(expected)
            ordered = sorted(stats.durations_ms)
            assert window["duration_ms"]["max"] == ordered[-1]
            for q, field in ((0.5, "p50"), (0.95, "p95"), (0.99, "p99")):
                # Both are nearest-rank; percentile_approx's documented error is a rank
                # within n/10000 of it (so exact for windows this small).
                exact = stats.percentile(q)
                assert exact is not None
                rank = ordered.index(window["duration_ms"][field])
                assert abs(rank - ordered.index(exact)) <= len(ordered) / 10_000


def test_metrics_records_follow_their_published_schema_and_ids(scenario: Scenario) -> None:
    schema = load_metrics_schema()
    validator = jsonschema.Draft202012Validator(schema)
    for message in scenario.metrics:
        value = json.loads(message.value())
        validator.validate(value)
        assert message.key().decode() == value["name"]
        assert value["id"] == window_id(
            "metrics",
            value["service"],
            value["kind"],
            value["name"],
            value["window_seconds"],
            value["window_start"],
        )


def test_restart_after_a_kill_loses_nothing_and_repeats_windows_identically(
    scenario: Scenario,
) -> None:
    # The job was killed mid-stream: after it had committed batches, while events came in.
    assert scenario.killed_after_batches >= 2
    windows = [w for w in _deduplicated(scenario.metrics).values() if w["service"] != _TICK_SERVICE]
    for seconds in (60, 300):
        counted = sum(w["calls"] for w in windows if w["window_seconds"] == seconds)
        assert counted == len(scenario.outcomes), f"{seconds}s windows lost or doubled events"


# -- agent-learning -----------------------------------------------------------------


def _pairs(scenario: Scenario) -> dict[str, dict[str, Any]]:
    return {v["id"]: v for v in _deduplicated(scenario.learning).values() if v["record"] == "pair"}


def test_feedback_sent_after_its_outcome_is_joined_to_it(scenario: Scenario) -> None:
    pairs = _pairs(scenario)
    outcomes = {o["event_id"]: o for o in scenario.outcomes}
    assert scenario.demo_feedback, "the demo sent no feedback"
    for feedback in [*scenario.demo_feedback, scenario.late_feedback]:
        pair = pairs[feedback["feedback_id"]]
        assert pair["matched"] is True
        assert pair["feedback"]["kind"] == feedback["kind"]
        outcome = outcomes[feedback["event_id"]]
        assert pair["outcome"]["event_id"] == outcome["event_id"]
        assert pair["outcome"]["status"] == outcome["status"]
        assert pair["agent"] == outcome["agent_name"] == "writer"
        assert pair["outcome"]["reward"] == outcome.get("reward")


def test_learning_windows_count_feedback_per_agent(scenario: Scenario) -> None:
    windows = [
        v
        for v in _deduplicated(scenario.learning).values()
        if v["record"] == "window" and v["agent"] == "writer"
    ]
    sent = [*scenario.demo_feedback, scenario.late_feedback]
    assert sum(w["feedback"] for w in windows) == len(sent)
    assert sum(w["positive"] for w in windows) == sum(f["kind"] == "positive" for f in sent)
    assert sum(w["negative"] for w in windows) == sum(f["kind"] == "negative" for f in sent)
    assert sum(w["corrections"] for w in windows) == 1
    assert all(w["unmatched"] == 0 and w["model"] == "gpt-4o" for w in windows)
    validator = jsonschema.Draft202012Validator(load_learning_schema())
    for value in _values(scenario.learning):
        validator.validate(value)


def test_feedback_for_an_unknown_event_is_kept_until_its_watermark_then_counted(
    scenario: Scenario,
) -> None:
    unknown = scenario.unknown_feedback
    messages = [
        m for m in scenario.learning if json.loads(m.value())["id"] == unknown["feedback_id"]
    ]
    assert messages, "feedback for an unknown event was lost"
    pair = json.loads(messages[0].value())
    assert pair["matched"] is False and pair["outcome"] is None
    assert pair["agent"] == "ghost"
    # Held in the join's state (through the kill) until the watermark passed it, which
    # only the clock records did: nothing was published for it before they were sent.
    assert all(m.timestamp()[1] >= scenario.tick_sent_ms for m in messages)
    ghost_windows = [
        v
        for v in _deduplicated(scenario.learning).values()
        if v["record"] == "window" and v["agent"] == "ghost"
    ]
    assert [(w["unmatched"], w["feedback"], w["negative"]) for w in ghost_windows] == [(1, 1, 1)]


# -- consumers -------------------------------------------------------------------------


def test_monitor_from_analytics_shows_the_jobs_latest_windows(scenario: Scenario) -> None:
    out = subprocess.run(
        [
            *_CLI,
            "monitor",
            "--bootstrap-servers",
            scenario.bootstrap,
            "--from-analytics",
            "--metrics-topic",
            scenario.topics["metrics"],
            "--learning-topic",
            scenario.topics["learning"],
            "--status",
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    shown = json.loads(out.stdout)
    latest: dict[tuple[Any, ...], dict[str, Any]] = {}
    for window in _deduplicated(scenario.metrics).values():
        key = (window["service"], window["kind"], window["name"], window["window_seconds"])
        if key not in latest or latest[key]["window_start"] < window["window_start"]:
            latest[key] = window
    assert sorted(shown["metrics"], key=lambda w: w["id"]) == sorted(
        latest.values(), key=lambda w: w["id"]
    )
    assert {w["agent"] for w in shown["learning"]} >= {"writer", "ghost"}
    assert shown["pairs_seen"] >= len(scenario.demo_feedback) + 2


# -- dead letters -------------------------------------------------------------------


def test_malformed_records_reach_the_dead_letter_topic_with_their_reason(
    scenario: Scenario,
) -> None:
    # Dead letters are at-least-once like every sink of the job: a batch replayed after the
    # kill may write one again. The source offset header is its key, so count by it.
    by_source = {}
    for m in scenario.dead_letters:
        headers = dict((k, v.decode()) for k, v in (m.headers() or []))
        by_source[headers[HEADER_SOURCE]] = (m.value() or b"", headers)
    letters = list(by_source.values())
    assert len(letters) == len(scenario.malformed)
    for topic, value, reason in scenario.malformed:
        matches = [headers for body, headers in letters if body == value]
        assert len(matches) == 1, f"{value!r} not dead-lettered once"
        assert matches[0][HEADER_REASON].startswith(reason)
        assert matches[0][HEADER_SOURCE].startswith(f"{topic}/")


# -- schemas and packaging (no Spark job needed) ---------------------------------------

_SPARK_TYPES = {"string": "string", "integer": "bigint", "number": "double"}


def _json_type(spec: dict[str, Any]) -> str | None:
    if "const" in spec or ("enum" in spec and all(isinstance(v, str) for v in spec["enum"])):
        return "string"
    kinds = spec.get("type")
    kinds = [kinds] if isinstance(kinds, str) else [k for k in kinds or [] if k != "null"]
    return kinds[0] if len(kinds) == 1 else None


def _assert_matches(struct: Any, schema: dict[str, Any], skipped: frozenset[str], at: str) -> None:
    from pyspark.sql.types import ArrayType, StructType

    properties = schema["properties"]
    fields = {f.name: f.dataType for f in struct.fields if not f.name.startswith("_")}
    missing = set(properties) - set(fields) - skipped
    assert not missing, f"{at}: JSON Schema fields the Spark schema lacks: {sorted(missing)}"
    for name, kind in fields.items():
        assert name in properties, f"{at}.{name} is not in the JSON Schema"
        spec = properties[name]
        json_type = _json_type(spec)
        if isinstance(kind, StructType):
            assert json_type == "object"
            _assert_matches(kind, spec, frozenset({"attributes"}), f"{at}.{name}")
        elif isinstance(kind, ArrayType):
            assert json_type == "array"
            assert _SPARK_TYPES[spec["items"]["type"]] == kind.elementType.simpleString()
        else:
            assert json_type is not None, f"{at}.{name}: no single JSON type"
            assert _SPARK_TYPES[json_type] == kind.simpleString(), f"{at}.{name}"


def test_spark_schemas_match_the_shipped_json_schemas(spark_connector_jars: list[str]) -> None:
    from otel_agents.analytics import schemas

    for struct, file_name, skipped in (
        (schemas.OUTCOME_EVENT, "outcome-event-v1.json", schemas.SKIPPED_OUTCOME_FIELDS),
        (schemas.FEEDBACK_EVENT, "feedback-event-v1.json", schemas.SKIPPED_FEEDBACK_FIELDS),
    ):
        schema = load(file_name)
        envelope = schema["properties"]
        assert {f.name for f in struct.fields} == set(envelope)
        data_struct = struct["data"].dataType
        _assert_matches(data_struct, envelope["data"], skipped, f"{file_name}:data")
        for required in envelope["data"]["required"]:
            assert required in data_struct.fieldNames()


def test_outcome_statuses_cover_the_schema_enum(spark_connector_jars: list[str]) -> None:
    from otel_agents.analytics.parse import OUTCOME_STATUSES

    enum = load("outcome-event-v1.json")["properties"]["data"]["properties"]["status"]["enum"]
    assert {*OUTCOME_STATUSES, "PENDING"} == set(enum)
    statuses = load_metrics_schema()["properties"]["statuses"]["required"]
    assert list(OUTCOME_STATUSES) == statuses


def test_importing_otel_agents_does_not_import_pyspark() -> None:
    code = (
        "import sys, otel_agents, otel_agents.analytics, otel_agents.cli.analytics;"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('pyspark', 'py4j')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
