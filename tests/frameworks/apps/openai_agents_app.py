"""OpenAI Agents SDK with a fake Model, traced by openinference-instrumentation-openai-agents.

The fake model opens a generation span with its usage, as the SDK's own chat-completions
model does, so the LLM calls are visible to the instrumentation.
"""

from __future__ import annotations

import asyncio
from typing import Any

from _outcomes import PROMPT, configure, finish
from agents import Agent, Runner, function_tool
from agents.items import ModelResponse
from agents.models.interface import Model
from agents.tracing import generation_span
from agents.usage import Usage
from openai.types.responses import (
    ResponseFunctionToolCall,
    ResponseOutputMessage,
    ResponseOutputText,
)
from openinference.instrumentation.openai_agents import OpenAIAgentsInstrumentor

telemetry = configure("openai-agents-app")
# Exclusive: OpenInference's processor replaces the SDK's own, which would upload traces
# to OpenAI's backend (the run must make no connection off this machine).
OpenAIAgentsInstrumentor().instrument(
    tracer_provider=telemetry.tracer_provider, exclusive_processor=True
)

USAGE = [(41, 7), (58, 5)]  # (input, output) of each fake call
MODEL = "gpt-4o-mini"


class FakeModel(Model):
    def __init__(self, fail: bool = False) -> None:
        self.calls = 0
        self.fail = fail

    async def get_response(
        self,
        system_instructions: Any,
        input: Any,
        model_settings: Any,
        tools: Any,
        output_schema: Any,
        handoffs: Any,
        tracing: Any,
        **kwargs: Any,
    ) -> ModelResponse:
        with generation_span(model=MODEL, model_config={}, disabled=tracing.is_disabled()) as span:
            span.span_data.input = [{"role": "user", "content": str(input)}]
            if self.fail:
                raise ConnectionError("the model endpoint is down")
            tokens_in, tokens_out = USAGE[self.calls]
            self.calls += 1
            span.span_data.usage = {"input_tokens": tokens_in, "output_tokens": tokens_out}
        if self.calls == 1:
            output: list[Any] = [
                ResponseFunctionToolCall(
                    type="function_call",
                    call_id="call_1",
                    name="get_weather",
                    arguments='{"city": "Paris"}',
                    id="fc_1",
                    status="completed",
                )
            ]
        else:
            output = [
                ResponseOutputMessage(
                    type="message",
                    id="msg_1",
                    role="assistant",
                    status="completed",
                    content=[ResponseOutputText(type="output_text", text="Sunny.", annotations=[])],
                )
            ]
        usage = Usage(
            requests=1,
            input_tokens=tokens_in,
            output_tokens=tokens_out,
            total_tokens=tokens_in + tokens_out,
        )
        return ModelResponse(output=output, usage=usage, response_id=None)

    def stream_response(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError


@function_tool
def get_weather(city: str) -> str:
    """The weather in a city."""
    return "sunny"


agent = Agent(
    name="weather_agent", instructions="Answer briefly.", model=FakeModel(), tools=[get_weather]
)
asyncio.run(Runner.run(agent, PROMPT))

error_type = None
try:
    asyncio.run(Runner.run(Agent(name="failing_agent", model=FakeModel(fail=True)), PROMPT))
except ConnectionError as exc:
    error_type = type(exc).__name__

finish(
    {
        "agent": "weather_agent",
        "tools": ["get_weather"],
        "input_tokens": sum(u[0] for u in USAGE),
        "output_tokens": sum(u[1] for u in USAGE),
        "model": MODEL,
        "failing_agent": "failing_agent",
        "error_type": error_type,
    }
)
