"""smolagents' ToolCallingAgent with a fake Model; run() and run(stream=True)."""

import time
from typing import Any

from smolagents import ToolCallingAgent, tool
from smolagents.models import (
    ChatMessage,
    ChatMessageToolCall,
    ChatMessageToolCallFunction,
    MessageRole,
    Model,
)


class FakeModel(Model):
    """Calls get_weather, then final_answer."""

    def __init__(self) -> None:
        super().__init__(model_id="fake-model")
        self.calls = 0

    def generate(self, messages: Any, **kwargs: Any) -> ChatMessage:
        self.calls += 1
        if self.calls % 2 == 1:
            name, arguments = "get_weather", {"city": "Paris"}
        else:
            name, arguments = "final_answer", {"answer": "Sunny."}
        call = ChatMessageToolCall(
            function=ChatMessageToolCallFunction(name=name, arguments=arguments),
            id=f"call_{self.calls}",
            type="function",
        )
        return ChatMessage(role=MessageRole.ASSISTANT, content="", tool_calls=[call])


@tool
def get_weather(city: str) -> str:
    """The weather in a city.

    Args:
        city: The city.
    """
    time.sleep(0.05)
    return "sunny"


agent = ToolCallingAgent(tools=[get_weather], model=FakeModel(), name="weather_agent")
agent.run("Weather in Paris?")
for _ in agent.run("Weather in Rome?", stream=True):
    pass
