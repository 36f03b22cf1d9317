"""The rich console every subcommand prints with."""

from __future__ import annotations

import sys

from rich.console import Console


def make_console() -> Console:
    # Piped output gets rich's 80-column default, too narrow for the tables.
    return Console(width=None if sys.stdout.isatty() else 120)
