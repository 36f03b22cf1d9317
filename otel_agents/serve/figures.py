"""Per-agent figures as the REST API and ``learning_update`` show them.

Every number is read from the monitor's per-agent tally (``MonitorState.agents``); this
module only picks and names fields, so the server never counts anything a second way.

    agent_figures(state.agents["writer"], in_flight=1)["success_rate"]
"""

from __future__ import annotations

import math
from typing import Any

from otel_agents.monitor.state import AgentStats


def _percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered), math.ceil(q * len(ordered))) - 1)]


def agent_figures(stats: AgentStats, in_flight: int = 0) -> dict[str, Any]:
    """Status of one agent: calls, success rate, latency, tokens, cost, reward, trend."""
    latencies = list(stats.latencies)
    return {
        "name": stats.name,
        "calls": stats.calls,
        "success_rate": _round(stats.success_rate, 4),
        "p50_ms": _round(_percentile(latencies, 0.5), 3),
        "p95_ms": _round(stats.p95_ms, 3),
        "total_tokens": stats.tokens,
        "cost_usd": round(stats.cost_usd, 6),
        "avg_reward": _round(stats.avg_reward, 4),
        "avg_quality": _round(stats.avg_quality, 4),
        "errors": dict(stats.errors.most_common()),
        "trend": stats.trend.direction,
        "in_flight": in_flight,
    }


def learning_figures(stats: AgentStats) -> dict[str, Any]:
    """Is the agent getting better: feedback, reward trend, top errors and reasons."""
    trend = stats.trend
    return {
        "agent": stats.name,
        "calls": stats.calls,
        "success_rate": _round(stats.success_rate, 4),
        "avg_reward": _round(stats.avg_reward, 4),
        "avg_quality": _round(stats.avg_quality, 4),
        "feedback": dict(stats.feedback),
        "feedback_count": sum(stats.feedback.values()),
        "positive_rate": _round(stats.positive_rate, 4),
        "corrections": stats.feedback["correction"],
        "trend": trend.direction,
        "trend_score": _round(trend.score, 4),
        "windows": [round(value, 4) for value in stats.spark_values()],
        "top_errors": [[name, count] for name, count in stats.errors.most_common(5)],
        "negative_reasons": [[text, count] for text, count in stats.reasons.most_common(5)],
    }


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)
