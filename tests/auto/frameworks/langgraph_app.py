"""LangGraph's prebuilt ReAct agent with a fake tool-calling chat model; invoke and stream."""

import time
from typing import Any

from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage
from langchain_core.tools import tool
from langgraph.prebuilt import create_react_agent


class ToolCallingFake(GenericFakeChatModel):
    def bind_tools(self, tools: Any, **kwargs: Any) -> Any:
        return self


@tool
def get_weather(city: str) -> str:
    """The weather in a city."""
    time.sleep(0.05)
    return "sunny"


def messages() -> Any:
    while True:
        call = {"name": "get_weather", "args": {"city": "Paris"}, "id": "call_1"}
        yield AIMessage(content="", tool_calls=[call])
        yield AIMessage(content="Sunny.")


agent = create_react_agent(
    ToolCallingFake(messages=messages()), [get_weather], name="weather_agent"
)
agent.invoke({"messages": [("user", "Weather in Paris?")]})
for _ in agent.stream({"messages": [("user", "Weather in Rome?")]}):
    pass
