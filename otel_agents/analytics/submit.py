"""The spark-submit command line that runs the analytics job on a cluster. No Spark needed.

    print(submit_command(settings, master="yarn", deploy_mode="cluster",
                         py_files="otel_agents-0.1.0-py3-none-any.whl"))

The job is Spark SQL only (no Python UDF), so executors need no Python package; the
driver imports ``otel_agents`` (installed where spark-submit runs, or shipped with
``--py-files`` for cluster deploy mode).
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping, Sequence
from pathlib import Path

from otel_agents.analytics.settings import AnalyticsSettings

SPARK_VERSION = "4.2.0"
KAFKA_PACKAGE = f"org.apache.spark:spark-sql-kafka-0-10_2.13:{SPARK_VERSION}"
#: A job on one machine listens on loopback only, without the web UI.
LOCAL_CONF: Mapping[str, str] = {
    "spark.driver.host": "127.0.0.1",
    "spark.driver.bindAddress": "127.0.0.1",
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.shuffle.partitions": "2",
}


def entry_script() -> str:
    """Path of the script spark-submit runs: this package's ``__main__.py``."""
    return str(Path(__file__).with_name("__main__.py"))


def job_arguments(settings: AnalyticsSettings) -> list[str]:
    """The ``analytics run`` arguments that reproduce ``settings``."""
    s = settings
    args = [
        "--bootstrap-servers",
        s.bootstrap_servers,
        "--checkpoint",
        s.checkpoint,
        "--outcomes-topic",
        s.outcomes_topic,
        "--feedback-topic",
        s.feedback_topic,
        "--metrics-topic",
        s.metrics_topic,
        "--learning-topic",
        s.learning_topic,
        "--dead-letter-topic",
        s.dead_letter_topic,
    ]
    for window in s.windows_s:
        args += ["--window", _seconds(window)]
    args += [
        "--late",
        _seconds(s.late_s),
        "--feedback-delay",
        _seconds(s.feedback_delay_s),
        "--learning-window",
        _seconds(s.learning_window_s),
        "--trigger",
        _seconds(s.trigger_s),
        "--starting-offsets",
        s.starting_offsets,
    ]
    if s.max_offsets_per_trigger:
        args += ["--max-offsets-per-trigger", str(s.max_offsets_per_trigger)]
    for key, value in s.kafka_options.items():
        args += ["--kafka-option", f"{key}={value}"]
    return args


def submit_command(
    settings: AnalyticsSettings,
    *,
    master: str = "yarn",
    deploy_mode: str | None = None,
    jars: Sequence[str] = (),
    py_files: str | None = None,
    conf: Mapping[str, str] | None = None,
    spark_submit: str = "spark-submit",
) -> str:
    """One shell-quoted spark-submit line for ``settings``.

    submit_command(settings, master="local[2]", jars=["/opt/jars/kafka.jar"])
    """
    return shlex.join(
        submit_argv(
            settings,
            master=master,
            deploy_mode=deploy_mode,
            jars=jars,
            py_files=py_files,
            conf=conf,
            spark_submit=spark_submit,
        )
    )


def submit_argv(
    settings: AnalyticsSettings,
    *,
    master: str = "yarn",
    deploy_mode: str | None = None,
    jars: Sequence[str] = (),
    py_files: str | None = None,
    conf: Mapping[str, str] | None = None,
    spark_submit: str = "spark-submit",
) -> list[str]:
    """``submit_command`` as an argument list (for ``subprocess``)."""
    argv = [spark_submit, "--master", master, "--name", "otel-agents-analytics"]
    if deploy_mode:
        argv += ["--deploy-mode", deploy_mode]
    argv += ["--jars", ",".join(jars)] if jars else ["--packages", KAFKA_PACKAGE]
    if py_files:
        argv += ["--py-files", py_files]
    settings_conf = dict(LOCAL_CONF) if master.startswith("local") else {}
    settings_conf.update(conf or {})
    for key, value in settings_conf.items():
        argv += ["--conf", f"{key}={value}"]
    return [*argv, entry_script(), *job_arguments(settings)]


def _seconds(value: float) -> str:
    return f"{round(value * 1000)}ms" if value != int(value) else f"{int(value)}s"
