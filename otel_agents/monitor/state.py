"""What the monitor knows: counters and bounded windows over the events it has seen.

    state = MonitorState(MonitorFilter(agent="react"))
    state.ingest(payload)            # raw bytes of one message; never raises
    state.agents["react"].calls

Memory is bounded whatever the stream: every list is a fixed-size ring, every map of
names is capped, so a monitor left running for a week stays the size it was after an hour.
"""

from __future__ import annotations

import collections
import dataclasses
import datetime as _dt
import math
import time
from collections.abc import Mapping
from typing import Any

from otel_agents.analysis.learning import (
    Sample,
    Trend,
    WindowStats,
    reason_of,
    sample_of,
    trend_of,
    window_stats,
)
from otel_agents.analysis.tally import Tally
from otel_agents.monitor.decode import FEEDBACK, MALFORMED, OUTCOME, decode

_THOUGHT = "agent.thought"
_THOUGHT_TEXT = "agent.thought.text"
_PENDING = "PENDING"
_SUCCESS = "SUCCESS"
_AGENT = "agent"
_TOOL = "tool"

RECENT_ACTIONS = 200
RECENT_THOUGHTS = 50
LATENCY_WINDOW = 500
SPARK_WINDOWS = 16
MAX_AGENTS = 500
MAX_TOOLS = 500
MAX_IN_FLIGHT = 5000
MAX_KNOWN_EVENTS = 50_000
MAX_REASONS = 200
MAX_ORPHAN_FEEDBACK = 10_000
RATE_SECONDS = 5


@dataclasses.dataclass(frozen=True)
class MonitorFilter:
    """Which events the monitor shows; None matches everything."""

    agent: str | None = None
    workflow: str | None = None
    statuses: frozenset[str] | None = None

    def matches(self, data: Mapping[str, Any]) -> bool:
        if self.agent is not None and self.agent not in (data.get("agent_name"), data.get("name")):
            return False
        if self.workflow is not None and self.workflow not in (
            data.get("workflow_name"),
            data.get("workflow_id"),
        ):
            return False
        if self.statuses is not None:
            status = data.get("status")
            # In-flight events stay visible: a run is interesting before we know its end.
            return status == _PENDING or status in self.statuses
        return True


@dataclasses.dataclass(frozen=True)
class ActionRow:
    """One line of the recent-actions panel."""

    time: str
    agent: str
    kind: str
    action_type: str
    status: str
    duration_ms: float | None
    tokens: int | None
    quality: float | None
    reward: float | None


@dataclasses.dataclass(frozen=True)
class ThoughtRow:
    time: str
    agent: str
    text: str


@dataclasses.dataclass
class InFlight:
    """An action whose PENDING event arrived and whose final event has not (yet)."""

    name: str
    kind: str
    start_epoch: float | None
    seen_monotonic: float

    def running_s(self, now_epoch: float, now_monotonic: float) -> float:
        if self.start_epoch is not None:
            return max(0.0, now_epoch - self.start_epoch)
        return now_monotonic - self.seen_monotonic


