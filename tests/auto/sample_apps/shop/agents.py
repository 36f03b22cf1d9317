import asyncio

from shop.base import BaseAgent


class PlannerAgent:
    def execute(self, task):
        return {"plan": [task], "tokens_used": 12}


class AsyncResearchAgent:
    async def execute(self, query):
        await asyncio.sleep(0)
        return {"answer": query}


class NotAnAgentHelper:
    def execute(self):
        return None


class LateAgent(BaseAgent):
    async def run(self, task):
        return "late:" + task


class InheritingAgent(BaseAgent):
    """Inherits run from BaseAgent."""


class ReportAgent:
    def execute(self, topic):
        return {"report": topic}
