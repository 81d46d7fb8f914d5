"""Which classes a config may name, and which task fits which data, checked before anything
is instantiated: a ``_target_`` is code to run, so a config may only pick among the classes
seqbench builds a run from, never name a function (``model._target_=os.system``) or a
module that does not exist.

Every ``_target_`` anywhere in the config is looked up by where it sits: ``model`` must be
one of seqbench's backbones, ``task`` one of its tasks, and so on (:data:`ALLOWED`); a
``_target_`` anywhere else is refused. ``data.source`` is the exception: only
``seqbench fetch`` reads it, and builds nothing outside its own builders
(``seqbench.data.registry.BUILDERS``). Strings only: nothing is imported to check them.

A class that moved keeps its old path working (:data:`MOVED`): a run folder's
``.hydra/config.yaml`` written before the move names the old one, and a config made from it
must still validate, train and resume; :func:`moved` gives the node to instantiate.
"""

import yaml
from omegaconf import DictConfig, OmegaConf

from seqbench.config.paths import CONF_DIR
from seqbench.errors import ConfigError


def shipped_targets(group: str, prefix: str) -> tuple[str, ...]:
    """The classes seqbench's own configs of ``group`` name (under ``prefix``): a backbone
    added with its config file is allowed without a second list to keep in step."""
    targets = set()
    for path in sorted((CONF_DIR / group).glob("*.yaml")):
        target = (yaml.safe_load(path.read_text()) or {}).get("_target_")
        if isinstance(target, str) and target.startswith(prefix):
            targets.add(target)
    return tuple(sorted(targets))


MODELS = shipped_targets("model", "seqbench.models.")  # a backbone: one of seqbench's model configs
# the kind of data each task reads (its class's ``kind``; tests/refusals/test_refusals_values.py)
TASK_KINDS = {
    "seqbench.tasks.LanguageModel": "text",
    "seqbench.tasks.Classifier": "sensor",
    "seqbench.tasks.Adding": "adding",
    "seqbench.tasks.Copy": "copy",
    "seqbench.tasks.Ability": "ability",
    "seqbench.tasks.Forecast": "forecast",
    "seqbench.tasks.ForecastAutoregressive": "forecast",
    "seqbench.tasks.Anomaly": "anomaly",
    "seqbench.tasks.TextClassify": "text_classify",
}
# the kind of data each DataModule gives; None: its ``task`` option (adding or copy)
DATA_KINDS = {
    "seqbench.data.text.CharLMDataModule": "text",
    "seqbench.data.sensor.SensorDataModule": "sensor",
    "seqbench.data.recordings.RecordingsDataModule": "sensor",
    "seqbench.data.synthetic.SyntheticDataModule": None,
    "seqbench.data.abilities.AbilityDataModule": "ability",
    "seqbench.data.series.SeriesDataModule": "forecast",
    "seqbench.data.anomaly.AnomalyDataModule": "anomaly",
    "seqbench.data.text_classes.TextClassesDataModule": "text_classify",
}
TASK_FOR_KIND = {
    "text": "language_model",
    "sensor": "classifier",
    "adding": "adding",
    "copy": "copy",
    "ability": "ability",
    "forecast": "forecast",
    "anomaly": "anomaly",
    "text_classify": "text_classify",
}
OPTIMIZERS = ("Adam", "AdamW", "NAdam", "RAdam", "Adamax", "SGD", "RMSprop", "Adagrad")
SCHEDULERS = ("CosineAnnealingLR", "LinearLR", "StepLR", "MultiStepLR", "ExponentialLR")
CALLBACKS = (
    "seqbench.callbacks.checkpoint.RunCheckpoint",  # the default: follows a moved run folder
    "lightning.pytorch.callbacks.ModelCheckpoint",  # users' older configs name it
    "lightning.pytorch.callbacks.EarlyStopping",
    "lightning.pytorch.callbacks.LearningRateMonitor",
    "seqbench.callbacks.progress.ProgressBar",
    "seqbench.lessons.gradient_flow.probe.GradientFlowMonitor",
)
MOVED = {  # a class path earlier configs name -> where the class lives now
    "seqbench.callbacks.gradient_flow.GradientFlowMonitor": (
        "seqbench.lessons.gradient_flow.probe.GradientFlowMonitor"  # issue 21: one lesson folder
    ),
}
LOGGERS = (
    "lightning.pytorch.loggers.CSVLogger",
    "seqbench.callbacks.csv_log.CSVLogger",  # continues its metrics.csv on a resume
    "lightning.pytorch.loggers.WandbLogger",
)
ALLOWED: dict[str, tuple[str, ...]] = {  # a node's path (callbacks.*: any callback) -> classes
    "model": MODELS,
    "task": tuple(TASK_KINDS),
    "data": tuple(DATA_KINDS),
    "optimizer": tuple(f"torch.optim.{name}" for name in OPTIMIZERS),
    "scheduler": tuple(f"torch.optim.lr_scheduler.{name}" for name in SCHEDULERS),
    "trainer": ("lightning.pytorch.Trainer",),
    "callbacks.*": CALLBACKS,
    "logger.*": LOGGERS,
    "logger.wandb.settings": ("wandb.Settings",),  # W&B's console settings (quiet)
}
PARTIAL = ("model", "optimizer", "scheduler")  # completed by the task: input size, parameters
READ_BY_FETCH = "data.source"