class AgentStats:
    """Everything the per-agent, learning and feedback panels show for one agent.

    The figures come from the shared ``Tally`` (the same rules as ``otel-agents status``);
    the windows, trend and reasons are the monitor's own.
    """

    def __init__(self, name: str, window: int) -> None:
        self.name = name
        self.window = window
        self.tally = Tally(_AGENT, name)
        self.samples: collections.deque[Sample] = collections.deque(maxlen=2 * window)
        self._partial: list[Sample] = []
        self.windows: collections.deque[WindowStats] = collections.deque(maxlen=SPARK_WINDOWS)
        self.reasons: collections.Counter[str] = collections.Counter()
        self.last_seen = 0.0

    def add(self, data: Mapping[str, Any], sample: Sample) -> None:
        self.tally.add_outcome(data)
        self.samples.append(sample)
        self._partial.append(sample)
        if len(self._partial) >= self.window:
            self.windows.append(window_stats(self._partial))
            self._partial = []

    def add_feedback(self, data: Mapping[str, Any]) -> None:
        self.tally.add_feedback(str(data.get("kind")))
        reason = reason_of(data)
        if reason is not None:
            _count_capped(self.reasons, reason, MAX_REASONS)

    @property
    def calls(self) -> int:
        return self.tally.calls

    @property
    def tokens(self) -> int:
        return self.tally.total_tokens

    @property
    def cost_usd(self) -> float:
        return self.tally.cost_usd

    @property
    def feedback(self) -> collections.Counter[str]:
        return self.tally.feedback

    @property
    def errors(self) -> collections.Counter[str]:
        return self.tally.errors

    @property
    def success_rate(self) -> float | None:
        return self.tally.success_rate

    @property
    def p95_ms(self) -> float | None:
        return self.tally.p95_ms

    @property
    def avg_reward(self) -> float | None:
        return self.tally.avg_reward

    @property
    def avg_quality(self) -> float | None:
        return self.tally.avg_quality

    @property
    def positive_rate(self) -> float | None:
        return self.tally.positive_rate

    @property
    def trend(self) -> Trend:
        return trend_of(list(self.samples), self.window)

    def spark_values(self) -> list[float]:
        """One value per finished window (plus the one filling now): the learning signal."""
        windows = list(self.windows)
        if self._partial:
            windows.append(window_stats(self._partial))
        return [_window_score(w) for w in windows][-SPARK_WINDOWS:]


