"""Training cost against sequence length: the lecture's trade-off, measured.

A recurrent model does a fixed amount of work per time step, so a training step over T steps
should cost about T; self-attention compares every position with every earlier one, so its
step should approach T² once T is long enough for attention to outweigh the per-position
layers. This times full training steps (forward, backward through all T steps, optimiser
update) of the four parameter-matched sensor classifiers the streaming lesson uses, measures
the memory a step needs, and fits the exponent k of cost ∝ T^k on log-log axes over the
longer lengths, where fixed per-step overheads no longer dominate.
"""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable, Iterable

import torch
from torch import Tensor

from seqbench.errors import ConfigError
from seqbench.lessons.streaming.measure import CHANNELS, CLASSES, build_classifier
from seqbench.lessons.timing import quiet_cpu, synchronizer, timed
from seqbench.models import MODELS
from seqbench.tasks import Classifier

LENGTHS = tuple(2**k for k in range(6, 13))  # 64 ... 4096
SAVED = "bytes autograd saves for the backward pass (unique storages, parameters excluded)"
PEAK = "torch.cuda.max_memory_allocated during a step, above what was allocated before it"


def fit_lengths(lengths: Iterable[int]) -> list[int]:
    """The lengths an exponent is fitted over: the longer half (at least two, when there are)."""
    ordered = sorted(set(lengths))
    return ordered[-max(2, math.ceil(len(ordered) / 2)) :] if len(ordered) >= 2 else []


def power_fit(points: Iterable[tuple[float, float]]) -> dict | None:
    """Least-squares fit of log(value) = k·log(T) + c; the exponent k and its standard error.

    The standard error is None with two points (a line through two points has no residual to
    judge it by). None when fewer than two distinct positive points are given.
    """
    pairs = [(math.log(t), math.log(v)) for t, v in points if t > 0 and v > 0]
    if len({x for x, _ in pairs}) < 2:
        return None
    xs, ys = zip(*pairs, strict=True)
    slope, intercept = statistics.linear_regression(xs, ys)
    stderr = None
    if len(pairs) > 2:
        residual = sum((y - slope * x - intercept) ** 2 for x, y in pairs) / (len(pairs) - 2)
        spread = sum((x - statistics.fmean(xs)) ** 2 for x in xs)
        stderr = math.sqrt(residual / spread)
    return {"exponent": slope, "stderr": stderr, "points": len(pairs)}


def fit_all(rows: list[dict], lengths: Iterable[int]) -> dict[str, dict]:
    """Per model, the time and memory exponents over ``lengths``, and the time exponent
    between the two longest lengths (where attention's T² term weighs most)."""
    keep = set(lengths)
    fits = {}
    for model in dict.fromkeys(row["model"] for row in rows):
        mine = sorted((row for row in rows if row["model"] == model), key=lambda row: row["T"])
        fitted = [row for row in mine if row["T"] in keep]
        fits[model] = {
            "time": power_fit((row["T"], row["step_ms"]) for row in fitted),
            "memory": power_fit((row["T"], row["memory_bytes"]) for row in fitted),
            "time_longest_two": power_fit((row["T"], row["step_ms"]) for row in mine[-2:]),
        }
    return fits


def saved_bytes(step: Callable[[], None], task: Classifier) -> int:
    """Bytes of the tensors autograd keeps for backward during ``step``: what grows with T on
    any device. Counted once per storage; the parameters, fixed in size, are left out."""
    params = {p.untyped_storage().data_ptr() for p in task.parameters()}
    storages: dict[int, int] = {}

    def pack(tensor: Tensor) -> Tensor:
        storage = tensor.untyped_storage()
        if storage.data_ptr() not in params:
            storages[storage.data_ptr()] = storage.nbytes()
        return tensor

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda tensor: tensor):
        step()
    return sum(storages.values())


def peak_bytes(step: Callable[[], None], device: torch.device) -> int:
    """The CUDA allocator's peak during ``step``, above what was allocated before it."""
    torch.cuda.synchronize(device)
    before = torch.cuda.memory_allocated(device)
    torch.cuda.reset_peak_memory_stats(device)
    step()
    torch.cuda.synchronize(device)
    return torch.cuda.max_memory_allocated(device) - before