def allowed_at(path: str) -> tuple[str, ...]:
    """The classes a ``_target_`` at ``path`` may name; none where nothing is built."""
    parent, _, _ = path.rpartition(".")
    return ALLOWED.get(path) or (ALLOWED.get(f"{parent}.*", ()) if parent else ())


def moved(node: DictConfig) -> DictConfig:
    """``node`` with its ``_target_`` at the class's current path (the node itself when the
    class never moved)."""
    target = node.get("_target_") if isinstance(node, DictConfig) else None
    if target not in MOVED:
        return node
    return OmegaConf.merge(node, {"_target_": MOVED[target]})


def check_targets(cfg: DictConfig) -> None:
    """Every ``_target_`` names one of the classes allowed where it sits, every node built
    names one, and ``_partial_`` keeps seqbench's value (the task completes those nodes)."""

    def walk(node: object, path: str) -> None:
        if not isinstance(node, dict) or path == READ_BY_FETCH:
            return
        allowed = allowed_at(path)
        if allowed and node and "_target_" not in node:
            raise ConfigError(f"{path} names no class (no _target_); valid: {', '.join(allowed)}")
        if "_target_" in node:
            target = MOVED.get(node["_target_"], node["_target_"])
            if target not in allowed:
                where = f"{path}._target_" if path else "_target_"
                valid = f"valid: {', '.join(allowed)}" if allowed else "nothing is built there"
                raise ConfigError(
                    f"{where}={target!r} is not one of seqbench's classes ({valid}); "
                    "a config chooses among them, it never names code to run"
                )
            if bool(node.get("_partial_", False)) != (path in PARTIAL):
                raise ConfigError(
                    f"{path}._partial_ must stay {str(path in PARTIAL).lower()}: seqbench "
                    "completes that node itself"
                )
        for name, value in node.items():
            walk(value, f"{path}.{name}" if path else str(name))

    walk(OmegaConf.to_container(cfg, resolve=False), "")


def data_kind(cfg: DictConfig) -> str | None:
    kind = DATA_KINDS.get(str(OmegaConf.select(cfg, "data._target_")))
    return kind or OmegaConf.select(cfg, "data.task")


def check_task_fits_data(cfg: DictConfig) -> None:
    """The task reads the kind of data the DataModule gives: a language model needs text, a
    classifier sensor windows with labels, adding and copy their own synthetic sequences."""
    task, kind = TASK_KINDS.get(str(cfg.task.get("_target_"))), data_kind(cfg)
    if task != kind and kind in TASK_FOR_KIND:
        raise ConfigError(
            f"task={cfg.task._target_.rsplit('.', 1)[-1]} reads {task} data but "
            f"data.name={cfg.data.name} is {kind} data; use task={TASK_FOR_KIND[kind]}, or "
            "leave task unset: each data config selects its task"
        )
