"""Rebuild a trained task from its checkpoint alone (``weights_only=True``: no pickled code).

Every task saves what rebuilds it as plain hyperparameters (task class, backbone class and
sizes, data_info with the vocabulary), so generation, streaming and probes need no config.
A checkpoint is data, not a program: the classes come from an allowlist of seqbench's own
tasks and backbones (never from a name the file gives), every argument is checked against
the class's signature and its annotated type, the sizes the weights' shapes fix (layers,
hidden and input width, the Transformer's feed-forward width) must be the ones the
hyperparameters ask for before any module is built (a forged ``num_layers=200000`` would take
minutes to build even on the ``meta`` device), and the model is then built on ``meta`` (no
memory) and must match the shape of every weight the file holds, so a file asking for
``hidden_size=10_000_000`` or a vocabulary of 10**9 is refused before anything is allocated.
"""

import functools
import pickle
import re
from pathlib import Path

import torch

from seqbench.errors import ConfigError
from seqbench.models import BACKBONES
from seqbench.tasks import TASKS as TASK_CLASSES
from seqbench.tasks import arguments
from seqbench.tasks.base import SequenceTask
from seqbench.tasks.identity import data_difference, first_difference

EXTRA_BYTES = 256 * 2**20  # buffers a model may hold beyond its saved weights (positions)


def _names(classes) -> dict[str, type]:
    """A class by the dotted name a checkpoint records (``module.Class``), or its package's."""
    names = {f"{c.__module__}.{c.__qualname__}": c for c in classes}
    return names | {f"{c.__module__.rpartition('.')[0]}.{c.__qualname__}": c for c in classes}


TASKS = _names(TASK_CLASSES)  # every task kind: a run of any of them resumes
BACKBONE_CLASSES = _names(BACKBONES.values())


def _refuse(path: Path, why: str) -> ConfigError:
    return ConfigError(f"{path} is not a seqbench checkpoint this version can rebuild ({why})")


def _read(path: Path) -> tuple[dict, dict]:
    """The hyperparameters and weights, loaded without running anything from the file."""
    if not path.is_file():
        raise ConfigError(f"checkpoint {path} does not exist; train a model first")
    try:
        checkpoint = torch.load(path, map_location="cpu", weights_only=True)
        return dict(checkpoint["hyper_parameters"]), dict(checkpoint["state_dict"])
    except pickle.UnpicklingError as error:
        found = re.search(r"GLOBAL (\S+)", str(error))
        if found is None:  # damaged bytes, not code: said as below
            raise ConfigError(f"{path} is not a readable seqbench checkpoint") from None
        raise ConfigError(
            f"{path} holds pickled objects ({found.group(1)}) that no seqbench checkpoint "
            "contains; refused (checkpoints load with weights_only=True)"
        ) from None
    except Exception as error:  # any failure to read an untrusted file: not a checkpoint
        first = (str(error).strip().splitlines() or [type(error).__name__])[0]
        raise ConfigError(f"{path} is not a readable seqbench checkpoint ({first})") from None


def _arguments(path: Path, hparams: dict, state_dict: dict) -> tuple[type, functools.partial, dict]:
    """The allowlisted task class, the backbone factory and the task's other arguments,
    every one checked against the class and the weights before anything is built."""
    task_cls = TASKS.get(str(hparams.get("task")))
    backbone = dict(hparams.get("backbone") or {})
    backbone_cls = BACKBONE_CLASSES.get(str(backbone.pop("_target_", None)))
    if task_cls is None or backbone_cls is None:
        named = hparams.get("task"), (hparams.get("backbone") or {}).get("_target_")
        raise _refuse(path, f"it names {named[0]!r} and {named[1]!r}, not seqbench classes")
    kwargs = {
        "data_info": hparams.get("data_info"),
        "embed_dim": hparams.get("embed_dim"),
        "grad_clip": hparams.get("grad_clip"),
        "tbptt_steps": hparams.get("tbptt_steps"),
        "clip_gradients": hparams.get("clip_gradients", True),
    }
    sizes = backbone | {"input_size": kwargs["embed_dim"]}
    problem = (
        arguments.backbone_problem(backbone_cls, backbone)
        or arguments.task_problem(kwargs)
        or arguments.size_problem(backbone_cls, sizes, state_dict)
    )
    if problem:
        raise _refuse(path, problem)
    return task_cls, functools.partial(backbone_cls, **backbone), kwargs


