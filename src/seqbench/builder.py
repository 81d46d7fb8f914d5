"""Everything one run is built from, out of its composed config: the DataModule, the task,
the callbacks, the loggers and the Trainer, plus the process-wide torch settings for its
device. `seqbench-train` calls it; so do the benchmarks, to build exactly what it trains."""

import os
from pathlib import Path

from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf

from seqbench.wandb_login import logged_in


def wandb_mode() -> str:
    """online with credentials (WANDB_API_KEY or a netrc login), else offline: never prompt."""
    if os.environ.get("WANDB_MODE") == "":
        del os.environ["WANDB_MODE"]  # wandb itself rejects an empty mode
    if os.environ.get("WANDB_MODE"):
        return os.environ["WANDB_MODE"]
    return "online" if logged_in() else "offline"


def build_loggers(cfg: DictConfig) -> list:
    loggers = []
    for name, node in (cfg.logger or {}).items():
        if node is None:
            continue
        if name == "wandb":
            node = OmegaConf.merge(node, {"mode": wandb_mode()} if node.mode == "auto" else {})
        loggers.append(instantiate(node))
    return loggers


def build(cfg: DictConfig, run_dir: Path):
    """DataModule, task, trainer and the recorder, from the config."""
    import lightning as L

    from seqbench.callbacks.atomic_checkpoint import AtomicCheckpointIO
    from seqbench.callbacks.recorder import RunRecorder

    datamodule = instantiate(cfg.data)
    datamodule.setup("fit")  # validates windows against the data before any training
    model_cfg = {k: v for k, v in cfg.model.items() if k != "name"}
    scheduler = instantiate(cfg.scheduler) if cfg.scheduler else None
    task = instantiate(
        cfg.task,
        backbone=instantiate(model_cfg),
        optimizer=instantiate(cfg.optimizer),
        scheduler=scheduler,
        data_info=datamodule.info(),
        _convert_="all",
    )
    callbacks = []
    for name, node in (cfg.callbacks or {}).items():
        if node is None:  # switched off, e.g. callbacks.progress_bar=null
            continue
        if name == "model_checkpoint":
            node = OmegaConf.merge(node, {"monitor": task.monitor, "mode": task.mode})
        callbacks.append(instantiate(node))
    recorder = RunRecorder(run_dir)
    loggers = build_loggers(cfg)
    trainer: L.Trainer = instantiate(
        cfg.trainer,
        callbacks=[*callbacks, recorder],
        logger=loggers or False,
        default_root_dir=str(run_dir),
        plugins=[AtomicCheckpointIO()],  # a full disk never truncates the last checkpoint
    )
    return datamodule, task, trainer, recorder


def configure_backend(cfg: DictConfig) -> None:
    """Process-wide torch settings for the device the trainer uses."""
    import torch

    # Vanishing gradients are literal on a CPU: a vanilla RNN's gradients decay into
    # denormal floats, which x86 handles ~100x slower. Flushing them to zero cost nothing
    # measurable in accuracy and took a 20-step RNN smoke run from 143 s to 2.9 s here.
    torch.set_flush_denormal(True)
    if cfg.trainer.get("accelerator") in ("gpu", "cuda"):
        # TF32 tensor cores for fp32 matmuls (32-true runs; bf16 autocast is unaffected)
        torch.set_float32_matmul_precision("high")
