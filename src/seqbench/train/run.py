"""`seqbench-train`: compose a config with Hydra, train one model on one dataset, test the
best checkpoint, and write metrics.json into the run directory.

    seqbench-train model=gru data=watch budget=smoke
    seqbench-train ckpt_path=last            # resume this run directory's last checkpoint

:func:`train` reads as its steps: check the config (once, ``config.validate``: before Hydra
starts for a single run, which hands the job its ``Checked``; in the job for a sweep's),
claim the run directory, show the config, start (seed and build, see ``train.build``,
reusing the check's memory estimate), fit and test, and finish (results written, W&B
closed, DDP torn down) whatever happened.
"""

import math
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import hydra
from omegaconf import DictConfig, OmegaConf

from seqbench import config, ranks, rundir
from seqbench.errors import Interrupted, SeqbenchError, one_line
from seqbench.rundir import location
from seqbench.rundir.record import record_config
from seqbench.safety.redaction import protect, scrub, scrubbed_argv
from seqbench.train.build import build, configure_backend
from seqbench.train.precheck import precheck

TRAIN_MAIN = str(Path(__file__).with_name("__main__.py"))  # `python -m seqbench.train`


def is_child_rank() -> bool:
    """True in the processes DDP launches besides rank 0 (they must not re-check or write),
    and in SLURM's tasks besides the first (srun starts the ranks): see seqbench.ranks."""
    return not ranks.is_rank_zero()


def scalar_metrics(metrics: dict, prefix: str) -> dict[str, float]:
    return {k: float(v) for k, v in sorted(metrics.items()) if k.startswith(prefix)}


@dataclass
class Run:
    """What one training run is made of, built once by :func:`start`."""

    run_dir: Path
    datamodule: Any
    task: Any
    trainer: Any
    recorder: Any
    results: dict = field(default_factory=dict)


def claim_run_dir(cfg: DictConfig) -> tuple[Path, str | None]:
    """The run's folder, refused if it cannot be one or holds another run; the checkpoint
    to resume from."""
    location.check(cfg.paths.run_dir, [cfg.paths.raw_dir], cfg.paths.root_dir)
    run_dir = Path(cfg.paths.run_dir)
    resume = rundir.prepare(run_dir, cfg.ckpt_path, cfg.overwrite, is_child_rank())
    if not is_child_rank():
        (run_dir / rundir.CHECKPOINTS).mkdir(parents=True, exist_ok=True)  # a pipeline output
    return run_dir, resume


def show_config(cfg: DictConfig, clean: dict) -> None:
    """The config on the console (``clean``: resolved and redacted, as the loggers get it)."""
    if cfg.print_config and not is_child_rank():
        from rich import print as rich_print

        rich_print(config.tree(clean))


def start(
    cfg: DictConfig,
    run_dir: Path,
    resume: str | None = None,
    checked: config.Checked | None = None,
    clean_config: dict | None = None,
) -> Run:
    """Seeded construction of everything, the config logged (``clean_config``: resolved and
    redacted once, see :func:`train`), and metrics.json's header."""
    import lightning as L  # 3-5 s: only once the config is known to be good

    configure_backend(cfg)
    L.seed_everything(cfg.seed, workers=True, verbose=False)
    estimate = checked.estimate if checked is not None else None
    run = Run(run_dir, *build(cfg, run_dir, resume, estimate))
    if cfg.compile:
        run.task.backbone.compile()  # in place: checkpoints keep their parameter names
    if clean_config is None:
        clean_config = config.clean(cfg)
    with scrubbed_argv():  # W&B records the program's arguments when its run starts
        for logger in run.trainer.loggers:
            logger.log_hyperparams(
                {"config": clean_config, "num_parameters": run.task.num_parameters}
            )
    task = run.task
    run.results = {
        "status": "running",
        "data": cfg.data.name,
        "model": cfg.model.name,
        "seed": cfg.seed,
        "study": cfg.get("study"),
        "num_parameters": task.num_parameters,
        "hidden_size": task.hparams["backbone"]["hidden_size"],
        "state_floats": task.backbone.state_size(),  # per sequence; per position for a cache
        "state_grows": task.backbone.streams_with_cache,
        "match": task.match,  # how the hidden size was solved: equal parameters or state
        "state_budget": task.state_budget,
        "monitor": task.monitor,
        "mode": task.mode,
        "baseline": task.data_info["baseline"],
        "baseline_metric": task.data_info["baseline_metric"],
        "data_content_hash": run.datamodule.provenance["content_hash"],
        "wandb_group": OmegaConf.select(cfg, "logger.wandb.group"),
    }
    return run


