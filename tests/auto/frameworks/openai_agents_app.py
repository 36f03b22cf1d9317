"""OpenAI Agents SDK, offline with a fake Model: one agent, one tool that sleeps 50 ms."""

import asyncio
import time
from typing import Any

from agents import Agent, Runner, function_tool, set_tracing_disabled
from agents.items import ModelResponse
from agents.models.interface import Model
from agents.usage import Usage
from openai.types.responses import (
    ResponseFunctionToolCall,
    ResponseOutputMessage,
    ResponseOutputText,
)

set_tracing_disabled(True)  # the SDK's own tracing would call a remote service


class FakeModel(Model):
    """First asks for get_weather, then answers."""

    def __init__(self) -> None:
        self.calls = 0

    async def get_response(self, *args: Any, **kwargs: Any) -> ModelResponse:
        self.calls += 1
        output: list[Any]
        if self.calls % 2 == 1:
            output = [
                ResponseFunctionToolCall(
                    type="function_call",
                    call_id=f"call_{self.calls}",
                    name="get_weather",
                    arguments='{"city": "Paris"}',
                    id=f"fc_{self.calls}",
                    status="completed",
                )
            ]
        else:
            text = ResponseOutputText(type="output_text", text="Sunny.", annotations=[])
            output = [
                ResponseOutputMessage(
                    type="message", id="m", role="assistant", status="completed", content=[text]
                )
            ]
        usage = Usage(requests=1, input_tokens=10, output_tokens=2, total_tokens=12)
        return ModelResponse(output=output, usage=usage, response_id=None)

    def stream_response(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError


@function_tool
def get_weather(city: str) -> str:
    """The weather in a city."""
    time.sleep(0.05)
    return "sunny"


agent = Agent(
    name="weather_agent", instructions="Be brief.", model=FakeModel(), tools=[get_weather]
)
asyncio.run(Runner.run(agent, "Weather in Paris?"))
Runner.run_sync(agent, "Weather in Rome?")
