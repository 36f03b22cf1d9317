"""LlamaIndex FunctionAgent and ReActAgent, offline with llama_index's MockFunctionCallingLLM."""

import asyncio
import time
from typing import Any

from llama_index.core.agent.workflow import FunctionAgent, ReActAgent
from llama_index.core.base.llms.types import ChatMessage, MessageRole, ToolCallBlock
from llama_index.core.llms.mock import MockFunctionCallingLLM
from llama_index.core.tools import FunctionTool


def function_calls(messages: Any, **kwargs: Any) -> ChatMessage:
    """Asks for get_weather until a tool result is in the conversation, then answers."""
    if any(m.role == MessageRole.TOOL for m in messages):
        return ChatMessage(role=MessageRole.ASSISTANT, content="Sunny.")
    call = ToolCallBlock(
        tool_call_id="call_1", tool_name="get_weather", tool_kwargs={"city": "Paris"}
    )
    return ChatMessage(role=MessageRole.ASSISTANT, blocks=[call])


def react_steps(messages: Any, **kwargs: Any) -> ChatMessage:
    """The ReAct text format: one action, then the answer once an observation is back."""
    if "Observation:" in str(messages[-1].content):
        return ChatMessage(role=MessageRole.ASSISTANT, content="Thought: Done.\nAnswer: Sunny.")
    return ChatMessage(
        role=MessageRole.ASSISTANT,
        content="Thought: I need the weather.\nAction: get_weather\n"
        'Action Input: {"city": "Paris"}',
    )


def get_weather(city: str) -> str:
    """The weather in a city."""
    time.sleep(0.05)
    return "sunny"


tool = FunctionTool.from_defaults(get_weather)


async def main() -> None:
    llm = MockFunctionCallingLLM(response_generator=function_calls, is_chat_model=True)
    agent = FunctionAgent(name="weather_agent", tools=[tool], llm=llm, streaming=False)
    print(await agent.run("Weather in Paris?"))
    react_llm = MockFunctionCallingLLM(response_generator=react_steps, is_chat_model=True)
    react = ReActAgent(name="weather_agent", tools=[tool], llm=react_llm, streaming=False)
    handler = react.run("Weather in Rome?")
    async for _ in handler.stream_events():
        pass
    print(await handler)


asyncio.run(main())
