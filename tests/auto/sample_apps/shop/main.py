import asyncio
import contextlib

from shop import flows, tools
from shop.agents import AsyncResearchAgent, InheritingAgent, LateAgent, PlannerAgent
from shop.base import BaseAgent, EarlyAgent


class DefinedInMain(BaseAgent):
    def run(self, task):
        return super().run(task + "!")


def main():
    PlannerAgent().execute("plan")
    asyncio.run(AsyncResearchAgent().execute("q"))
    tools.search_web("x")
    tools.search_docs("y")
    with contextlib.suppress(TimeoutError):
        tools.fetch("u")
    EarlyAgent().run("early")
    asyncio.run(LateAgent().run("t"))
    DefinedInMain().run("main")
    BaseAgent().run("base")
    InheritingAgent().run("inherited")
    flows.nightly()
    print("shop: done")


if __name__ == "__main__":
    main()
