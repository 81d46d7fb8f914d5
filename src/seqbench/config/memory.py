"""The memory a run needs, estimated from its config before anything is allocated, against
the memory there is: a hidden size or batch that cannot fit is refused with the estimate,
instead of dying in the allocator or being killed by the kernel minutes later.

Checked twice, estimated once: :func:`check_memory` with the config alone (``config.validate``:
the weights, before any data loads) returns its :class:`Estimate`, and the build checks again
with the DataModule's ``info()`` once it has checked its windows against the data
(``train.build``: the activations of a batch, before the model is built), reusing that
estimate rather than solving the hidden size again. The estimate errs low (fp32 weights,
their gradients and AdamW's two moments; per step and layer only what any backbone keeps
for its backward pass), so a refusal is certain.
"""

import math
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

from omegaconf import DictConfig, OmegaConf

from seqbench import ranks
from seqbench.errors import ConfigError

GiB = 2**30
FLOAT = 4  # bytes: weights and activations are fp32 (mixed precision keeps fp32 weights)
WEIGHT_COPIES = 4  # weights, gradients, AdamW's exp_avg and exp_avg_sq
KEPT_PER_UNIT = 2  # floats per hidden unit, layer and step kept for backward (output + grad)
SOLVER_CEILING = 4096  # the largest hidden size solved from task.param_budget (models.size)
COPY_MARGIN = 20  # the copy task's 10 symbols shown and 10 recalled
MATCHES = ("params", "state")  # task.match: what every model's hidden size is solved to match


class Estimate(NamedTuple):
    """The backbone's size as the run will build it: its hidden size and parameters."""

    hidden: int
    parameters: int


def _backbone(cfg: DictConfig, hidden: int):
    """The configured backbone at ``hidden`` units, built on PyTorch's meta device: shapes
    only, nothing allocated, whatever the size."""
    import torch
    from hydra.errors import InstantiationException
    from hydra.utils import instantiate

    options = {k: v for k, v in cfg.model.items() if k not in ("name", "hidden_size")}
    try:  # model._target_ is one of seqbench's backbones (config_targets)
        factory = instantiate(OmegaConf.create(options))
        with torch.device("meta"):
            return factory(input_size=cfg.task.embed_dim, hidden_size=hidden)
    except (TypeError, ValueError, InstantiationException) as error:  # options it refuses
        first = (str(error).splitlines() or [type(error).__name__])[0]
        solving = "" if cfg.model.hidden_size is not None else f", solved from {_budget(cfg)}"
        raise ConfigError(
            f"model={cfg.model.name} refuses its options (tried at hidden_size={hidden}"
            f"{solving}): {first}"
        ) from None


def _budget(cfg: DictConfig) -> str:
    return "task.state_budget" if cfg.task.get("match") == "state" else "task.param_budget"


def _backbone_parameters(cfg: DictConfig, hidden: int) -> int:
    return sum(p.numel() for p in _backbone(cfg, hidden).parameters())


def _state_hidden(cfg: DictConfig, positions: int) -> int:
    """The state solver's hidden size, refused in one line where it has none."""
    multiple = math.lcm(2, cfg.model.get("num_heads") or 1)
    try:
        return hidden_size_for_state(
            lambda hidden: _backbone(cfg, hidden),
            cfg.task.state_budget,
            positions,
            hi=SOLVER_CEILING,
            multiple=multiple,
        )
    except ValueError as error:
        raise ConfigError(f"model={cfg.model.name} with task.match=state: {error}") from None


def hidden_and_parameters(cfg: DictConfig, info: dict | None = None) -> Estimate | None:
    """The hidden size and backbone parameters: as set, or the largest size within
    task.param_budget (the budget solver's choice, which also counts input and head), or
    with task.match=state the state solver's choice over the data's sequence length (None
    before the data is known: ``info``)."""
    if cfg.model.hidden_size is not None:
        return Estimate(cfg.model.hidden_size, _backbone_parameters(cfg, cfg.model.hidden_size))
    if cfg.task.get("match") == "state":
        if info is None:
            return None
        hidden = _state_hidden(cfg, steps(info))
        return Estimate(hidden, _backbone_parameters(cfg, hidden))
    multiple = math.lcm(2, cfg.model.get("num_heads") or 1)
    low, high = 1, SOLVER_CEILING // multiple
    while low < high:  # largest k with params(k * multiple) <= budget
        mid = (low + high + 1) // 2
        if _backbone_parameters(cfg, mid * multiple) <= cfg.task.param_budget:
            low = mid
        else:
            high = mid - 1
    return Estimate(low * multiple, _backbone_parameters(cfg, low * multiple))


def steps(info: dict) -> int:
    """The time steps of one training sequence, from a DataModule's ``info()``."""
    if "seq_len" in info or "window" in info:
        return int(info.get("seq_len") or info["window"])
    return int(info["length"]) + (COPY_MARGIN if info.get("kind") == "copy" else 0)


