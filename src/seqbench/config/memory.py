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
from pathlib import Path
from typing import NamedTuple

from omegaconf import DictConfig, OmegaConf

from seqbench import ranks
from seqbench.errors import ConfigError

GiB = 2**30
FLOAT = 4  # bytes: weights and activations are fp32 (mixed precision keeps fp32 weights)
WEIGHT_COPIES = 4  # weights, gradients, AdamW's exp_avg and exp_avg_sq
KEPT_PER_UNIT = 2  # floats per hidden unit, layer and step kept for backward (output + grad)
SOLVER_CEILING = 4096  # the largest hidden size solved from task.param_budget (models.size)
COPY_MARGIN = 20  # the copy task's 10 symbols shown and 10 recalled


class Estimate(NamedTuple):
    """The backbone's size as the run will build it: its hidden size and parameters."""

    hidden: int
    parameters: int


def _backbone_parameters(cfg: DictConfig, hidden: int) -> int:
    """Parameters of the configured backbone at ``hidden`` units, built on PyTorch's meta
    device: shapes only, nothing allocated, whatever the size."""
    import torch
    from hydra.errors import InstantiationException
    from hydra.utils import instantiate

    options = {k: v for k, v in cfg.model.items() if k not in ("name", "hidden_size")}
    try:  # model._target_ is one of seqbench's backbones (config_targets)
        factory = instantiate(OmegaConf.create(options))
        with torch.device("meta"):
            net = factory(input_size=cfg.task.embed_dim, hidden_size=hidden)
    except (TypeError, ValueError, InstantiationException) as error:  # options it refuses
        first = (str(error).splitlines() or [type(error).__name__])[0]
        solving = "" if cfg.model.hidden_size is not None else ", solved from task.param_budget"
        raise ConfigError(
            f"model={cfg.model.name} refuses its options (tried at hidden_size={hidden}"
            f"{solving}): {first}"
        ) from None
    return sum(p.numel() for p in net.parameters())


def hidden_and_parameters(cfg: DictConfig) -> Estimate:
    """The hidden size and backbone parameters: as set, or the largest size within
    task.param_budget (the budget solver's choice, which also counts input and head)."""
    if cfg.model.hidden_size is not None:
        return Estimate(cfg.model.hidden_size, _backbone_parameters(cfg, cfg.model.hidden_size))
    multiple = math.lcm(2, cfg.model.get("num_heads") or 1)
    low, high = 1, SOLVER_CEILING // multiple
    while low < high:  # largest k with params(k * multiple) <= budget
        mid = (low + high + 1) // 2
        if _backbone_parameters(cfg, mid * multiple) <= cfg.task.param_budget:
            low = mid
        else:
            high = mid - 1
    return Estimate(low * multiple, _backbone_parameters(cfg, low * multiple))


def _steps(info: dict) -> int:
    if "seq_len" in info or "window" in info:
        return int(info.get("seq_len") or info["window"])
    return int(info["length"]) + (COPY_MARGIN if info.get("kind") == "copy" else 0)


def activation_bytes(cfg: DictConfig, info: dict, hidden: int, parameters: int) -> int:
    """What one batch keeps for backward: per step and layer as many floats as the layer has
    weights per hidden unit (an LSTM's four gates on input and state, a Transformer block's
    attention and feed-forward widths; measured: the fused LSTM allocates this much), the
    attention weights (heads x steps), the input embedding and the logits over the vocabulary."""
    steps = _steps(info)
    chunk = min(steps, cfg.task.get("tbptt_steps") or steps)  # graphs live one chunk long
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
    hidden, parameters = estimate or hidden_and_parameters(cfg)
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
            f"{cfg.data.batch_size} x {_steps(info)} steps"
        )
    if processes > 1:
        parts += f", x {processes} processes"
    raise ConfigError(
        f"the run needs at least {needed / GiB:,.1f} GiB ({parts}; model.hidden_size={hidden}, "
        f"{parameters:,} backbone parameters) but only {free[0] / GiB:,.1f} GiB {free[1]}; "
        "lower model.hidden_size, model.num_layers or data.batch_size"
    )
