"""`seqbench-train`: compose a config with Hydra, train one model on one dataset, test the
best checkpoint, and write metrics.json into the run directory.

    seqbench-train model=gru data=watch budget=smoke
    seqbench-train ckpt_path=last            # resume this run directory's last checkpoint
"""

import math
import os
import sys
import time
from pathlib import Path

import hydra
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf

from seqbench import config, rundir
from seqbench.errors import ConfigError, SeqbenchError
from seqbench.wandb_login import logged_in


def wandb_mode() -> str:
    """online with credentials (WANDB_API_KEY or a netrc login), else offline: never prompt."""
    if os.environ.get("WANDB_MODE") == "":
        del os.environ["WANDB_MODE"]  # wandb itself rejects an empty mode
    if os.environ.get("WANDB_MODE"):
        return os.environ["WANDB_MODE"]
    return "online" if logged_in() else "offline"


def is_child_rank() -> bool:
    """True in the processes DDP launches besides rank 0 (they must not re-check or write)."""
    return int(os.environ.get("LOCAL_RANK", "0")) > 0 or int(os.environ.get("RANK", "0")) > 0


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


def scalar_metrics(metrics: dict, prefix: str) -> dict[str, float]:
    return {k: float(v) for k, v in sorted(metrics.items()) if k.startswith(prefix)}


def train(cfg: DictConfig) -> float:
    """One run; returns the best value of the task's monitored metric (for sweepers)."""
    config.validate(cfg)
    run_dir = Path(cfg.paths.run_dir)
    resume = rundir.prepare(run_dir, cfg.ckpt_path, cfg.overwrite, is_child_rank())
    if not is_child_rank():  # a child made it before rank 0's rundir.prepare: "already used"
        (run_dir / rundir.CHECKPOINTS).mkdir(
            parents=True, exist_ok=True
        )  # a pipeline output, always
    if cfg.print_config and not is_child_rank():
        from rich import print as rich_print

        rich_print(config.tree(cfg))
    import lightning as L  # 3-5 s: only once the config is known to be good
    import torch

    configure_backend(cfg)
    environment = set(os.environ)  # restored after the run: see the end of this function
    L.seed_everything(cfg.seed, workers=True, verbose=False)
    datamodule, task, trainer, recorder = build(cfg, run_dir)
    if cfg.compile:
        task.backbone.compile()  # in place: checkpoints keep their parameter names
    clean_config = config.redact(OmegaConf.to_container(cfg, resolve=True))
    for logger in trainer.loggers:
        logger.log_hyperparams({"config": clean_config, "num_parameters": task.num_parameters})
    started = time.perf_counter()
    results: dict = {
        "status": "running",
        "data": cfg.data.name,
        "model": cfg.model.name,
        "seed": cfg.seed,
        "study": cfg.get("study"),
        "num_parameters": task.num_parameters,
        "hidden_size": task.hparams["backbone"]["hidden_size"],
        "monitor": task.monitor,
        "mode": task.mode,
        "baseline": task.data_info["baseline"],
        "baseline_metric": task.data_info["baseline_metric"],
        "data_content_hash": datamodule.provenance["content_hash"],
        "wandb_group": OmegaConf.select(cfg, "logger.wandb.group"),
    }
    try:
        trainer.fit(task, datamodule=datamodule, ckpt_path=resume, weights_only=True)
        if trainer.interrupted:
            raise KeyboardInterrupt
        fit_seconds = time.perf_counter() - started
        validation = scalar_metrics(trainer.callback_metrics, "val/")
        best = trainer.checkpoint_callback.best_model_path or None
        trainer.test(task, datamodule=datamodule, ckpt_path=best, weights_only=True)
        test = scalar_metrics(trainer.callback_metrics, "test/")
        score = trainer.checkpoint_callback.best_model_score
        results |= {
            "status": "finished",
            "val": validation,
            "test": test,
            "test_extra": getattr(task, "extra_results", {}),
            "best_val": float(score) if score is not None else math.nan,
            "steps": trainer.global_step,
            "clipped_steps": task.clipped_steps,
            "clip_gradients": task.clip_gradients,
            "grad_clip": task.grad_clip,
            "max_grad_norm": task.max_grad_norm,
            "train_seconds": round(fit_seconds, 2),
            "throughput_tokens_per_s": round(recorder.throughput, 1),
            "devices": trainer.world_size,
            "torch": torch.__version__,
        }
        return results["best_val"]
    except BaseException as error:  # Lightning turns Ctrl-C into SystemExit after cleanup
        if isinstance(error, KeyboardInterrupt | SystemExit):
            results |= {"status": "interrupted", "reason": "resume with ckpt_path=last"}
        else:
            results |= {"status": "failed", "reason": config.one_line(error)}
        raise
    finally:
        if trainer.is_global_zero:
            recorder.write_curves()
            rundir.write_metrics(run_dir, results)
        for logger in trainer.loggers:
            if type(logger).__name__ == "WandbLogger" and logger.experiment is not None:
                logger.experiment.finish(exit_code=0 if results["status"] == "finished" else 1)
        if torch.distributed.is_available() and torch.distributed.is_initialized():
            # the next job of a multirun starts its own ranks and process group
            torch.distributed.destroy_process_group()
        for key in set(os.environ) - environment:  # LOCAL_RANK & co. set by the DDP launcher
            del os.environ[key]


@hydra.main(config_path=str(config.CONF_DIR), config_name="train", version_base="1.3")
def hydra_main(cfg: DictConfig) -> float | None:
    """The job Hydra runs; a failed job of a sweep returns None (Optuna: a failed trial)."""
    from seqbench import sweep

    sweep.use_sweep_dirs(cfg)
    keep_going = cfg.get("keep_going") or sweep.in_multirun()  # one failed job, not the sweep
    try:
        value = train(cfg)
        return value if math.isfinite(value) else None
    except SeqbenchError as error:
        print(f"error: {error}", file=sys.stderr)
        if sweep.in_multirun():  # the job's own fresh folder: record why it failed
            run_dir = Path(cfg.paths.run_dir)
            run_dir.mkdir(parents=True, exist_ok=True)
            rundir.write_metrics(run_dir, {"status": "failed", "reason": str(error)})
        if keep_going:
            return None
        sys.exit(2)
    except Exception as error:  # a failed run: metrics.json already records why
        print(f"error: run failed: {config.one_line(error)}", file=sys.stderr)
        if keep_going:
            return None
        if isinstance(error, FloatingPointError):
            sys.exit(1)
        raise
    except KeyboardInterrupt:
        print(
            "error: interrupted; the last checkpoint is kept: resume with ckpt_path=last",
            file=sys.stderr,
        )
        sys.exit(130)


def precheck(argv: list[str]) -> None:
    """Compose once with the Compose API so bad overrides end in one line, not Hydra's
    multi-line report. Multirun (-m) and Hydra's own flags are left to Hydra."""
    overrides = [a for a in argv if not a.startswith("-")]
    if len(overrides) != len(argv):
        return
    from hydra import compose, initialize_config_dir

    config.check_group_overrides(overrides)
    try:
        with initialize_config_dir(config_dir=str(config.CONF_DIR), version_base="1.3"):
            compose("train", overrides=overrides)
    except Exception as error:
        raise ConfigError(config.one_line(error)) from error


def main() -> None:
    from seqbench.sweep import child_argv

    sys.argv = child_argv(sys.argv)
    try:
        precheck(sys.argv[1:])
    except SeqbenchError as error:
        print(f"error: {error}", file=sys.stderr)
        sys.exit(2)
    hydra_main()


if __name__ == "__main__":
    main()
