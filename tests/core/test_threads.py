"""The thread-pool context patch is ours only while configured."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import otel_agents as oa


def test_shutdown_restores_thread_pool_submit(tmp_path):
    original = ThreadPoolExecutor.submit
    oa.configure(outcome_log=tmp_path / "o.jsonl")
    try:
        assert ThreadPoolExecutor.submit is not original  # context now reaches workers
    finally:
        oa.shutdown()
    assert ThreadPoolExecutor.submit is original
