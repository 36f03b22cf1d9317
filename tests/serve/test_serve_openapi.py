"""The OpenAPI document, exercised by schemathesis against a running server: no 5xx, and
every answer matches the document (status codes, content types, bodies), auth included."""

from __future__ import annotations

from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, given, settings

from otel_agents.serve import schemas
from otel_agents.serve.openapi import openapi_document
from tests.serve.conftest import TOKEN, StartServer, run_demo


def test_api_conforms_to_its_openapi_document(start_server: StartServer, tmp_path: Path) -> None:
    log = tmp_path / "outcomes.jsonl"
    run_demo(tmp_path, "--runs", "3", "--speed", "10", "--outcome-log", str(log))
    server = start_server("--log", str(log), token=TOKEN)
    server.wait_ready()
    schema = schemathesis.openapi.from_url(server.url + "/openapi.json")
    auth = {"Authorization": f"Bearer {TOKEN}"}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 9

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
        def check(case: schemathesis.Case) -> None:
            # Every check: no 5xx, documented status, content type and body, and auth
            # enforced (the ignored_auth check calls without the token too).
            case.call_and_validate(headers=auth, timeout=30)

        check()


def test_document_and_message_schemas_are_valid() -> None:
    from jsonschema import Draft202012Validator

    for name in schemas.names():
        Draft202012Validator.check_schema(schemas.load(name))
    document = openapi_document()
    assert document["openapi"].startswith("3.1")
    assert set(document["components"]["schemas"]) >= {"Action", "AgentFigures", "Learning"}
