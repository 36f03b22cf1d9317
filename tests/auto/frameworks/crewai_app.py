"""CrewAI: a one-agent crew with a fake BaseLLM that uses one tool (ReAct text format)."""

import time
from typing import Any

from crewai import Agent, Crew, Task
from crewai.llms.base_llm import BaseLLM
from crewai.tools import tool


class FakeLLM(BaseLLM):
    """Asks for get_weather once, then gives the final answer."""

    calls: int = 0

    def call(self, messages: Any, *args: Any, **kwargs: Any) -> str:
        self.calls += 1
        if self.calls == 1:
            return (
                'Thought: I need the weather.\nAction: get_weather\nAction Input: {"city": "Paris"}'
            )
        return "Thought: I know it.\nFinal Answer: Sunny."

    def supports_function_calling(self) -> bool:
        return False


@tool("get_weather")
def get_weather(city: str) -> str:
    """The weather in a city."""
    time.sleep(0.05)
    return "sunny"


forecaster = Agent(
    role="weather_agent",
    goal="Report the weather",
    backstory="A forecaster.",
    llm=FakeLLM(model="fake-model"),
    tools=[get_weather],
)
task = Task(description="Weather in Paris?", expected_output="A word.", agent=forecaster)
Crew(name="weather_crew", agents=[forecaster], tasks=[task]).kickoff()
