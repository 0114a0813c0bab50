"""Samplers against a real allocation: the peak is seen, and a short body is still sampled."""

from __future__ import annotations

import time

import psutil

from opskit.memory import PeriodicSampler, TreeRSSSampler, tree_rss_bytes


def test_tree_sampler_sees_a_temporary_allocation() -> None:
    before = tree_rss_bytes(psutil.Process())
    with TreeRSSSampler(interval_s=0.01) as sampler:
        block = bytearray(64 * 2**20)  # 64 MiB, touched so it is resident
        block[::4096] = b"x" * len(block[::4096])
        time.sleep(0.1)
        del block
    assert sampler.peak_bytes >= before + 48 * 2**20
    assert sampler.samples >= 1


class _Counter(PeriodicSampler):
    def __init__(self) -> None:
        super().__init__(interval_s=60)
        self.calls = 0

    def sample(self) -> None:
        self.calls += 1


def test_a_body_shorter_than_the_interval_is_sampled_on_entry_and_exit() -> None:
    with _Counter() as counter:
        pass
    assert counter.calls == 2
