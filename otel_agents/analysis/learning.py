"""Is an agent getting better? Moving-window trends of success, reward and quality.

    summary = oa.learning_summary("support-bot")
    summary.trend.direction, summary.positive_rate    # ('improving', 0.83)

The same arithmetic serves ``oa.learning_summary`` (this process's recent outcomes and the
feedback it sent, or any events you pass) and the monitor's learning panel: the latest
window of ``window`` finished actions is compared with the window before it.
"""

from __future__ import annotations

import collections
import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from otel_agents.analysis.tally import Tally
from otel_agents.events.feedback import FeedbackEvent
from otel_agents.events.outcome import OutcomeEvent
from otel_agents.export.feedback import sent_feedback

IMPROVING = "improving"
DECLINING = "declining"
STEADY = "steady"
UNKNOWN = "unknown"
#: Mean normalised change between windows that counts as a real move, not noise.
TREND_THRESHOLD = 0.05
#: Fewer finished actions per window than this and no trend is claimed.
MIN_WINDOW = 4
_SUCCESS = "SUCCESS"
_PENDING = "PENDING"


@dataclasses.dataclass(frozen=True)
class Sample:
    """One finished action as the trend sees it."""

    ok: bool
    reward: float | None = None
    quality: float | None = None


@dataclasses.dataclass(frozen=True)
class WindowStats:
    """Averages over one window of finished actions (None: no value in the window)."""

    count: int
    success_rate: float | None
    reward: float | None
    quality: float | None


@dataclasses.dataclass(frozen=True)
class Trend:
    """``direction`` is improving, declining, steady or unknown; ``score`` the signed change."""

    direction: str
    score: float | None = None


@dataclasses.dataclass(frozen=True)
class LearningSummary:
    """What an agent's outcomes and feedback say about its progress.

    s = oa.learning_summary("support-bot")
    print(s.trend.direction, s.positive_rate, s.top_errors[:1])
    """

    agent: str
    calls: int
    success_rate: float | None
    feedback_count: int
    positive_rate: float | None
    trend: Trend
    windows: list[WindowStats]
    top_errors: list[tuple[str, int]]
    negative_reasons: list[tuple[str, int]]

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def window_stats(samples: Iterable[Sample]) -> WindowStats:
    count = ok = reward_n = quality_n = 0
    reward_sum = quality_sum = 0.0
    for sample in samples:
        count += 1
        ok += sample.ok
        if sample.reward is not None:
            reward_n += 1
            reward_sum += sample.reward
        if sample.quality is not None:
            quality_n += 1
            quality_sum += sample.quality
    return WindowStats(
        count=count,
        success_rate=ok / count if count else None,
        reward=reward_sum / reward_n if reward_n else None,
        quality=quality_sum / quality_n if quality_n else None,
    )


def compare_windows(previous: WindowStats, recent: WindowStats) -> Trend:
    """Trend from one window to the next: the mean of each metric's normalised change.

    compare_windows(window_stats(old), window_stats(new)).direction   # 'improving'
    """
    if previous.count < MIN_WINDOW or recent.count < MIN_WINDOW:
        return Trend(UNKNOWN)
    changes: list[float] = []
    for before, after in (
        (previous.success_rate, recent.success_rate),
        (previous.reward, recent.reward),
        (previous.quality, recent.quality),
    ):
        if before is None or after is None:
            continue
        # Rates and scores in [0, 1] keep their scale; larger rewards are compared
        # relative to their size, so a reward in the hundreds does not drown the rest.
        changes.append((after - before) / max(1.0, abs(before), abs(after)))
    if not changes:
        return Trend(UNKNOWN)
    score = sum(changes) / len(changes)
    if score > TREND_THRESHOLD:
        return Trend(IMPROVING, score)
    if score < -TREND_THRESHOLD:
        return Trend(DECLINING, score)
    return Trend(STEADY, score)


