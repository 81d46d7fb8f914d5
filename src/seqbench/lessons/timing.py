"""Timing helpers shared by the lesson benchmarks (streaming latency, cost against T).

A number should be the work of the call timed: one CPU thread, so other jobs' threads do
not change it; no denormal slow paths, which tiny states hit; and on a GPU a
synchronisation on both sides, so the time is the kernels' work, not the time to queue them.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import torch


@contextmanager
def quiet_cpu(threads: int = 1, flush_denormal: bool = True) -> Iterator[int]:
    """Run the block with ``threads`` torch threads (and denormals flushed, unless a caller
    measures values that small, as the gradient-flow probe does); restore both after."""
    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    if flush_denormal:
        torch.set_flush_denormal(True)
    try:
        yield threads
    finally:
        torch.set_num_threads(previous)
        if flush_denormal:
            torch.set_flush_denormal(False)


def synchronizer(device: torch.device) -> Callable[[], None]:
    """What waits for the device's queued work: CUDA's synchronize, nothing on the CPU."""
    return torch.cuda.synchronize if device.type == "cuda" else lambda: None


def timed(call: Callable[[], object], sync: Callable[[], None]) -> float:
    """Seconds ``call()`` takes, the device synchronised before and after."""
    sync()
    start = time.perf_counter()
    call()
    sync()
    return time.perf_counter() - start
