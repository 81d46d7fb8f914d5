"""Everything one run is built from, out of its composed config: the DataModule, the task,
the callbacks, the loggers and the Trainer, plus the process-wide torch settings for its
device. `seqbench-train` calls it; so do the benchmarks, to build exactly what it trains."""

import os
import sys
from pathlib import Path

from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf

from seqbench.config import allowlist, memory
from seqbench.config.keys import DROPPED
from seqbench.config.wandb_login import (
    ANSWER_SECONDS,
    SERVER_MODES,
    answers,
    base_url,
    logged_in,
    unanswered,
)
from seqbench.train.quiet import quiet_lightning, quiet_wandb


def wandb_mode() -> str:
    """online with credentials (WANDB_API_KEY or a netrc login) and a W&B server that
    answers within seconds, else offline: never prompt, never hang without a network."""
    if os.environ.get("WANDB_MODE") == "":
        del os.environ["WANDB_MODE"]  # wandb itself rejects an empty mode
    chosen = os.environ.get("WANDB_MODE")
    mode = chosen or ("online" if logged_in() else "offline")
    if mode not in SERVER_MODES or answers(base_url()):
        return mode
    if chosen:  # config.validate refused it a moment ago; the server has gone since
        raise unanswered(f"WANDB_MODE={chosen}")
    print(
        f"warning: the W&B server {base_url()} does not answer within {ANSWER_SECONDS:.0f} s; "
        "logging offline: upload later with `wandb sync` on the run's wandb/ folder",
        file=sys.stderr,
    )
    return "offline"


def build_loggers(cfg: DictConfig) -> list:
    loggers = []
    for name, node in (cfg.logger or {}).items():
        if node is None:
            continue
        if name == "wandb":
            node = OmegaConf.merge(node, {"mode": wandb_mode()} if node.mode == "auto" else {})
        loggers.append(instantiate(node))
        quiet_wandb(loggers[-1])
    return loggers


def build(
    cfg: DictConfig,
    run_dir: Path,
    resume: str | None = None,
    estimate: memory.Estimate | None = None,
):
    """DataModule, task, trainer and the recorder, from the config; a checkpoint to resume
    from is checked against the task before the trainer exists (one line, nothing logged).
    ``estimate``: the memory estimate ``config.validate`` made for this config, reused."""
    import lightning as L

    from seqbench.callbacks.atomic_checkpoint import AtomicCheckpointIO
    from seqbench.callbacks.recorder import RunRecorder

    datamodule = instantiate({k: v for k, v in cfg.data.items() if k not in DROPPED["data"]})
    datamodule.setup("fit")  # validates windows against the data before any training
    memory.check_memory(cfg, datamodule.info(), estimate)  # a batch's activations, before the model
    model_cfg = {k: v for k, v in cfg.model.items() if k not in DROPPED["model"]}
    scheduler = instantiate(cfg.scheduler) if cfg.scheduler else None
    identity = {"name": datamodule.name, "content_hash": datamodule.provenance["content_hash"]}
    task = instantiate(
        cfg.task,
        backbone=instantiate(model_cfg),
        optimizer=instantiate(cfg.optimizer),
        scheduler=scheduler,
        data_info=datamodule.info() | identity,  # saved: a resume must be on the same data
        _convert_="all",
    )
    if resume:
        from seqbench.tasks.checkpoint import check_resumable

        check_resumable(resume, task)
    callbacks = []
    for name, node in (cfg.callbacks or {}).items():
        if node is None:  # switched off, e.g. callbacks.progress_bar=null
            continue
        if name == "model_checkpoint":
            node = OmegaConf.merge(node, {"monitor": task.monitor, "mode": task.mode})
        callbacks.append(instantiate(allowlist.moved(node)))  # an old run's class paths
    recorder = RunRecorder(run_dir)
    loggers = build_loggers(cfg)
    quiet_lightning(resuming=bool(resume))  # lines not about this run: see seqbench.train.quiet
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
