"""The ``analytics`` command: run the Spark analytics job, or print its spark-submit line.

Lives in the analytics package (not ``cli``) so that spark-submit can start the job from
``otel_agents/analytics/__main__.py`` without the rest of the command line.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import time
from typing import Any

from otel_agents.analytics.settings import (
    DEFAULT_CHECKPOINT,
    DEFAULT_DEAD_LETTER_TOPIC,
    DEFAULT_LEARNING_TOPIC,
    DEFAULT_METRICS_TOPIC,
    AnalyticsSettings,
    parse_duration,
)
from otel_agents.analytics.submit import submit_command
from otel_agents.errors import ConfigurationError

_NEEDS_SPARK = (
    "otel-agents analytics needs Apache Spark: pip install 'otel-agents[spark]' "
    "(pyspark 4.2.0) and a Java 17 runtime"
)


def register(subparsers: Any) -> None:
    """Add ``analytics run`` and ``analytics spark-submit`` to the CLI's subparsers."""
    parser = subparsers.add_parser(
        "analytics",
        help="stream analytics on Apache Spark: agent-metrics and agent-learning topics",
        description=(
            "A Spark Structured Streaming job over agent-outcomes and agent-feedback: "
            "windowed per-agent metrics, feedback joined to outcomes, dead letters."
        ),
    )
    commands = parser.add_subparsers(dest="analytics_command", metavar="COMMAND")
    add_run_parser(commands)
    submit = commands.add_parser(
        "spark-submit", help="print the spark-submit command line that runs the job on a cluster"
    )
    _add_job_arguments(submit)
    submit.add_argument("--master", default="yarn", help="Spark master (default yarn)")
    submit.add_argument(
        "--deploy-mode", choices=("client", "cluster"), help="spark-submit --deploy-mode"
    )
    submit.add_argument(
        "--py-files",
        help="zip or wheel of otel-agents for the driver in cluster deploy mode",
    )
    submit.set_defaults(func=_print_submit)
    parser.set_defaults(func=lambda _args: parser.print_help() or 2)


def add_run_parser(commands: Any) -> argparse.ArgumentParser:
    """The ``run`` subcommand (also what spark-submit runs)."""
    run: argparse.ArgumentParser = commands.add_parser(
        "run", help="run the job here until stopped (Ctrl-C)"
    )
    _add_job_arguments(run)
    run.add_argument("--master", help="Spark master (default local[2]; ignored under spark-submit)")
    run.add_argument(
        "--duration", type=float, help="stop after this many seconds (default: run until stopped)"
    )
    run.set_defaults(func=_run)
    return run


def _add_job_arguments(parser: argparse.ArgumentParser) -> None:
    kafka = parser.add_argument_group("Kafka")
    kafka.add_argument(
        "--bootstrap-servers", help="host:port[,…] (default OTEL_AGENTS_KAFKA_BOOTSTRAP_SERVERS)"
    )
    kafka.add_argument("--outcomes-topic", help="default OTEL_AGENTS_KAFKA_TOPIC or agent-outcomes")
    kafka.add_argument(
        "--feedback-topic", help="default OTEL_AGENTS_KAFKA_FEEDBACK_TOPIC or agent-feedback"
    )
    kafka.add_argument("--metrics-topic", default=DEFAULT_METRICS_TOPIC)
    kafka.add_argument("--learning-topic", default=DEFAULT_LEARNING_TOPIC)
    kafka.add_argument("--dead-letter-topic", default=DEFAULT_DEAD_LETTER_TOPIC)
    kafka.add_argument(
        "--kafka-option",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="Kafka client setting for source and sink, e.g. security.protocol=SSL",
    )
    kafka.add_argument("--starting-offsets", choices=("earliest", "latest"), default="earliest")
    kafka.add_argument("--max-offsets-per-trigger", type=int, help="cap a micro-batch's size")
    job = parser.add_argument_group("job")
    job.add_argument(
        "--checkpoint",
        default=DEFAULT_CHECKPOINT,
        help=f"checkpoint folder or URI ({DEFAULT_CHECKPOINT})",
    )
    job.add_argument(
        "--window",
        action="append",
        metavar="DURATION",
        help="metrics window length; repeat for several (default 1m and 5m)",
    )
    job.add_argument("--late", default="1m", help="watermark delay for late events (1m)")
    job.add_argument(
        "--feedback-delay", default="1h", help="how late feedback may follow its outcome (1h)"
    )
    job.add_argument("--learning-window", default="5m", help="agent-learning window (5m)")
    job.add_argument("--trigger", default="5s", help="micro-batch interval (5s)")
    spark = parser.add_argument_group("Spark")
    spark.add_argument(
        "--jars",
        help="comma-separated connector jars (default: --packages "
        "org.apache.spark:spark-sql-kafka-0-10_2.13:4.2.0, resolved from Maven Central)",
    )
    spark.add_argument(
        "--conf", action="append", default=[], metavar="KEY=VALUE", help="a Spark setting"
    )