class MonitorState:
    """Aggregates of every message fed to ``ingest``; read by the panels."""

    def __init__(
        self,
        filter: MonitorFilter | None = None,
        window: int = 20,
        slow_after_s: float = 30.0,
    ) -> None:
        self.filter = filter or MonitorFilter()
        self.window = window
        self.slow_after_s = slow_after_s
        self.started = time.monotonic()
        self.messages = 0
        self.outcomes = 0
        self.pending = 0
        self.finished = 0
        self.successes = 0
        self.feedback_count = 0
        self.malformed = 0
        self.foreign = 0
        self.filtered = 0
        self.statuses: collections.Counter[str] = collections.Counter()
        self.recent: collections.deque[ActionRow] = collections.deque(maxlen=RECENT_ACTIONS)
        self.thoughts: collections.deque[ThoughtRow] = collections.deque(maxlen=RECENT_THOUGHTS)
        self.agents: collections.OrderedDict[str, AgentStats] = collections.OrderedDict()
        self.tools: collections.Counter[str] = collections.Counter()
        self.tool_failures: collections.Counter[str] = collections.Counter()
        self.in_flight: collections.OrderedDict[str, InFlight] = collections.OrderedDict()
        # event_id -> agent, so feedback that names only the event finds its agent.
        self._agent_of: collections.OrderedDict[str, str] = collections.OrderedDict()
        # Feedback that arrived before its outcome (two topics: no order between them).
        self._orphans: collections.OrderedDict[str, list[Mapping[str, Any]]] = (
            collections.OrderedDict()
        )
        self._rate: collections.deque[list[int]] = collections.deque(maxlen=RATE_SECONDS + 1)

    # -- feeding -------------------------------------------------------------------------
    def ingest(self, payload: bytes | str | None) -> str:
        """Take one raw message; returns what it was (outcome, feedback, malformed, foreign)."""
        kind, data = decode(payload)
        return self.accept(kind, data)

    def accept(self, kind: str, data: Mapping[str, Any] | None) -> str:
        """``ingest`` for a message already decoded (``decode.decode``), e.g. by a server."""
        self.messages += 1
        self._tick()
        try:
            if kind == OUTCOME and data is not None:
                self.add_outcome(data)
            elif kind == FEEDBACK and data is not None:
                self.add_feedback(data)
            elif kind == MALFORMED:
                self.malformed += 1
            else:
                self.foreign += 1
        except Exception:
            # A well-formed envelope with values of unexpected types: count it, carry on.
            self.malformed += 1
            return MALFORMED
        return kind

    def add_outcome(self, data: Mapping[str, Any]) -> None:
        if not self.filter.matches(data):
            self.filtered += 1
            return
        self.outcomes += 1
        status = str(data.get("status"))
        kind = str(data.get("kind") or _AGENT)
        name = str(data.get("agent_name") or data.get("name") or "?")
        key = f"{data.get('trace_id')}/{data.get('span_id')}"
        if status == _PENDING:
            self.pending += 1
            self.in_flight[key] = InFlight(
                name, kind, _epoch(data.get("start_time")), time.monotonic()
            )
            self.in_flight.move_to_end(key)
            while len(self.in_flight) > MAX_IN_FLIGHT:
                self.in_flight.popitem(last=False)
            return
        self.in_flight.pop(key, None)
        self.finished += 1
        self.statuses[status] += 1
        if status == _SUCCESS:
            self.successes += 1
        self._remember(str(data.get("event_id")), name)
        orphans = self._orphans.pop(str(data.get("event_id")), None)
        if orphans and kind == _AGENT:
            for feedback in orphans:
                self._agent(name).add_feedback(feedback)
        self.recent.append(_row(data, name, kind, status))
        self._collect_thoughts(data, name)
        if kind == _TOOL:
            tool = str(data.get("tool_name") or data.get("name") or "?")
            if tool in self.tools or len(self.tools) < MAX_TOOLS:
                self.tools[tool] += 1
                if status != _SUCCESS:
                    self.tool_failures[tool] += 1
        elif kind == _AGENT:
            sample = sample_of(data)
            if sample is not None:
                self._agent(name).add(data, sample)

    def add_feedback(self, data: Mapping[str, Any]) -> None:
        agent = data.get("agent_name") or self._agent_of.get(str(data.get("event_id")))
        if self.filter.agent is not None and agent != self.filter.agent:
            self.filtered += 1
            return
        self.feedback_count += 1
        if isinstance(agent, str):
            self._agent(agent).add_feedback(data)
            return
        if self.filter.agent is None:
            self._orphans.setdefault(str(data.get("event_id")), []).append(data)
            if len(self._orphans) > MAX_ORPHAN_FEEDBACK:
                self._orphans.popitem(last=False)

    # -- reading -------------------------------------------------------------------------
    def agent_of_event(self, event_id: str) -> str | None:
        """The agent of a recent finished event, by its id (feedback often names only that)."""
        return self._agent_of.get(event_id)

    @property
    def success_rate(self) -> float | None:
        return self.successes / self.finished if self.finished else None

    def events_per_second(self) -> float:
        """Messages per second over the last few whole seconds."""
        self._tick()
        now = int(time.monotonic())
        complete = [count for second, count in self._rate if second < now]
        if not complete:
            return 0.0
        span = min(len(complete), max(1, now - int(self.started)))
        return sum(complete[-span:]) / span

    def running(self) -> list[tuple[InFlight, float]]:
        """In-flight actions with their running time, longest first."""
        now_epoch, now_mono = time.time(), time.monotonic()
        rows = [(item, item.running_s(now_epoch, now_mono)) for item in self.in_flight.values()]
        rows.sort(key=lambda row: row[1], reverse=True)
        return rows

    @property
    def in_flight_agents(self) -> int:
        return sum(1 for item in self.in_flight.values() if item.kind == _AGENT)

    def summary(self) -> dict[str, Any]:
        """Everything the one-shot ``--status`` prints, JSON-ready."""
        return {
            "messages": self.messages,
            "events": self.outcomes,
            "finished": self.finished,
            "success_rate": self.success_rate,
            "statuses": dict(self.statuses),
            "in_flight": len(self.in_flight),
            "in_flight_agents": self.in_flight_agents,
            "slow": sum(1 for _, secs in self.running() if secs >= self.slow_after_s),
            "feedback": self.feedback_count,
            "malformed": self.malformed,
            "foreign": self.foreign,
            "filtered": self.filtered,
            "agents": {
                name: {
                    **_figures(stats.tally),
                    "tokens": stats.tokens,
                    "feedback": dict(stats.feedback),
                    "positive_rate": stats.positive_rate,
                    "trend": stats.trend.direction,
                    "trend_score": stats.trend.score,
                    "top_errors": stats.errors.most_common(3),
                    "negative_reasons": stats.reasons.most_common(3),
                }
                for name, stats in self.agents.items()
            },
            "tools": dict(self.tools.most_common()),
        }

    # -- helpers -------------------------------------------------------------------------
    def _agent(self, name: str) -> AgentStats:
        stats = self.agents.get(name)
        if stats is None:
            stats = self.agents[name] = AgentStats(name, self.window)
            while len(self.agents) > MAX_AGENTS:
                self.agents.popitem(last=False)
        else:
            self.agents.move_to_end(name)
        stats.last_seen = time.monotonic()
        return stats

    def _remember(self, event_id: str, agent: str) -> None:
        self._agent_of[event_id] = agent
        if len(self._agent_of) > MAX_KNOWN_EVENTS:
            self._agent_of.popitem(last=False)

    def _collect_thoughts(self, data: Mapping[str, Any], name: str) -> None:
        events = data.get("events")
        if not isinstance(events, list):
            return
        for item in events:
            if isinstance(item, dict) and item.get("name") == _THOUGHT:
                attributes = item.get("attributes")
                text = attributes.get(_THOUGHT_TEXT) if isinstance(attributes, dict) else None
                if isinstance(text, str):
                    self.thoughts.append(ThoughtRow(_clock(item.get("time")), name, text))

    def _tick(self) -> None:
        second = int(time.monotonic())
        rate = self._rate
        if rate and rate[-1][0] == second:
            rate[-1][1] += 1
        else:
            rate.append([second, 1])


