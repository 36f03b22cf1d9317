"""Settings and target patterns behave as the frozen dataclasses they replaced."""

from __future__ import annotations

import copy
import pickle

import pytest

from otel_agents.auto import parse_target
from otel_agents.env import Settings


def test_settings_are_values_that_cannot_be_changed() -> None:
    settings = Settings(service_name="bot", max_queue_size=10)
    assert settings == Settings(service_name="bot", max_queue_size=10)
    assert settings != Settings(service_name="other", max_queue_size=10)
    assert hash(settings) == hash(Settings(service_name="bot", max_queue_size=10))
    assert "service_name='bot'" in repr(settings)
    with pytest.raises(AttributeError):
        settings.max_queue_size = 5  # type: ignore[misc]
    assert settings.replace(max_queue_size=5).max_queue_size == 5
    assert settings.max_queue_size == 10


def test_settings_reject_an_unknown_name() -> None:
    with pytest.raises(TypeError, match="max_queue"):
        Settings(max_queue=5)


def test_targets_copy_and_pickle_as_values() -> None:
    target = parse_target("tool:myapp.tools:search_*;name=self.name")
    assert pickle.loads(pickle.dumps(target)) == target
    assert copy.deepcopy(target) == target
    assert {target, parse_target("tool:myapp.tools:search_*;name=self.name")} == {target}
    moved = target.replace(preset="langgraph")
    assert (moved.preset, moved.module, moved.name_rule) == (
        "langgraph",
        "myapp.tools",
        target.name_rule,
    )