def _build(path: Path, hparams: dict, state_dict: dict, device: str | torch.device) -> SequenceTask:
    task_cls, backbone, kwargs = _arguments(path, hparams, state_dict)
    optimizer = functools.partial(torch.optim.AdamW)
    try:
        with torch.device(device):
            return task_cls(backbone=backbone, optimizer=optimizer, **kwargs)
    except (ValueError, TypeError, KeyError, RuntimeError, OverflowError, ConfigError) as error:
        first = (str(error).strip().splitlines() or [type(error).__name__])[0]
        raise _refuse(path, first) from None


def _mismatch(task: SequenceTask, state_dict: dict) -> list:
    """The first differences between a task's weight shapes and a checkpoint's; [] if none."""
    expected = {k: tuple(v.shape) for k, v in task.state_dict().items()}
    found = {k: tuple(getattr(v, "shape", ())) for k, v in state_dict.items()}
    return sorted(set(expected.items()) ^ set(found.items()))[:2]


def _bytes(tensors) -> int:
    return sum(t.numel() * t.element_size() for t in tensors)


def load_task(path: str | Path, device: str | torch.device = "cpu") -> SequenceTask:
    """The task module stored in checkpoint ``path``, in eval mode on ``device``."""
    path = Path(path)
    hparams, state_dict = _read(path)
    if not all(isinstance(t, torch.Tensor) for t in state_dict.values()):
        raise _refuse(path, "its state_dict holds more than tensors")
    shell = _build(path, hparams, state_dict, "meta")  # shapes only: nothing allocated yet
    if wrong := _mismatch(shell, state_dict):
        raise _refuse(path, f"its sizes do not match its weights: {wrong}")
    needed = _bytes([*shell.parameters(), *shell.buffers()])
    if needed > _bytes(state_dict.values()) + EXTRA_BYTES:
        raise _refuse(path, f"it would need {needed / 2**30:.1f} GiB beyond its weights")
    task = _build(path, hparams, state_dict, "cpu")
    task.load_state_dict(state_dict)
    return task.to(device).eval()


def check_readable(path: str | Path) -> None:
    """Refuse a file that is not a checkpoint at all (random bytes, empty, pickled code)
    before anything is built; :func:`check_resumable` then checks it against the task."""
    _read(Path(path))


def _with_defaults(backbone: dict) -> dict:
    """A saved backbone's arguments with its constructor's defaults filled in, so a
    checkpoint written before an argument existed compares as its default."""
    backbone_cls = BACKBONE_CLASSES.get(str(backbone.get("_target_")))
    if backbone_cls is None:
        return backbone
    return arguments.defaults(backbone_cls) | backbone


def check_resumable(path: str | Path, task: SequenceTask) -> None:
    """Refuse, in one line, a checkpoint to resume from that is not this run's model on this
    run's data (see :mod:`seqbench.tasks.identity` for what must match and what may change):
    another task, backbone, argument or dataset would otherwise train on, or fail deep inside
    Lightning."""
    path = Path(path)
    hparams, state_dict = _read(path)
    saved = hparams.get("task")
    if TASKS.get(str(saved)) is not type(task):
        raise ConfigError(
            f"ckpt_path={path} holds a {saved!r} task, not this run's {type(task).__name__}"
        )
    current = dict(task.hparams)
    model = first_difference(
        {"embed_dim": hparams.get("embed_dim")} | _with_defaults(hparams.get("backbone") or {}),
        {"embed_dim": current["embed_dim"]} | _with_defaults(current["backbone"]),
    )
    data = data_difference(dict(hparams.get("data_info") or {}), current["data_info"])
    if model or data:
        detail = f"model {model}" if model else f"data {data}"
        raise ConfigError(
            f"ckpt_path={path} was trained with another model, size or dataset ({detail}); "
            "resume a checkpoint of this run's own model and data, or start a new run without it"
        )
    if wrong := _mismatch(task, state_dict):
        raise ConfigError(
            f"ckpt_path={path} was trained with another model, size or dataset ({wrong}); "
            "resume a checkpoint of this run's own configuration"
        )
