"""What a trained run costs on a device, measured: weights, state, time per step, memory.

For one run's best checkpoint: its parameters and the bytes of its weights; the bytes of
state one stream carries after the run's window length (and, for a key/value cache, how much
each further step adds); the time of one streaming step (batch 1, one CPU thread; median and
99th percentile over ``STEPS`` steps after ``WARMUP``) in eager PyTorch and in onnxruntime
running the exported step; and the peak resident memory of the process that streamed it.

Each run is measured in a process of its own (:func:`measure_runs`), so its peak memory is
its own and not the highest of everything measured before it. The stream is the run's window
length back to back (the state reset at each window's end, as the model was trained), so
an attention model's step time is its average over positions 1..T.
"""

from __future__ import annotations

import json
import multiprocessing
import resource
import statistics
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import torch

from seqbench import rundir
from seqbench.config.memory import steps as window_steps
from seqbench.errors import ConfigError
from seqbench.lessons.deploy import export, runtime
from seqbench.lessons.deploy.record import DEPLOY
from seqbench.lessons.streaming.streamer import tensor_bytes
from seqbench.lessons.timing import quiet_cpu
from seqbench.safety import atomic
from seqbench.tasks.checkpoint import load_task

STEPS, WARMUP = 1000, 100


def step_times(
    run: runtime.Runtime, start: list[torch.Tensor], window: torch.Tensor, count: int, warmup: int
) -> list[float]:
    """Seconds of each of ``count`` steps after ``warmup``, streaming ``window`` (1, T, ...)
    over and over from ``start`` (the state reset at each window's end)."""
    state, times, t = list(start), [], 0
    for i in range(warmup + count):
        if t == window.shape[1]:
            state, t = list(start), 0
        x_t = window[:, t]
        begin = time.perf_counter()
        _, *state = run(x_t, *state)
        elapsed = time.perf_counter() - begin
        if i >= warmup:
            times.append(elapsed)
        t += 1
    return times


def summary_ms(times: list[float]) -> dict:
    """Median and 99th percentile in milliseconds, and how many steps they are over."""
    p99 = statistics.quantiles(times, n=100, method="inclusive")[98]
    return {"median": statistics.median(times) * 1e3, "p99": p99 * 1e3, "steps": len(times)}


def state_growth(task, ex: export.Example, positions: int) -> tuple[int, int]:
    """Bytes of one stream's state after ``positions`` steps, and what one more step adds."""
    run = runtime.eager(task, "step", ex)
    state = list(ex.start)
    window = ex.window[:1]
    for t in range(positions + 1):
        if t == positions:
            at_window = tensor_bytes(state)
        _, *state = run(window[:, t % window.shape[1]], *state)
    return at_window, tensor_bytes(state) - at_window


def measure_checkpoint(path: Path, count: int = STEPS, warmup: int = WARMUP) -> dict:
    """The on-device cost of the task in checkpoint ``path`` (see the module docstring)."""
    task = load_task(path)
    positions = window_steps(task.data_info)
    ex = export.example(task, positions)
    weights = tensor_bytes(list(task.state_dict().values()))
    state, growth = state_growth(task, ex, positions)
    window = ex.window[:1]
    with quiet_cpu(1):
        eager = summary_ms(
            step_times(runtime.eager(task, "step", ex), ex.start, window, count, warmup)
        )
        try:
            data = export.to_bytes(task, "onnx", "step", ex)
            onnx_run = runtime.load(data, "onnx", "step", ex, threads=1)
            onnx, why = summary_ms(step_times(onnx_run, ex.start, window, count, warmup)), None
        except export.Unsupported as error:
            onnx, why = None, str(error)
    result = {
        "parameters": int(task.num_parameters),
        "weight_bytes": weights,
        "state_bytes": state,
        "state_positions": positions,
        "state_growth_bytes": growth,
        "memory_bytes": weights + state,
        "step_ms": {"eager": eager, "onnx": onnx},
        "threads": 1,
        "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        "versions": {"torch": torch.__version__, "onnxruntime": _onnxruntime_version()},
    }
    if why:
        result["onnx_unsupported"] = why
    return result


def _onnxruntime_version() -> str:
    import onnxruntime

    return onnxruntime.__version__


def measure_run(run: Path, count: int = STEPS, warmup: int = WARMUP) -> dict:
    """A run folder's ``deploy.json`` contents: its identity from metrics.json, the cost of
    its best checkpoint."""
    metrics = rundir.read_metrics(run)
    if metrics.get("status") != "finished":
        raise ConfigError(f"{run} holds no finished run ({rundir.METRICS}); train it first")
    identity = {key: metrics.get(key) for key in ("data", "model", "seed")}
    return identity | measure_checkpoint(rundir.checkpoint(run), count, warmup)


def _measure_and_write(run: Path, count: int, warmup: int) -> dict:
    result = measure_run(run, count, warmup)
    atomic.write_text(run / DEPLOY, json.dumps(result, indent=2) + "\n")
    return result


def measure_runs(
    runs: list[Path],
    count: int = STEPS,
    warmup: int = WARMUP,
    progress: Callable[[Path, dict], None] | None = None,
) -> list[dict]:
    """Measure each run in its own process and write its ``deploy.json``. The processes are
    forked from this one, which has imported torch and seqbench already, so each starts at
    once and holds nothing an earlier run allocated. The caller must run no other thread
    while this forks (a progress display refreshed by hand, not by its own thread)."""
    context = multiprocessing.get_context("fork")
    results = []
    for run in runs:
        with ProcessPoolExecutor(1, mp_context=context) as pool:
            result = pool.submit(_measure_and_write, run, count, warmup).result()
        results.append(result)
        if progress:
            progress(run, result)
    return results