def _pairs(items: list[str], flag: str) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ConfigurationError(f"{flag}: {item!r} is not KEY=VALUE")
        pairs[key.strip()] = value
    return pairs


def settings_from(args: argparse.Namespace) -> AnalyticsSettings:
    """AnalyticsSettings from the parsed command line (ConfigurationError if invalid)."""
    windows = args.window or ["1m", "5m"]
    return AnalyticsSettings.from_environment(
        bootstrap_servers=args.bootstrap_servers,
        checkpoint=args.checkpoint,
        outcomes_topic=args.outcomes_topic,
        feedback_topic=args.feedback_topic,
        metrics_topic=args.metrics_topic,
        learning_topic=args.learning_topic,
        dead_letter_topic=args.dead_letter_topic,
        windows_s=tuple(parse_duration(w, "--window") for w in windows),
        late_s=parse_duration(args.late, "--late"),
        feedback_delay_s=parse_duration(args.feedback_delay, "--feedback-delay"),
        learning_window_s=parse_duration(args.learning_window, "--learning-window"),
        trigger_s=parse_duration(args.trigger, "--trigger"),
        starting_offsets=args.starting_offsets,
        max_offsets_per_trigger=args.max_offsets_per_trigger,
        kafka_options=_pairs(args.kafka_option, "--kafka-option"),
    )


def _print_submit(args: argparse.Namespace) -> int:
    try:
        settings = settings_from(args)
        conf = _pairs(args.conf, "--conf")
    except ConfigurationError as exc:
        print(f"otel-agents analytics: {exc}", file=sys.stderr)
        return 2
    jars = [j for j in (args.jars or "").split(",") if j]
    print(
        submit_command(
            settings,
            master=args.master,
            deploy_mode=args.deploy_mode,
            jars=jars,
            py_files=args.py_files,
            conf=conf,
        )
    )
    return 0


def _run(args: argparse.Namespace) -> int:
    try:
        settings = settings_from(args)
        conf = _pairs(args.conf, "--conf")
    except ConfigurationError as exc:
        print(f"otel-agents analytics: {exc}", file=sys.stderr)
        return 2
    try:
        from otel_agents.analytics.job import (
            KAFKA_PACKAGE,
            AnalyticsJob,
            build_session,
            launched_by_spark_submit,
        )
    except ImportError:
        print(_NEEDS_SPARK, file=sys.stderr)
        return 2
    jars = [j for j in (args.jars or "").split(",") if j]
    started = time.monotonic()
    if launched_by_spark_submit():
        spark = build_session(conf=conf)
    else:
        spark = build_session(
            master=args.master or "local[2]",
            jars=jars,
            packages=() if jars else (KAFKA_PACKAGE,),
            conf=conf,
        )
    spark.sparkContext.setLogLevel("WARN")
    job = AnalyticsJob(spark, settings)
    job.start()
    print(
        f"otel-agents analytics: started in {time.monotonic() - started:.1f}s; "
        f"{settings.outcomes_topic} + {settings.feedback_topic} → {settings.metrics_topic}, "
        f"{settings.learning_topic} (dead letters: {settings.dead_letter_topic}); "
        f"checkpoint {settings.checkpoint}",
        flush=True,
    )
    stopping = threading.Event()

    def _stop(_signum: int, _frame: Any) -> None:
        stopping.set()

    # SIGTERM (a service manager, a test) stops the queries cleanly, as Ctrl-C does.
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    deadline = None if args.duration is None else time.monotonic() + args.duration
    try:
        while not stopping.is_set() and (deadline is None or time.monotonic() < deadline):
            failed = [q for q in job.queries if not q.isActive]
            if failed:
                error = failed[0].exception()
                print(
                    f"otel-agents analytics: query {failed[0].name} stopped: {error}",
                    file=sys.stderr,
                )
                return 1
            stopping.wait(0.5)
    finally:
        job.stop()
        spark.stop()
    return 0