def activation_bytes(cfg: DictConfig, info: dict, hidden: int, parameters: int) -> int:
    """What one batch keeps for backward: per step and layer as many floats as the layer has
    weights per hidden unit (an LSTM's four gates on input and state, a Transformer block's
    attention and feed-forward widths; measured: the fused LSTM allocates this much) and the
    attention weights (heads x steps), or what the backbone says it keeps where its own
    tensors are wider (``kept_for_backward``: Mamba's (d_inner, d_state) scan), plus the input
    embedding and the logits over the vocabulary."""
    length = steps(info)
    chunk = min(length, cfg.task.get("tbptt_steps") or length)  # graphs live one chunk long
    per_step = _backbone(cfg, hidden).kept_for_backward(chunk)
    if per_step is None:
        layers = cfg.model.get("num_layers") or 1
        per_layer = max(KEPT_PER_UNIT * hidden, parameters // (layers * hidden))
        per_step = layers * (per_layer + (cfg.model.get("num_heads") or 0) * chunk)
    per_step += cfg.task.embed_dim + info.get("vocab_size", 0) * KEPT_PER_UNIT
    return cfg.data.batch_size * chunk * per_step * FLOAT


def available(cfg: DictConfig) -> tuple[int, str] | None:
    """Free memory where the run allocates: the GPU's (this rank's) or the machine's RAM."""
    if cfg.trainer.get("accelerator") in ("gpu", "cuda"):
        import torch

        if torch.cuda.is_available():
            index = ranks.local_rank()
            return torch.cuda.mem_get_info(index)[0], f"is free on cuda:{index}"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024, "of RAM is available"
    except OSError:
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"), "of RAM is free"
    except (ValueError, OSError):
        return None


def check_memory(
    cfg: DictConfig, info: dict | None = None, estimate: Estimate | None = None
) -> Estimate | None:
    """Refuse a run whose estimate exceeds the free memory; ``info`` (the DataModule's) adds
    the activations of a batch. On CPU every DDP process holds a copy. ``estimate``: one made
    for this config before (by ``config.validate``), not solved again. Returns the estimate,
    or None where nothing was estimated (not rank zero, or no free memory to compare with)."""
    if not ranks.is_rank_zero():
        return None  # rank 0 checked before launching the others
    free = available(cfg)
    if free is None:
        return None
    found = estimate or hidden_and_parameters(cfg, info)
    if found is None:
        return None  # sized by state: estimated once the data's sequence length is known
    hidden, parameters = found
    weights = parameters * FLOAT * WEIGHT_COPIES
    activations = activation_bytes(cfg, info, hidden, parameters) if info else 0
    processes = 1 if cfg.trainer.get("accelerator") in ("gpu", "cuda") else cfg.trainer.devices
    needed = (weights + activations) * processes
    if needed <= free[0]:
        return Estimate(hidden, parameters)
    parts = f"weights with gradients and AdamW state {weights / GiB:,.1f} GiB"
    if info:
        parts += (
            f", activations {activations / GiB:,.1f} GiB for data.batch_size="
            f"{cfg.data.batch_size} x {steps(info)} steps"
        )
    if processes > 1:
        parts += f", x {processes} processes"
    raise ConfigError(
        f"the run needs at least {needed / GiB:,.1f} GiB ({parts}; model.hidden_size={hidden}, "
        f"{parameters:,} backbone parameters) but only {free[0] / GiB:,.1f} GiB {free[1]}; "
        "lower model.hidden_size, model.num_layers or data.batch_size"
    )


def hidden_size_for_state(
    build: Callable[[int], Any],
    budget: int,
    positions: int,
    lo: int = 4,
    hi: int = 4096,
    multiple: int = 4,
) -> int:
    """The largest hidden size in ``[lo, hi]`` (a multiple of ``multiple``) whose backbone
    carries at most ``budget`` floats per sequence after ``positions`` steps: matching models
    by the state they carry (Zoology's axis for recall) rather than by their weights.

    ``build(h)`` returns the backbone (built on the ``meta`` device: only its sizes are read);
    its ``state_size(positions)`` must be non-decreasing in ``h``. A state that does not grow
    with ``h`` (a fixed ``state_dim``) cannot be matched this way and is refused."""
    import torch

    if budget < 1:
        raise ValueError(f"state budget must be >= 1, got {budget}")
    first, last = -(-max(lo, 1) // multiple), hi // multiple

    def state(k: int) -> int:
        with torch.device("meta"):
            return build(k * multiple).state_size(positions)

    smallest = state(first)
    if smallest > budget:
        raise ValueError(
            f"even hidden_size={first * multiple} carries {smallest:,} floats per sequence "
            f"after {positions} steps, over the state budget of {budget:,}"
        )
    if smallest == state(last):
        raise ValueError(
            "its state does not grow with hidden_size, so it cannot be matched by state; "
            "set its state size, or match by parameters"
        )
    left, right = first, last  # largest k with state(k) <= budget
    while left < right:
        mid = (left + right + 1) // 2
        if state(mid) <= budget:
            left = mid
        else:
            right = mid - 1
    return left * multiple
