# The demo service of docker-compose.yml: otel-agents' simulated multi-agent
# workflow, run in a loop. Built from this repository.
FROM python:3.12.12-slim-bookworm
WORKDIR /src
COPY pyproject.toml README.md ./
COPY otel_agents ./otel_agents
RUN pip install --no-cache-dir . \
    && useradd --system --uid 10001 agent
USER agent
ENTRYPOINT ["otel-agents"]
CMD ["demo", "--loop", "--quiet"]