def _figures(tally: Tally) -> dict[str, Any]:
    figures = tally.to_json()
    del figures["kind"], figures["name"]
    return figures


def _row(data: Mapping[str, Any], name: str, kind: str, status: str) -> ActionRow:
    tokens = _number(data.get("total_tokens"))
    return ActionRow(
        time=_clock(data.get("end_time") or data.get("start_time")),
        agent=name,
        kind=kind,
        action_type=str(data.get("action_type") or data.get("operation") or kind),
        status=status,
        duration_ms=_number(data.get("duration_ms")),
        tokens=int(tokens) if tokens is not None else None,
        quality=_number(data.get("quality_score")),
        reward=_number(data.get("reward")),
    )


def _window_score(window: WindowStats) -> float:
    parts = [v for v in (window.success_rate, window.quality) if v is not None]
    if window.reward is not None:
        parts.append(max(-1.0, min(1.0, window.reward)))
    return sum(parts) / len(parts) if parts else 0.0


def _count_capped(counter: collections.Counter[str], key: str, cap: int) -> None:
    if key in counter or len(counter) < cap:
        counter[key] += 1
        return
    # Full: the rarest entry makes room, so a flood of unique texts cannot grow the map.
    rarest, _ = min(counter.items(), key=lambda item: item[1])
    del counter[rarest]
    counter[key] += 1


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _clock(stamp: Any) -> str:
    """``HH:MM:SS`` of an RFC 3339 time (UTC, as the events carry it)."""
    if isinstance(stamp, str) and len(stamp) >= 19 and stamp[10] == "T":
        return stamp[11:19]
    return "--:--:--"


def _epoch(stamp: Any) -> float | None:
    if not isinstance(stamp, str):
        return None
    try:
        text = stamp[:-1] + "+00:00" if stamp.endswith("Z") else stamp
        return _dt.datetime.fromisoformat(text).timestamp()
    except ValueError:
        return None
