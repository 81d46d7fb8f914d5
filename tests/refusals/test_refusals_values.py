"""Refusals of a single run's config values that Hydra accepts and Lightning, torch or W&B
would reject late (a traceback, exit 1, a run folder written) or never: non-finite numbers,
every Trainer argument, budgets that never validate, a task that does not fit its data,
classes a config names (``_target_``), Hydra's chdir and the W&B mode. Rows are named after
the findings of /work/shared/findings/hostile-inputs-2026-12-03.md where one exists; every
row asserts what tests/helpers/refusals.py asserts: one `error:` line, exit 2, nothing written.
"""

import re
import socket

import pytest
from helpers.refusals import TRAIN, Case, check
from omegaconf import open_dict

from seqbench import config
from seqbench.config import allowlist, hydra_settings, trainer_checks
from seqbench.errors import ConfigError

SILENT = socket.create_server(("127.0.0.1", 0))  # accepts, never answers: a hanging W&B host
SILENT_URL = f"http://127.0.0.1:{SILENT.getsockname()[1]}"
with socket.create_server(("127.0.0.1", 0)) as _closed:
    CLOSED_URL = f"http://127.0.0.1:{_closed.getsockname()[1]}"  # nothing listens there now


def trains(*overrides: str, says: str, name: str, **options) -> Case:
    argv = ("train", *TRAIN[1:], "data=adding", "budget=smoke", *overrides)
    return Case(name, argv, says, **options)


def wandb(name: str, says: str, env: dict, *overrides: str) -> Case:
    argv = ("train", "print_config=false", "callbacks.progress_bar=null", "data=adding")
    return Case(name, (*argv, "logger=wandb", *overrides), says, env=env)


FINITE = [
    trains(
        "model=lstm",
        "model.forget_bias=inf",
        says="model.forget_bias must be a number (not inf or nan)",
        name="C60-forget-bias-inf",
    ),
    trains(
        "model=lstm",
        "model.forget_bias=-inf",
        says="model.forget_bias must be a number (not inf or nan)",
        name="forget-bias-minus-inf",
    ),
    trains(
        "model=lstm",
        "model.forget_bias=nan",
        says="model.forget_bias must be a number (not inf or nan)",
        name="forget-bias-nan",
    ),
    trains("model.dropout=nan", says="model.dropout must be a number", name="dropout-nan"),
    trains("model.dropout=-0.1", says="model.dropout must be a number", name="dropout-negative"),
    trains("optimizer.lr=nan", says="optimizer.lr must be a number", name="lr-nan"),
    trains(
        "optimizer.weight_decay=inf",
        says="optimizer.weight_decay must be a number",
        name="weight-decay-inf",
    ),
    trains("task.grad_clip=inf", says="task.grad_clip must be a number", name="grad-clip-inf"),
    trains("task.grad_clip=nan", says="task.grad_clip must be a number", name="grad-clip-nan"),
    trains("scheduler.eta_min=inf", says="scheduler.eta_min must be a number", name="eta-min-inf"),
    trains(
        "+budget.warmup=inf", says="budget.warmup must be a finite number", name="any-float-inf"
    ),
]