def trend_of(samples: Sequence[Sample], window: int) -> Trend:
    """Compare the last ``window`` samples with the ``window`` before them.

    With fewer than ``2 * window`` samples the two halves of what there is are compared.
    """
    split = min(window, len(samples) // 2)
    if split < MIN_WINDOW:
        return Trend(UNKNOWN)
    recent = samples[len(samples) - split :]
    previous = samples[len(samples) - 2 * split : len(samples) - split]
    return compare_windows(window_stats(previous), window_stats(recent))


def sample_of(event: OutcomeEvent | Mapping[str, Any]) -> Sample | None:
    """The Sample of a finished event (an OutcomeEvent or its ``data`` dict); None if PENDING."""
    data = event.data() if isinstance(event, OutcomeEvent) else event
    status = data.get("status")
    if status == _PENDING or not isinstance(status, str):
        return None
    reward, quality = _number(data.get("reward")), _number(data.get("quality_score"))
    return Sample(status == _SUCCESS, reward, quality)


def reason_of(feedback: FeedbackEvent | Mapping[str, Any]) -> str | None:
    """A short, comparable reason text of a negative judgement (None for other kinds)."""
    data = feedback.data() if isinstance(feedback, FeedbackEvent) else feedback
    if data.get("kind") not in ("negative", "correction"):
        return None
    text = data.get("comment") or data.get("correction")
    if not isinstance(text, str) or not text.strip():
        return "(no reason given)"
    return " ".join(text.lower().split())[:60]


def summarize(
    agent: str,
    events: Iterable[OutcomeEvent | Mapping[str, Any]],
    feedback: Iterable[FeedbackEvent | Mapping[str, Any]] = (),
    window: int = 20,
) -> LearningSummary:
    """A LearningSummary of ``agent`` from any events and feedback (others are skipped)."""
    samples: list[Sample] = []
    tally = Tally("agent", agent)  # the same figures as status and monitor
    event_ids: set[str] = set()
    for event in events:
        data = event.data() if isinstance(event, OutcomeEvent) else event
        if agent not in (data.get("agent_name"), data.get("name")):
            continue
        sample = sample_of(data)
        if sample is None:
            continue
        samples.append(sample)
        tally.add_outcome(data)
        event_ids.add(str(data.get("event_id")))
    reasons: collections.Counter[str] = collections.Counter()
    for item in feedback:
        data = item.data() if isinstance(item, FeedbackEvent) else item
        if data.get("agent_name") != agent and data.get("event_id") not in event_ids:
            continue
        tally.add_feedback(str(data.get("kind")))
        reason = reason_of(data)
        if reason is not None:
            reasons[reason] += 1
    windows = [
        window_stats(samples[start : start + window]) for start in range(0, len(samples), window)
    ][-12:]
    return LearningSummary(
        agent=agent,
        calls=tally.calls,
        success_rate=tally.success_rate,
        feedback_count=tally.feedback_count,
        positive_rate=tally.positive_rate,
        trend=trend_of(samples, window),
        windows=windows,
        top_errors=tally.errors.most_common(5),
        negative_reasons=reasons.most_common(5),
    )


def learning_summary(
    agent: str,
    *,
    events: Iterable[OutcomeEvent | Mapping[str, Any]] | None = None,
    feedback: Iterable[FeedbackEvent | Mapping[str, Any]] | None = None,
    window: int = 20,
) -> LearningSummary:
    """Positive rate, trend over windows, top error types and negative-feedback reasons.

        s = oa.learning_summary("support-bot")              # this process's recent outcomes
        s = oa.learning_summary("support-bot", events=evs)  # or events read elsewhere

    Without ``events``: the outcomes in this process's recent-events buffer (after
    ``configure()``); without ``feedback``: the feedback this process sent.
    """
    if events is None:
        from otel_agents.export.configure import recent_events

        events = recent_events(count=1_000_000, agent=agent)
    if feedback is None:
        feedback = sent_feedback()
    return summarize(agent, events, feedback, window)


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)