def fit_and_test(run: Run, resume: str | None) -> dict:
    """Train (or resume), then test the best checkpoint; the finished run's results."""
    import torch

    trainer, task = run.trainer, run.task
    started = time.perf_counter()
    trainer.fit(task, datamodule=run.datamodule, ckpt_path=resume, weights_only=True)
    if trainer.interrupted:
        raise KeyboardInterrupt
    fit_seconds = time.perf_counter() - started
    validation = scalar_metrics(trainer.callback_metrics, "val/")
    best = trainer.checkpoint_callback.best_model_path or None
    trainer.test(task, datamodule=run.datamodule, ckpt_path=best, weights_only=True)
    score = trainer.checkpoint_callback.best_model_score
    return {
        "status": "finished",
        "val": validation,
        "test": scalar_metrics(trainer.callback_metrics, "test/"),
        "test_extra": getattr(task, "extra_results", {}),
        "best_val": float(score) if score is not None else math.nan,
        "steps": trainer.global_step,
        "clipped_steps": task.clipped_steps,
        "clip_gradients": task.clip_gradients,
        "grad_clip": task.grad_clip,
        "max_grad_norm": task.max_grad_norm,
        "train_seconds": round(fit_seconds, 2),
        **run.recorder.summary(),
        "devices": trainer.world_size,
        "torch": torch.__version__,
    }


def outcome(error: BaseException) -> dict:
    """How metrics.json records a run that did not finish."""
    if isinstance(error, KeyboardInterrupt | SystemExit):  # Lightning's Ctrl-C is SystemExit
        return {"status": "interrupted", "reason": "resume with ckpt_path=last"}
    return {"status": "failed", "reason": scrub(one_line(error))}


def finish(run: Run, environment: set[str]) -> None:
    """Whatever happened: results written, W&B closed, DDP torn down for the next job."""
    import torch

    if run.trainer.is_global_zero:
        run.recorder.write_curves()
        rundir.write_metrics(run.run_dir, run.results)
    for logger in run.trainer.loggers:
        if type(logger).__name__ == "WandbLogger" and logger.experiment is not None:
            logger.experiment.finish(exit_code=0 if run.results["status"] == "finished" else 1)
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        torch.distributed.destroy_process_group()  # the next job of a multirun starts its own
    for key in set(os.environ) - environment:  # LOCAL_RANK & co. set by the DDP launcher
        del os.environ[key]


def train(cfg: DictConfig, checked: config.Checked | None = None) -> float:
    """One run; returns the best value of the task's monitored metric (for sweepers).
    ``checked``: the proof ``config.validate`` passed this config already (the precheck's);
    without it (a sweep's job, train() called directly) the config is checked here."""
    if checked is None:
        checked = config.validate(cfg)
    run_dir, resume = claim_run_dir(cfg)
    clean = config.clean(cfg)  # shown and logged: resolved and redacted once
    show_config(cfg, clean)
    environment = set(os.environ)  # restored by finish()
    try:
        run = start(cfg, run_dir, resume, checked, clean)  # checks the checkpoint to resume first
    except Exception as error:  # before the first step: recorded, and the folder retryable
        if not resume and not is_child_rank():  # (a refused resume leaves its run as it was)
            record_config(cfg)
            rundir.write_metrics(run_dir, {"steps": 0, **outcome(error)})
        raise
    if not is_child_rank():
        record_config(cfg)
    try:
        run.results |= fit_and_test(run, resume)
        return run.results["best_val"]
    except BaseException as error:
        run.results |= outcome(error)
        if run.results["status"] == "interrupted":
            from lightning.pytorch.utilities.exceptions import SIGTERMException

            name = "SIGTERM" if isinstance(error, SIGTERMException) else "SIGINT"
            raise Interrupted(name, run.trainer.global_step) from None
        raise
    finally:
        finish(run, environment)