TRAINER = [
    trains(
        "trainer.enable_model_summary=maybe",
        says="trainer.enable_model_summary must be true",
        name="C90-model-summary-maybe",
    ),
    trains(
        "+trainer.detect_anomaly=1",
        says="trainer.detect_anomaly must be true or false",
        name="detect-anomaly-one",
    ),
    trains(
        "+trainer.inference_mode=maybe",
        says="trainer.inference_mode must be true",
        name="inference-mode-maybe",
    ),
    trains(
        "trainer.use_distributed_sampler=sometimes",
        says="trainer.use_distributed_sampler must",
        name="distributed-sampler",
    ),
    trains("trainer.max_epochs=abc", says="trainer.max_epochs must be -1", name="C38-epochs-abc"),
    trains("trainer.max_epochs=-5", says="trainer.max_epochs must be -1", name="C91-epochs-minus"),
    trains("trainer.max_epochs=0", says="trainer.max_epochs must be -1", name="epochs-zero"),
    trains(
        "trainer.max_steps=-1",
        says="trainer.max_steps must be an integer >= 1",
        name="trainer-steps-endless",
    ),
    trains(
        "trainer.precision=half",
        says="trainer.precision='half' is not valid",
        name="precision-name",
    ),
    trains(
        "trainer.accelerator=mps",
        says="trainer.accelerator='mps' is not valid",
        name="accelerator-mps",
    ),
    trains(
        "+trainer.gradient_clip_val=1.0",
        says="clip with task.grad_clip",
        name="trainer-gradient-clip",
    ),
    trains(
        "+trainer.gradient_clip_val=-1",
        says="trainer.gradient_clip_val=-1 is not supported",
        name="trainer-gradient-clip-negative",
    ),
    trains(
        "+trainer.accumulate_grad_batches=2", says="raise data.batch_size", name="accumulate-grad"
    ),
    trains("+trainer.fast_dev_run=true", says="use budget=smoke", name="fast-dev-run"),
    trains(
        "+trainer.barebones=true", says="trainer.barebones=true is not supported", name="barebones"
    ),
    trains(
        "+trainer.enable_checkpointing=false",
        says="the best checkpoint is tested",
        name="checkpointing-off",
    ),
    Case(
        "progress-bar-off-with-bar",
        ("train", "print_config=false", "logger=csv", "+trainer.enable_progress_bar=false"),
        "switch the bar off with callbacks.progress_bar",
    ),
    trains(
        "+trainer.logger=false",
        says="trainer.logger is set by seqbench itself",
        name="trainer-logger",
    ),
    trains(
        "+trainer.default_root_dir=/tmp/x",
        says="set paths.run_dir instead",
        name="trainer-root-dir",
    ),
    trains("+trainer.max_time=abc", says="trainer.max_time must be DD:HH:MM:SS", name="max-time"),
    trains(
        "+trainer.profiler=fancy", says="trainer.profiler='fancy' is not valid", name="profiler"
    ),
    trains(
        "+trainer.reload_dataloaders_every_n_epochs=-1",
        says="must be an integer >= 0",
        name="reload-dataloaders",
    ),
    trains(
        "+trainer.limit_train_batches=0",
        says="trainer.limit_train_batches must be a number",
        name="limit-train-zero",
    ),
]

BUDGET = [
    trains(
        "budget.max_steps=5",
        "budget.val_every=10",
        says="budget.val_every=10 is more than budget.max_steps=5",
        name="C102-val-every-beyond-steps",
    ),
    trains(
        "budget.val_every=0", says="budget.val_every must be an integer >= 1", name="val-every-zero"
    ),
    trains(
        "budget.max_steps=-3",
        says="budget.max_steps must be an integer >= 1",
        name="max-steps-negative",
    ),
    trains(
        "budget.val_batches=-1",
        says="budget.val_batches must be a number of batches",
        name="val-batches-negative",
    ),
    trains(
        "budget.test_batches=0.0",
        says="budget.test_batches must be a number of batches",
        name="test-batches-zero-share",
    ),
    trains(
        "+trainer.check_val_every_n_epoch=3",
        says="first validates at step 30 (data.steps_per_epoch=10, trainer.check_val_every",
        name="validates-every-third-epoch-only",
    ),
    trains(
        "trainer.max_epochs=1",
        "+trainer.check_val_every_n_epoch=2",
        says="the run stops after 10 steps (trainer.max_epochs=1 of 10 steps)",
        name="epochs-end-before-validation",
    ),
    trains(
        "+trainer.val_check_interval=11",
        says="trainer.val_check_interval=11 is more than",
        name="val-check-interval-beyond-epoch",
    ),
    trains(
        "+trainer.min_steps=50",
        says="trainer.min_steps=50 asks for more than the 20 steps",
        name="min-steps-beyond-max",
    ),
    trains(
        "+trainer.min_epochs=3",
        says="trainer.min_epochs=3 asks for more than the 20 steps",
        name="min-epochs-beyond-max",
    ),
]

TASK_DATA = [
    trains(
        "data=shakespeare",
        "task=adding",
        says="task=Adding reads adding data but "
        "data.name=shakespeare is text data; use task=language_model",
        name="C111-text-data-adding-task",
    ),
    trains(
        "data=watch",
        "task=language_model",
        says="use task=classifier",
        name="C110-sensor-data-language-model",
    ),
    trains(
        "task=copy",
        says="task=Copy reads copy data but data.name=adding is adding data",
        name="adding-data-copy-task",
    ),
    trains(
        "data.task=copy",
        says="data.name=adding is copy data; use task=copy",
        name="synthetic-kind-changed",
    ),
]

