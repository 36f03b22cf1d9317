"""``@oa.agent`` around real OpenAI client calls to a fake OpenAI-compatible server on
127.0.0.1, traced by OpenLLMetry's and OpenInference's OpenAI instrumentations at once
(two stacked LLM spans per call: each call must still count once)."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import openai
from _outcomes import PROMPT, configure, finish
from openinference.instrumentation.openai import OpenAIInstrumentor as OpenInferenceOpenAI
from opentelemetry.instrumentation.openai import OpenAIInstrumentor as TraceloopOpenAI

import otel_agents as oa

MODEL = "gpt-4o-mini"
SERVED_MODEL = "gpt-4o-mini-2024-07-18"
USAGE = {"prompt_tokens": 120, "completion_tokens": 30, "cached_tokens": 20}


class FakeOpenAI(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if request["model"] == "broken-model":
            self._reply(500, {"error": {"message": "upstream failure", "type": "server_error"}})
            return
        self._reply(
            200,
            {
                "id": "chatcmpl-1",
                "object": "chat.completion",
                "created": 0,
                "model": SERVED_MODEL,
                "choices": [
                    {
                        "index": 0,
                        "finish_reason": "stop",
                        "message": {"role": "assistant", "content": "Sunny."},
                    }
                ],
                "usage": {
                    "prompt_tokens": USAGE["prompt_tokens"],
                    "completion_tokens": USAGE["completion_tokens"],
                    "total_tokens": USAGE["prompt_tokens"] + USAGE["completion_tokens"],
                    "prompt_tokens_details": {"cached_tokens": USAGE["cached_tokens"]},
                },
            },
        )

    def _reply(self, code: int, body: dict[str, Any]) -> None:
        payload = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: Any) -> None:
        pass


server = ThreadingHTTPServer(("127.0.0.1", 0), FakeOpenAI)
threading.Thread(target=server.serve_forever, daemon=True).start()

telemetry = configure("llm-client-app")
TraceloopOpenAI().instrument(tracer_provider=telemetry.tracer_provider)
OpenInferenceOpenAI().instrument(tracer_provider=telemetry.tracer_provider)
client = openai.OpenAI(
    base_url=f"http://127.0.0.1:{server.server_port}/v1",
    api_key="sk-test-not-a-real-key",
    max_retries=0,
)


@oa.tool
def get_weather(city: str) -> str:
    return "sunny"


@oa.agent(name="weather_agent")
def weather_agent(question: str) -> str:
    for _ in range(2):
        client.chat.completions.create(
            model=MODEL, messages=[{"role": "user", "content": question}]
        )
    return get_weather("Paris")


@oa.agent(name="failing_agent")
def failing_agent(question: str) -> str:
    response = client.chat.completions.create(
        model="broken-model", messages=[{"role": "user", "content": question}]
    )
    return str(response)


with oa.session("session-42"), oa.user("user-7"):
    weather_agent(PROMPT)
error_type = None
try:
    failing_agent(PROMPT)
except openai.InternalServerError as exc:
    error_type = f"{type(exc).__module__}.{type(exc).__qualname__}"
server.shutdown()

finish(
    {
        "agent": "weather_agent",
        "tools": ["get_weather"],
        "input_tokens": 2 * USAGE["prompt_tokens"],
        "output_tokens": 2 * USAGE["completion_tokens"],
        "cached_input_tokens": 2 * USAGE["cached_tokens"],
        "llm_calls": 2,
        "model": SERVED_MODEL,
        "failing_agent": "failing_agent",
        "error_type": error_type,
        "session_id": "session-42",
        "user_id": "user-7",
    }
)
