"""``python -m otel_agents.cli``: the same as the ``otel-agents`` command."""

import sys

from otel_agents.cli import main

sys.exit(main())
