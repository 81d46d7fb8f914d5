"""How far back a character LM looks, measured on held-out text, not inferred from one loss.

Two measurements over one fixed, seeded set of test windows (the same for every model and
seed, so differences between models are paired):

- loss by position: each window starts from a zero state, so the loss at position t is the
  loss with t characters of context; where it stops falling is where more context stops
  helping;
- context perturbation (Khandelwal et al. 2018, "Sharp Nearby, Fuzzy Far Away"): for the
  last character of each window, the context farther than d characters back is shuffled
  (the same characters, their order destroyed) or replaced (by a stretch of unrelated test
  text), and the loss increase is measured against d. A model's effective context is the
  smallest measured d from which on every increase stays below ``THRESHOLD`` of its loss.
"""

import math
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from torch import Tensor
from torch.nn import functional as F

from seqbench import rundir
from seqbench.data.text import CharLMDataModule
from seqbench.errors import ConfigError
from seqbench.lessons.context.aggregate import MODES, THRESHOLD, WINDOWS
from seqbench.lessons.exposure_bias.generation import check_char_lm, inference
from seqbench.lessons.exposure_bias.measure import check_trained_on
from seqbench.lessons.timing import quiet_cpu
from seqbench.models import BACKBONES, model_rank
from seqbench.tasks.checkpoint import load_task

WINDOW_SEED = 0  # which windows and which perturbations: the same for every model and seed

MAX_WINDOWS = 10_000  # 13 perturbed copies of each are held at once: 70 MB at 64 characters
MAX_SEED = 2**63 - 1

Predict = Callable[[Tensor], Tensor]  # inputs (B, T) -> logits (B, T, V)


def distances(length: int) -> list[int]:
    """1, 2, 4, ... below ``length``: at d = length nothing is farther back, so it is not
    measured (its increase is 0 by construction)."""
    return [2**i for i in range(max(0, math.ceil(math.log2(length))))]


def sample_windows(ids: np.ndarray, count: int, length: int, seed: int) -> np.ndarray:
    """``count`` windows of ``length + 1`` ids (inputs and the next-character targets) at
    seeded random places in the text: the same windows for every model that reads them."""
    if len(ids) < length + 1:
        raise ConfigError(
            f"the test text has {len(ids)} characters, fewer than one window of {length + 1}; "
            "train with a smaller data.seq_len"
        )
    starts = np.random.default_rng([seed, length]).integers(0, len(ids) - length, count)
    return np.asarray(ids)[starts[:, None] + np.arange(length + 1)].astype(np.int64)


def perturb(
    rows: np.ndarray, distance: int, mode: str, rng: np.random.Generator, pool: np.ndarray
) -> np.ndarray:
    """``rows`` (B, L+1) with the context of the last id perturbed beyond ``distance``.

    The last id (index L) is the target; the input at index i is L - i characters back, so
    the ids at indices below L - distance are the ones farther than ``distance``: shuffled
    within each row, or replaced by a stretch of ``pool`` (test text) from a random place.
    Everything within ``distance``, and the target, stays as it was.
    """
    if mode not in MODES:
        raise ConfigError(f"perturbation mode {mode!r} is unknown; valid: {', '.join(MODES)}")
    out = rows.copy()
    far = rows.shape[1] - 1 - distance
    if far <= 0:
        return out
    if mode == "shuffle":
        for row in out:
            row[:far] = row[:far][rng.permutation(far)]
        return out
    starts = rng.integers(0, len(pool) - far + 1, len(rows))
    out[:, :far] = np.asarray(pool)[starts[:, None] + np.arange(far)]
    return out


def token_losses(predict: Predict, rows: Tensor) -> Tensor:
    """Loss (nats) of every next-id prediction in each window (B, L), from a zero state."""
    logits = predict(rows[:, :-1])
    return F.cross_entropy(logits.transpose(1, 2).float(), rows[:, 1:], reduction="none")


def first_unused(increase: list[float], loss: float, length: int) -> int:
    """The smallest measured distance from which on every increase is below THRESHOLD of
    ``loss``; ``length`` (the whole window) when even the largest is not."""
    effective = length
    for d, rise in reversed(list(zip(distances(length), increase, strict=True))):
        if rise >= THRESHOLD * loss:
            break
        effective = d
    return effective


def perturbed_inputs(rows: np.ndarray, pool: np.ndarray, seed: int) -> dict[str, list[Tensor]]:
    """Every perturbation of ``rows``, per mode one per distance, each from its own seeded
    generator: the same perturbed text for every model and seed."""
    length = rows.shape[1] - 1
    return {
        mode: [
            torch.from_numpy(perturb(rows, d, mode, np.random.default_rng([seed, m, d]), pool))
            for d in distances(length)
        ]
        for m, mode in enumerate(MODES)
    }