TARGETS = [
    trains(
        "model._target_=os.system",
        says="model._target_='os.system' is not one of seqbench",
        name="C112-model-os-system",
    ),
    trains(
        "model._target_=no.such.Class",
        says="(valid: seqbench.models.GRU, seqbench.models.LSTM, seqbench.models.RNN, "
        "seqbench.models.Transformer, seqbench.models.",  # then the others, from their configs
        name="C114-model-no-such-class",
    ),
    trains(
        "model._target_=builtins.eval",
        says="model._target_='builtins.eval'",
        name="model-builtins-eval",
    ),
    trains(
        "optimizer._target_=subprocess.Popen",
        says="valid: torch.optim.Adam",
        name="optimizer-subprocess",
    ),
    trains(
        "model._target_=torch.optim.AdamW",
        says="model._target_='torch.optim.AdamW'",
        name="model-an-optimizer",
    ),
    trains(
        "model._target_=seqbench.tasks.Adding",
        says="is not one of seqbench's classes",
        name="model-a-task",
    ),
    trains(
        "task._target_=seqbench.models.GRU",
        says="task._target_='seqbench.models.GRU'",
        name="task-a-model",
    ),
    trains(
        "data._target_=seqbench.data.fetch.fetch", says="data._target_=", name="data-a-function"
    ),
    trains(
        "scheduler._target_=seqbench.rundir.claim",
        says="scheduler._target_=",
        name="scheduler-seqbench-function",
    ),
    trains(
        "trainer._target_=os.system",
        says="valid: lightning.pytorch.Trainer",
        name="trainer-os-system",
    ),
    trains(
        "callbacks.gradient_flow._target_=os.system",
        says="callbacks.gradient_flow._target_=",
        name="callback-os-system",
    ),
    trains(
        "logger.csv._target_=shutil.rmtree",
        says="logger.csv._target_='shutil.rmtree'",
        name="logger-rmtree",
    ),
    trains(
        "+optimizer.foreach={_target_:builtins.print}",
        says="nothing is built there",
        name="nested-target",
    ),
    trains("+_target_=os.system", says="_target_='os.system' is not one", name="top-target"),
    trains("~model._target_", says="model names no class", name="model-target-removed"),
    trains("model._partial_=false", says="model._partial_ must stay true", name="partial-off"),
    trains(
        "hydra.callbacks.sweep_summary._target_=os.system",
        says="hydra.callbacks.sweep_summary._target_='os.system'",
        name="hydra-callback-os-system",
    ),
    trains(
        "hydra.job_logging.handlers.file.class=subprocess.Popen",
        says="is not a logging class seqbench allows",
        name="logging-handler-popen",
    ),
]

MODEL_OPTIONS = [  # the second generation's own options, refused by their constructors
    trains(
        "model=mamba",
        "model.d_state=0",
        says="model=mamba refuses its options (tried at hidden_size=",
        name="mamba-d-state-zero",
    ),
    trains(
        "model=mamba",
        "model.sequential=maybe",
        says="sequential must be true or false, got 'maybe'",
        name="mamba-sequential-maybe",
    ),
    trains(
        "model=xlstm",
        "model.slstm_at=[5]",
        says="slstm_at must list layer indices in [0, num_layers=2), got [5]",
        name="xlstm-slstm-at-out-of-range",
    ),
    trains(
        "model=lru",
        "model.r_min=1.5",
        says="r_min and r_max must satisfy 0 <= r_min <= r_max <= 1",
        name="lru-ring-outside-the-unit-circle",
    ),
    trains(
        "model=mingru",
        "model.expansion=0",
        says="expansion and ffn_mult must all be >= 1",
        name="mingru-expansion-zero",
    ),
    trains(
        "model=retnet",
        "model.hidden_size=30",
        says="model.hidden_size=30 must be divisible by model.num_heads=4",
        name="retnet-heads-do-not-divide",
    ),
]

HYDRA_AND_WANDB = [
    trains(
        "hydra.job.chdir=true",
        says="hydra.job.chdir=true is not supported",
        name="C107-hydra-chdir",
    ),
    wandb(
        "W06-wandb-mode-bogus",
        "WANDB_MODE='bogus' is not a W&B mode; valid modes: online",
        {"WANDB_MODE": "bogus"},
    ),
    wandb(
        "W01-wandb-online-no-server",
        "WANDB_MODE=online but the W&B server",
        {"WANDB_MODE": "online", "WANDB_BASE_URL": CLOSED_URL},
    ),
    wandb(
        "W03-wandb-online-silent-server",
        "does not answer within 5 s",
        {"WANDB_MODE": "online", "WANDB_BASE_URL": SILENT_URL},
    ),
    wandb(
        "wandb-node-mode-bogus",
        "logger.wandb.mode='sometimes' is not valid",
        {"WANDB_MODE": "offline"},
        "logger.wandb.mode=sometimes",
    ),
    wandb(
        "wandb-node-online-silent-server",
        "set logger.wandb.mode=auto",
        {"WANDB_MODE": "", "WANDB_BASE_URL": SILENT_URL},
        "logger.wandb.mode=online",
    ),
]

