"""The finished actions the server remembers, for ``/api/v1/actions`` and workflow runs.

    store = ActionStore(5000)
    store.add(action)                                   # a projected action (messages.py)
    page, cursor = store.query(limit=50, agent="writer", before=None)

Bounded: a ring of the latest actions plus an index of the latest workflow runs, whose
step lists share the ring's dicts. Nothing here counts: figures come from the tally.
"""

from __future__ import annotations

import collections
from collections.abc import Mapping
from typing import Any

MAX_WORKFLOWS = 2000
MAX_STEPS = 1000


class ActionStore:
    def __init__(self, size: int) -> None:
        self._size = size
        self._actions: collections.deque[Mapping[str, Any]] = collections.deque(maxlen=size)
        self._by_event: collections.OrderedDict[str, Mapping[str, Any]] = collections.OrderedDict()
        self._workflows: collections.OrderedDict[str, list[Mapping[str, Any]]] = (
            collections.OrderedDict()
        )

    def __len__(self) -> int:
        return len(self._actions)

    def add(self, action: Mapping[str, Any]) -> None:
        self._actions.append(action)
        self._by_event[str(action.get("event_id"))] = action
        while len(self._by_event) > self._size:
            self._by_event.popitem(last=False)
        workflow = action.get("workflow_id")
        if not isinstance(workflow, str):
            return
        steps = self._workflows.get(workflow)
        if steps is None:
            steps = self._workflows[workflow] = []
            while len(self._workflows) > MAX_WORKFLOWS:
                self._workflows.popitem(last=False)
        if len(steps) < MAX_STEPS:
            steps.append(action)

    def find(self, event_id: str) -> Mapping[str, Any] | None:
        """A remembered action by its event id."""
        return self._by_event.get(event_id)

    def query(
        self,
        *,
        limit: int,
        agent: str | None = None,
        status: str | None = None,
        workflow: str | None = None,
        session: str | None = None,
        before: int | None = None,
    ) -> tuple[list[Mapping[str, Any]], int | None]:
        """Newest first, at most ``limit``; the cursor is the ``before`` of the next page."""
        page: list[Mapping[str, Any]] = []
        for action in reversed(self._actions):
            if before is not None and action["seq"] >= before:
                continue
            if agent is not None and agent not in (action.get("agent"), action.get("name")):
                continue
            if status is not None and action.get("status") != status:
                continue
            if workflow is not None and action.get("workflow_id") != workflow:
                continue
            if session is not None and action.get("conversation_id") != session:
                continue
            if len(page) == limit:
                return page, int(page[-1]["seq"])
            page.append(action)
        return page, None

    def recent(self, topics: frozenset[str], count: int) -> list[Mapping[str, Any]]:
        """The latest ``count`` actions on any of ``topics``, oldest first (for snapshots)."""
        out: list[Mapping[str, Any]] = []
        for action in reversed(self._actions):
            if "all" in topics or not topics.isdisjoint(action["topics"]):
                out.append(action)
                if len(out) == count:
                    break
        out.reverse()
        return out

    def workflow(self, workflow_id: str) -> dict[str, Any] | None:
        """The run's steps in the order they finished, and its own outcome when known."""
        steps = self._workflows.get(workflow_id)
        if steps is None:
            return None
        outcome = next((s for s in reversed(steps) if s.get("kind") == "workflow"), None)
        return {
            "workflow_id": workflow_id,
            "name": outcome.get("name") if outcome else steps[0].get("workflow_name"),
            "status": outcome.get("status") if outcome else None,
            "outcome": outcome,
            "steps": [s for s in steps if s is not outcome],
        }