def _trainer(task: Classifier, x: Tensor, y: Tensor) -> Callable[[], None]:
    """One training step as SequenceTask.training_step takes it: forward, loss at the last
    step, backward through all of x, gradient clipping, AdamW update."""
    optimizer = task.configure_optimizers()
    optimizer = optimizer["optimizer"] if isinstance(optimizer, dict) else optimizer
    clip = task.grad_clip or math.inf

    def step() -> None:
        outputs, _ = task(x)
        loss = task.loss(outputs[:, -1], y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(task.parameters(), clip)
        optimizer.step()

    return step


def _cell(task: Classifier, length: int, batch: int, steps: int, device: torch.device) -> dict:
    """Warm up once while counting saved bytes, then time ``steps`` steps; one result row."""
    generator = torch.Generator().manual_seed(length)
    x = torch.randn(batch, length, CHANNELS, generator=generator).to(device)
    y = torch.randint(0, len(CLASSES), (batch,), generator=generator).to(device)
    step = _trainer(task, x, y)
    sync = synchronizer(device)
    saved = saved_bytes(step, task)  # also the warm-up: first calls allocate, pick kernels
    peak = peak_bytes(step, device) if device.type == "cuda" else None
    seconds = [timed(step, sync) for _ in range(steps)]
    return {
        "T": length,
        "step_ms": 1000 * statistics.median(seconds),
        "steps_ms": [1000 * s for s in seconds],
        "memory_bytes": peak if peak is not None else saved,
        "saved_bytes": saved,
    }


def measure(
    lengths: Iterable[int] = LENGTHS,
    models: Iterable[str] = MODELS,
    batch: int = 2,
    steps: int = 5,
    device: str | torch.device = "cpu",
    progress: Callable[[str, int], None] | None = None,
) -> dict:
    """Every model at every length, one row each, plus the fitted exponents and the setting.

    ``progress(model, T)`` is called after each cell, outside the timed region.
    """
    lengths = sorted(set(lengths))
    if not lengths or lengths[0] < 1 or batch < 1 or steps < 1:
        raise ConfigError(
            f"lengths, batch and steps must be >= 1, got lengths {lengths or 'none'}, batch "
            f"{batch}, steps {steps}; e.g. --lengths 64 128 256"
        )
    device = torch.device(device)
    started = time.perf_counter()
    rows = []
    tasks = {name: build_classifier(name).to(device).train() for name in models}
    for name, task in tasks.items():  # refuse before measuring anything
        if (limit := task.backbone.max_positions) is not None and lengths[-1] > limit:
            raise ConfigError(
                f"{name} has positions up to max_len={limit}; give --lengths up to {limit}"
            )
    with quiet_cpu() as threads:
        for name, task in tasks.items():
            size = {"num_parameters": task.num_parameters, "hidden_size": task.backbone.hidden_size}
            for length in lengths:
                rows.append({"model": name, **_cell(task, length, batch, steps, device), **size})
                if progress is not None:
                    progress(name, length)
    fitted = fit_lengths(lengths)
    return {
        "device": str(device),
        "torch": torch.__version__,
        "threads": threads if device.type == "cpu" else None,
        "batch_size": batch,
        "warmup_steps": 1,
        "timed_steps": steps,
        "step": "forward, loss at the last step, backward, gradient clipping, AdamW update",
        "memory_measure": PEAK if device.type == "cuda" else SAVED,
        "lengths": lengths,
        "fit_lengths": fitted,
        "rows": rows,
        "fits": fit_all(rows, fitted),
        "seconds": time.perf_counter() - started,
    }


def exponent_text(fit: dict | None) -> str:
    """An exponent as "1.02 ± 0.01" (no ± with two points); "–" when nothing was fitted."""
    if not fit:
        return "–"
    stderr = fit.get("stderr")
    return f"{fit['exponent']:.2f}" + (f" ± {stderr:.2f}" if stderr is not None else "")


def summary(result: dict) -> list[str]:
    """One line per model: step time and memory at the shortest and longest T, exponents."""
    lines = []
    for model, fits in result["fits"].items():
        mine = [row for row in result["rows"] if row["model"] == model]
        a, b = mine[0], mine[-1]
        lines.append(
            f"{model:18} {a['num_parameters']:>6} params  step {a['step_ms']:.1f} ms @ T={a['T']}"
            f" -> {b['step_ms']:.1f} ms @ T={b['T']} (T^{exponent_text(fits['time'])})  "
            f"memory {a['memory_bytes'] / 2**20:.2f} -> {b['memory_bytes'] / 2**20:.2f} MiB "
            f"(T^{exponent_text(fits['memory'])})"
        )
    return lines