@dataclass(frozen=True)
class Job:
    """The task function Hydra runs, carrying the precheck's proof that a single run's config
    passed (a sweep's jobs carry none and check their own). A class, not a closure: the
    SLURM launcher pickles it by reference, and Hydra names the job after its module."""

    checked: config.Checked | None = None

    def __call__(self, cfg: DictConfig) -> float | None:
        return run_job(cfg, self.checked)


def run_job(cfg: DictConfig, checked: config.Checked | None = None) -> float | None:
    """The job Hydra runs; a failed job of a sweep returns None (Optuna: a failed trial)."""
    from seqbench.train import sweep

    sweep.use_sweep_dirs(cfg)
    keep_going = cfg.get("keep_going") or sweep.in_multirun()  # one failed job, not the sweep
    try:
        value = train(cfg, None if sweep.in_multirun() else checked)
        return value if math.isfinite(value) else None
    except SeqbenchError as error:
        say(error)
        if sweep.in_multirun():  # the job's own fresh folder: record why it failed
            run_dir = Path(cfg.paths.run_dir)
            run_dir.mkdir(parents=True, exist_ok=True)
            record_config(cfg)
            rundir.write_metrics(run_dir, {"status": "failed", "reason": scrub(str(error))})
        if keep_going:
            return None
        sys.exit(2)
    except Interrupted as stop:  # metrics.json says "interrupted"; a scheduler sees the signal
        say(stop)
        sys.exit(stop.code)
    except Exception as error:  # a failed run: metrics.json already records why
        disk = location.storage_problem(error, Path(cfg.paths.run_dir))
        say(disk or f"run failed: {one_line(error)}")
        if keep_going:
            return None
        if disk is not None:
            sys.exit(disk.code)
        if isinstance(error, FloatingPointError):
            sys.exit(1)
        raise
    except KeyboardInterrupt:
        say("interrupted; the last checkpoint is kept: resume with ckpt_path=last")
        sys.exit(130)


def say(message: object) -> None:
    print(f"error: {scrub(str(message))}", file=sys.stderr)  # the one line, secrets scrubbed


def hydra_main(checked: config.Checked | None = None) -> float | None:
    """Hydra's entry (``hydra.main``) for the job, reading ``sys.argv`` as Hydra does."""
    entry = hydra.main(config_path=str(config.CONF_DIR), config_name="train", version_base="1.3")
    return entry(Job(checked))()


def as_seqbench_train(argv: list[str]) -> None:
    """This process made to read as ``seqbench-train ARGV`` (``seqbench train ARGV``): Hydra
    parses ``sys.argv``, and Lightning's DDP launcher starts the other ranks with it, as
    ``python sys.argv[0] ...`` or, under ``python -m``, as ``python -m <__main__'s module>
    ...``: both must start seqbench-train, not ``seqbench`` without its ``train``."""
    import importlib.util

    script = Path(sys.argv[0]).with_name("seqbench-train")  # beside the `seqbench` script
    sys.argv = [str(script) if script.is_file() else TRAIN_MAIN, *argv]
    entry = sys.modules["__main__"]
    if getattr(entry, "__spec__", None) is not None:  # python -m seqbench.cli train ...
        entry.__spec__ = importlib.util.find_spec("seqbench.train.__main__")


def main(argv: list[str] | None = None) -> None:
    """``seqbench-train``; ``seqbench train`` gives ``argv`` (its arguments after ``train``)."""
    from seqbench.train import hydra_flags, sweep

    if argv is not None:
        as_seqbench_train(argv)
    sys.argv = sweep.child_argv(sys.argv)
    protect(sys.argv)  # whatever fails, no secret given on the command line is printed
    try:
        prechecked = precheck(sys.argv[1:], is_child_rank())
    except SeqbenchError as error:
        say(error)
        sys.exit(2)
    except KeyboardInterrupt:  # while the checks import torch: nothing was written yet
        say("interrupted before the run started; nothing was written")
        sys.exit(130)
    hydra_flags.hand_to_hydra(prechecked.args, lambda: hydra_main(prechecked.checked))


if __name__ == "__main__":
    main()