def measure_model(predict: Predict, rows: np.ndarray, perturbed: dict[str, list[Tensor]]) -> dict:
    """Loss by position, and the loss increase at the last position for each perturbation."""
    length = rows.shape[1] - 1
    clean = token_losses(predict, torch.from_numpy(rows))
    last = clean[:, -1]
    result: dict = {
        "loss_by_position": clean.mean(0).tolist(),
        "last_loss": last.mean().item(),
        "increase": {},
        "increase_se": {},
        "effective_context": {},
    }
    for mode, inputs in perturbed.items():
        rises = [token_losses(predict, rows_d)[:, -1] - last for rows_d in inputs]
        result["increase"][mode] = [rise.mean().item() for rise in rises]
        result["increase_se"][mode] = [
            (rise.std() / math.sqrt(len(rise))).item() if len(rise) > 1 else None for rise in rises
        ]
        result["effective_context"][mode] = first_unused(
            result["increase"][mode], result["last_loss"], length
        )
    return result


def held_out(data: str, raw_dir: Path) -> tuple[np.ndarray, dict]:
    """The test split's ids exactly as CharLMDataModule reads them for test/loss, and the
    dataset's identity (name, content hash, vocabulary) to check checkpoints against."""
    datamodule = CharLMDataModule(data, str(raw_dir))
    datamodule.setup("test")  # verifies the snapshot and refuses non-text data
    content = datamodule.provenance["content_hash"]
    ids = np.asarray(datamodule.datasets["test"].ids)
    return ids, {"name": data, "content_hash": content, "vocab": datamodule.vocab}


def checkpoints(runs_dir: Path, data: str) -> dict[str, dict[int, Path]]:
    """Every trained model's best checkpoint of every seed, runs/<data>/<model>/<seed>/,
    models in the report's order."""
    found: dict[str, dict[int, Path]] = {}
    for model in sorted(BACKBONES, key=model_rank):
        folder = Path(runs_dir) / data / model
        seeds = sorted(int(p.name) for p in folder.glob("*") if p.name.isdigit())
        paths = {s: rundir.checkpoint(rundir.run_dir(runs_dir, data, model, s)) for s in seeds}
        if paths := {s: p for s, p in paths.items() if p.is_file()}:
            found[model] = paths
    return found


def context_lesson(
    runs_dir: Path,
    data: str,
    raw_dir: Path,
    windows: int = WINDOWS,
    seed: int = WINDOW_SEED,
) -> dict:
    """Loss by position and context perturbation for every model and seed of ``data``, on
    one CPU thread (the seconds it took are in the result)."""
    if not 2 <= windows <= MAX_WINDOWS:
        raise ConfigError(
            f"--windows={windows} is out of range; valid: 2..{MAX_WINDOWS:,} (a spread needs two; "
            f"the default {WINDOWS} takes seconds a checkpoint)"
        )
    if not 0 <= seed <= MAX_SEED:
        raise ConfigError(f"--seed must be in 0..{MAX_SEED}, got {seed}")
    found = checkpoints(runs_dir, data)
    if not found:
        raise ConfigError(
            f"no checkpoint at {runs_dir}/{data}/<model>/<seed>/checkpoints/best.ckpt; train "
            f"first, e.g. `seqbench-train data={data} model=lstm seed=0`"
        )
    start = time.perf_counter()
    ids, dataset = held_out(data, raw_dir)
    prepared: dict[int, tuple[np.ndarray, dict]] = {}  # per window length
    models: dict[str, dict] = {}
    with quiet_cpu(1) as threads:
        for model, paths in found.items():
            runs = {}
            for run_seed, path in paths.items():
                task = load_task(path, "cpu")
                check_char_lm(task)
                check_trained_on(task, path, dataset)
                length = int(task.data_info["seq_len"])
                if length not in prepared:
                    rows = sample_windows(ids, windows, length, seed)
                    prepared[length] = (rows, perturbed_inputs(rows, ids, seed))
                with inference(task):
                    measured = measure_model(lambda x, t=task: t(x)[0], *prepared[length])
                runs[str(run_seed)] = {"checkpoint": str(path), "window": length, **measured}
            models[model] = {"seeds": runs}
    return {
        "data": data,
        "split": "test",
        "windows": windows,
        "window_seed": seed,
        "threshold": THRESHOLD,
        "modes": list(MODES),
        "distances": {str(n): distances(n) for n in sorted(prepared)},
        "models": models,
        "threads": threads,
        "seconds": time.perf_counter() - start,
    }


def summary(result: dict) -> list[str]:
    """One line per model: its effective context per seed under each perturbation."""
    lines = []
    for model, found in result["models"].items():
        runs = found["seeds"].values()
        parts = [f"{mode} {[run['effective_context'][mode] for run in runs]}" for mode in MODES]
        losses = ", ".join(f"{run['last_loss']:.3f}" for run in runs)
        lines.append(f"{model:12} effective context {'; '.join(parts)}; last loss {losses}")
    lines.append(
        f"{result['windows']} test windows, {result['threads']} thread, {result['seconds']:.1f} s"
    )
    return lines
