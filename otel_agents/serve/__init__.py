"""``otel-agents serve``: a live feed for frontends — REST, WebSocket and a built-in page.

    from otel_agents.monitor import FileSource
    from otel_agents.serve import ServeSettings, create_app
    app = create_app(FileSource([log, feedback_log], from_beginning=True), ServeSettings())

Needs the ``serve`` extra (``pip install 'otel-agents[serve]'``). Modules, one job each:
``settings`` (options and their env vars), ``feed`` (source → the monitor's tally →
messages), ``store`` (recent actions and workflow runs), ``figures`` (what the API shows
of the tally), ``messages`` (message shapes, schemas in ``schemas/``), ``hub`` (per-client
bounded queues), ``security`` (token, body limit, origins), ``rest``, ``ws``, ``openapi``,
``app`` (the ASGI app) and ``static/`` (the page).
"""

from otel_agents.serve.app import create_app
from otel_agents.serve.settings import ServeSettings

__all__ = ["ServeSettings", "create_app"]
