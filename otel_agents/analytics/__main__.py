"""``python -m otel_agents.analytics [run] ARGS`` and the script spark-submit runs."""

import argparse
import sys

from otel_agents.analytics.command import add_run_parser


def main() -> int:
    parser = argparse.ArgumentParser(prog="otel-agents-analytics")
    add_run_parser(parser.add_subparsers(dest="command", required=True))
    argv = sys.argv[1:]
    args = parser.parse_args(argv if argv[:1] == ["run"] else ["run", *argv])
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
