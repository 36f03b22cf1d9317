"""pydantic-ai with its own instrumentation (Agent.instrument_all), offline on TestModel."""

from __future__ import annotations

from _outcomes import PROMPT, configure, finish
from pydantic_ai import Agent
from pydantic_ai.models.test import TestModel

configure("pydantic-ai-app")
Agent.instrument_all()

weather = Agent(TestModel(), name="weather_agent", system_prompt="Answer briefly.")


@weather.tool_plain
def get_weather(city: str) -> str:
    """The weather in a city."""
    return "sunny"


result = weather.run_sync(PROMPT)
usage = result.usage

failing = Agent(TestModel(), name="failing_agent")


@failing.tool_plain
def broken_tool(city: str) -> str:
    raise RuntimeError("the weather service is down")


error_type = None
try:
    failing.run_sync(PROMPT)
except RuntimeError as exc:
    error_type = type(exc).__name__

finish(
    {
        "agent": "weather_agent",
        "tools": ["get_weather"],
        "input_tokens": usage.input_tokens,
        "output_tokens": usage.output_tokens,
        "model": "test",
        "failing_agent": "failing_agent",
        "error_type": error_type,
    }
)
