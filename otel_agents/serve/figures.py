"""Per-agent figures as the REST API and ``learning_update`` show them.

Every number comes from the one per-agent ``Tally`` (``analysis/tally.py``) that
``otel-agents status`` and ``monitor`` report, held by the monitor's ``AgentStats``; the
trend and windows are the monitor's learning view of the same events. This module only
picks and names fields: the server never counts anything a second way.

    agent_figures(state.agents["writer"], in_flight=1)["success_rate"]
"""

from __future__ import annotations

from typing import Any

from otel_agents.monitor.state import AgentStats


def agent_figures(stats: AgentStats, in_flight: int = 0) -> dict[str, Any]:
    """Status of one agent: the tally's figures (as ``status --json``), trend, in flight."""
    figures = stats.tally.to_json()
    del figures["kind"]
    figures["trend"] = stats.trend.direction
    figures["in_flight"] = in_flight
    return figures


def learning_figures(stats: AgentStats) -> dict[str, Any]:
    """Is the agent getting better: feedback, reward trend, top errors and reasons."""
    tally, trend = stats.tally, stats.trend
    return {
        "agent": stats.name,
        "calls": tally.calls,
        "success_rate": _round(tally.success_rate, 4),
        "avg_reward": _round(tally.avg_reward, 4),
        "avg_quality": _round(tally.avg_quality, 4),
        "feedback": dict(tally.feedback),
        "feedback_count": tally.feedback_count,
        "positive_rate": _round(tally.positive_rate, 4),
        "corrections": tally.feedback["correction"],
        "trend": trend.direction,
        "trend_score": _round(trend.score, 4),
        "windows": [round(value, 4) for value in stats.spark_values()],
        "top_errors": [[name, count] for name, count in tally.errors.most_common(5)],
        "negative_reasons": [[text, count] for text, count in stats.reasons.most_common(5)],
    }


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)
