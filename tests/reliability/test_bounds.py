"""Our own bounds on tags and metadata come before the SDK's span limits."""

from __future__ import annotations

from typing import Any

import pytest

import otel_agents as oa
from otel_agents.instrument.recording import (
    MAX_METADATA_KEY_LENGTH,
    MAX_METADATA_KEYS,
    MAX_TAG_LENGTH,
    MAX_TAGS,
)

_TEN_MB = 10 * 1024 * 1024


def test_ten_megabyte_tags_and_metadata_keys_are_cut(traced: Any) -> None:
    @oa.agent(name="big", tags=["t" * _TEN_MB])
    def big() -> None:
        oa.record(tags=["r" * _TEN_MB], metadata={"k" * _TEN_MB: "v"})

    big()
    (event,) = traced.events(agent="big")
    assert all(len(tag) <= MAX_TAG_LENGTH for tag in event.tags)
    assert event.tags[0].startswith("r" * 100)
    (key,) = event.metadata
    assert key.startswith("k" * 50) and len(key) <= MAX_METADATA_KEY_LENGTH
    assert len(event.to_json_bytes()) < 64 * 1024


@pytest.mark.internal_errors  # on purpose: each is counted and logged once
def test_too_many_tags_and_metadata_keys_are_bounded(traced: Any) -> None:
    @oa.agent(name="many")
    def many() -> None:
        oa.record(tags=[f"t{i}" for i in range(1000)], metadata={f"k{i}": i for i in range(1000)})

    many()
    (event,) = traced.events(agent="many")
    assert len(event.tags) == MAX_TAGS
    assert len(event.metadata) == MAX_METADATA_KEYS
