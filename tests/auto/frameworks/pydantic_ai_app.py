"""pydantic-ai, offline with its TestModel: run, run_stream and iter, one tool that sleeps."""

import asyncio
import time

from pydantic_ai import Agent
from pydantic_ai.models.test import TestModel

weather_agent = Agent(TestModel(), name="weather_agent")


@weather_agent.tool_plain
def get_weather(city: str) -> str:
    """Weather for a city."""
    time.sleep(0.05)
    return f"sunny in {city}"


async def main() -> None:
    await weather_agent.run("weather in Paris?")
    async with weather_agent.run_stream("weather in Rome?") as result:
        async for _ in result.stream_text():
            pass
    async with weather_agent.iter("weather in Oslo?") as run:
        async for _ in run:
            pass


asyncio.run(main())
weather_agent.run_sync("weather in Bern?")
