"""AG2 (ag2 1.x Agent), offline with ag2.testing's scripted TestConfig: ask() and run()."""

import asyncio
import time

from ag2 import Agent, tool
from ag2.events import ToolCallEvent
from ag2.testing import TestConfig


@tool
def get_weather(city: str) -> str:
    """The weather in a city."""
    time.sleep(0.05)
    return "sunny"


def agent() -> Agent:
    """Each turn: the model calls get_weather, then answers."""
    script = TestConfig(ToolCallEvent("get_weather", arguments='{"city": "Paris"}'), "Sunny.")
    return Agent("weather_agent", "Be brief.", config=script, tools=[get_weather])


async def main() -> None:
    reply = await agent().ask("Weather in Paris?")
    print(reply.body)
    async with agent().run("Weather in Rome?") as run:
        print((await run.result()).body)


asyncio.run(main())
