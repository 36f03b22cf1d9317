"""LangGraph with a fake tool-calling chat model, traced by OpenInference (INSTRUMENTATION=
openinference) or by OpenLLMetry/traceloop (INSTRUMENTATION=traceloop)."""

from __future__ import annotations

import os
from typing import Any

from _outcomes import PROMPT, configure, finish
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage
from langchain_core.tools import tool

telemetry = configure("langgraph-app")
which = os.environ["INSTRUMENTATION"]
if which == "openinference":
    from openinference.instrumentation.langchain import LangChainInstrumentor

    LangChainInstrumentor().instrument(tracer_provider=telemetry.tracer_provider)
else:
    from opentelemetry.instrumentation.langchain import LangchainInstrumentor

    LangchainInstrumentor().instrument(tracer_provider=telemetry.tracer_provider)

from langgraph.prebuilt import create_react_agent  # noqa: E402  (after instrumenting)

MODEL = "fake-gpt"
USAGE = [(12, 4), (30, 6)]


class ToolCallingFake(GenericFakeChatModel):
    """A fake chat model that accepts tools and names its model like real ones do."""

    def bind_tools(self, tools: Any, **kwargs: Any) -> Any:
        return self

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model_name": MODEL}

    def _generate(self, *args: Any, **kwargs: Any) -> Any:
        result = super()._generate(*args, **kwargs)
        result.llm_output = {"model_name": MODEL}  # as ChatOpenAI reports it
        return result


def reply(i: int, **fields: Any) -> AIMessage:
    tokens_in, tokens_out = USAGE[i]
    return AIMessage(
        usage_metadata={
            "input_tokens": tokens_in,
            "output_tokens": tokens_out,
            "total_tokens": tokens_in + tokens_out,
        },
        response_metadata={"model_name": MODEL},
        **fields,
    )


@tool
def get_weather(city: str) -> str:
    """The weather in a city."""
    return "sunny"


@tool
def broken_tool(city: str) -> str:
    """A tool whose service is down."""
    raise RuntimeError("the weather service is down")


messages = [
    reply(
        0,
        content="",
        tool_calls=[{"name": "get_weather", "args": {"city": "Paris"}, "id": "call_1"}],
    ),
    reply(1, content="Sunny."),
]
agent = create_react_agent(
    ToolCallingFake(messages=iter(messages)), [get_weather], name="weather_agent"
)
agent.invoke({"messages": [("user", PROMPT)]})

failing_messages = [
    reply(
        0, content="", tool_calls=[{"name": "broken_tool", "args": {"city": "Paris"}, "id": "c2"}]
    )
]
failing = create_react_agent(
    ToolCallingFake(messages=iter(failing_messages)), [broken_tool], name="failing_agent"
)
error_type = None
try:
    # Without a tool-error handler the graph fails with the tool's error.
    failing.invoke({"messages": [("user", PROMPT)]})
except RuntimeError as exc:
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
