"""``otel-agents replay``: send spooled OutcomeEvents to Kafka now, oldest first.

The exporter replays on its own once the broker answers; this is for a spool left behind
by a process that has gone (a finished batch job, a crashed pod's volume).

    $ otel-agents replay --bootstrap-servers kafka:9092 --spool-dir /var/lib/app/spool
    replayed 1200 event(s); 0 segment(s) left in /var/lib/app/spool
"""

from __future__ import annotations

import argparse
import logging
from typing import Any

from otel_agents.errors import ConfigurationError


def register(subparsers: Any) -> None:
    """Add the ``replay`` subcommand to the CLI."""
    parser = subparsers.add_parser(
        "replay",
        help="send spooled outcome events to Kafka now",
        description=(
            "Replay the local spool to Kafka, oldest first, deleting each segment once every "
            "record in it was acknowledged. Unset options come from the OTEL_AGENTS_KAFKA_* "
            "environment, like the exporter's."
        ),
    )
    parser.add_argument("--bootstrap-servers", help="host:port[,host:port]")
    parser.add_argument("--topic", help="only used for events spooled without a topic")
    parser.add_argument("--spool-dir", help="folder of the spool to replay")
    parser.add_argument(
        "--timeout", type=float, default=120.0, help="give up after this many seconds"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Replay; exit 0 when the spool is empty afterwards, 1 when some is left, 2 on bad config."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s")
    from otel_agents.export.kafka.exporter import KafkaOutcomeExporter

    try:
        exporter = KafkaOutcomeExporter(
            bootstrap_servers=args.bootstrap_servers,
            topic=args.topic,
            spool_dir=args.spool_dir,
            shutdown_timeout_millis=5000,
        )
    except ConfigurationError as exc:
        print(f"otel-agents replay: {exc}")
        return 2
    before = exporter.stats()
    try:
        replayed = exporter.replay(timeout_s=args.timeout)
    finally:
        exporter.shutdown()
    after = exporter.stats()
    left = len(exporter.spool.pending_segments())
    print(f"replayed {replayed} event(s); {left} segment(s) left in {exporter.spool.directory}")
    rejected = after.rejected - before.rejected
    if rejected:
        print(
            f"{rejected} event(s) refused by Kafka moved to {exporter.spool.directory}/rejected "
            "(the reason is logged above and kept in each record's header)"
        )
    if after.damaged:
        print(
            f"{after.damaged} damaged stretch(es) of the spool skipped (offsets logged above; "
            f"bytes saved in {exporter.spool.directory}/rejected); every intact record was sent"
        )
    return 0 if left == 0 else 1
