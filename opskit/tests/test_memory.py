"""Samplers against a real allocation: the peak is seen, and a short body is still sampled."""

from __future__ import annotations

import subprocess
import sys
import time

import psutil

from opskit.memory import PeriodicSampler, ProcessTree, TreeRSSSampler, tree_rss_bytes


def test_tree_sampler_sees_a_temporary_allocation() -> None:
    before = tree_rss_bytes(psutil.Process())
    with TreeRSSSampler(interval_s=0.01) as sampler:
        block = bytearray(64 * 2**20)  # 64 MiB, touched so it is resident
        block[::4096] = b"x" * len(block[::4096])
        seen = sampler.samples  # wait for the thread's own samples (a busy machine is slow)
        deadline = time.monotonic() + 60
        while sampler.samples < seen + 2 and time.monotonic() < deadline:
            time.sleep(0.01)
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


def test_a_process_tree_lists_its_members_again_only_when_the_list_is_stale() -> None:
    me = psutil.Process()
    cached = ProcessTree(me, relist_s=3600)
    fresh = ProcessTree(me, relist_s=0)
    assert cached.rss_bytes() > 0
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        cached.rss_bytes()
        fresh.rss_bytes()
        pids = {p.pid for p in fresh.members}
        assert child.pid in pids
        assert child.pid not in {p.pid for p in cached.members}
        assert fresh.rss_bytes() >= me.memory_info().rss
    finally:
        child.kill()
        child.wait()