CASES = [*FINITE, *TRAINER, *BUDGET, *TASK_DATA, *TARGETS, *MODEL_OPTIONS, *HYDRA_AND_WANDB]
# through the real CLI (about 2 s each): every finding, and one row of each kind of variant;
# the config check refuses every row in process too (test_refused_by_the_config_check)
FINDING = re.compile(r"[CW]\d+-")
THROUGH_THE_CLI = {
    "any-float-inf",
    "trainer-gradient-clip",
    "progress-bar-off-with-bar",
    "epochs-end-before-validation",
    "synthetic-kind-changed",
    "model-an-optimizer",
    "nested-target",
    "hydra-callback-os-system",
    "logging-handler-popen",
    "wandb-node-online-silent-server",
    "mamba-d-state-zero",
}


@pytest.mark.parametrize(
    "case",
    [case for case in CASES if FINDING.match(case.id) or case.id in THROUGH_THE_CLI],
    ids=lambda case: case.id,
)
def test_refused_cleanly(case, project, tmp_path):
    check(case, project, tmp_path)


@pytest.mark.parametrize("case", [c for c in CASES if not c.env], ids=lambda case: case.id)
def test_refused_by_the_config_check(case):
    """What precheck does before Hydra starts the job, in process: milliseconds a row."""
    overrides = [a for a in case.argv[1:] if not a.startswith("-")]
    with pytest.raises(ConfigError) as refused:
        config.check_group_overrides(overrides)
        cfg = config.compose(overrides, hydra_config=True)
        hydra_settings.check_hydra(cfg.hydra)
        with open_dict(cfg):
            cfg.paths.run_dir = str(cfg.hydra.run.dir)
            del cfg["hydra"]
        config.validate(cfg, overrides)
    assert case.says in str(refused.value)


def composed(*overrides: str):
    return config.compose(overrides)


TASKS, DATASETS = config.group_options("task"), config.group_options("data")


@pytest.mark.parametrize("data", DATASETS)
@pytest.mark.parametrize("task", TASKS)
def test_every_task_is_refused_on_data_it_cannot_read(task, data):
    cfg = composed(f"data={data}", f"task={task}")
    allowlist.check_targets(cfg)  # every shipped combination names allowed classes
    kind = allowlist.data_kind(cfg)
    # the kind's own task, or another task of that kind (forecast_autoregressive)
    fits = task == allowlist.TASK_FOR_KIND[kind] or allowlist.TASK_KINDS[cfg.task._target_] == kind
    if fits:
        allowlist.check_task_fits_data(cfg)
    else:
        with pytest.raises(ConfigError, match=f"is {allowlist.data_kind(cfg)} data; use"):
            allowlist.check_task_fits_data(cfg)


def test_the_allowlists_name_seqbench_s_classes_and_their_kinds():
    from hydra.utils import get_object

    from seqbench import tasks
    from seqbench.models import BACKBONES

    for allowed in (*allowlist.ALLOWED.values(), hydra_settings.CALLBACKS):
        assert all(isinstance(get_object(name), type) for name in allowed), allowed
    assert {f"seqbench.tasks.{n}": k for n, k in tasks.TASK_KINDS.items()} == (allowlist.TASK_KINDS)
    for name, kind in allowlist.DATA_KINDS.items():
        assert (get_object(name).kind or None) == kind, name
    assert {get_object(name) for name in allowlist.MODELS} == set(BACKBONES.values())


def test_every_trainer_argument_has_a_check():
    import inspect

    from lightning.pytorch import Trainer

    arguments = set(inspect.signature(Trainer.__init__).parameters) - {"self"}
    checked = set(trainer_checks.TRAINER_KEYS) | set(trainer_checks.SET_BY_SEQBENCH)
    assert arguments == checked | set(trainer_checks.MANUAL_OPTIMISATION)


@pytest.mark.parametrize("trainer", config.group_options("trainer"))
@pytest.mark.parametrize("budget", config.group_options("budget"))
def test_every_shipped_trainer_and_budget_passes(trainer, budget):
    cfg = composed(f"trainer={trainer}", f"budget={budget}")
    trainer_checks.budget(cfg)
    trainer_checks.trainer_options(cfg)
    trainer_checks.validates_before_stopping(cfg)


SHIPPED = [
    *([f"model={model}"] for model in config.group_options("model")),
    *([f"data={data}"] for data in DATASETS),
    *([f"experiment={name}"] for name in config.group_options("experiment")),
    ["logger=wandb"],
    ["trainer=ddp_sim"],
    ["scheduler=none"],
]


@pytest.mark.parametrize("overrides", SHIPPED, ids=lambda overrides: overrides[0])
def test_every_shipped_config_passes_the_check(overrides, monkeypatch, tmp_path):
    monkeypatch.setenv("WANDB_MODE", "offline")  # logger=wandb: no server is asked
    cfg = composed(f"paths.root_dir={tmp_path}", *overrides)
    config.validate(cfg, overrides)
