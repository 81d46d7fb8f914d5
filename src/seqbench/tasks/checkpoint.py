"""Rebuild a trained task from its checkpoint alone (``weights_only=True``: no pickled code).

Every task saves what rebuilds it as plain hyperparameters (task class, backbone target and
sizes, data_info with the vocabulary), so generation, streaming and probes need no config.
"""

import functools
import importlib
import pickle
import re
from pathlib import Path

import torch

from seqbench.errors import ConfigError
from seqbench.tasks.base import SequenceTask


def _resolve(dotted: str) -> type:
    module, _, name = dotted.rpartition(".")
    if not module.startswith("seqbench."):
        raise ConfigError(f"checkpoint names {dotted!r}, which is not a seqbench class")
    return getattr(importlib.import_module(module), name)


def load_task(path: str | Path, device: str | torch.device = "cpu") -> SequenceTask:
    """The task module stored in checkpoint ``path``, in eval mode on ``device``."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"checkpoint {path} does not exist; train a model first")
    try:
        checkpoint = torch.load(path, map_location="cpu", weights_only=True)
        hparams = dict(checkpoint["hyper_parameters"])
        state_dict = checkpoint["state_dict"]
    except pickle.UnpicklingError as error:
        found = re.search(r"GLOBAL (\S+)", str(error))
        what = found.group(1) if found else "code"
        raise ConfigError(
            f"{path} holds pickled objects ({what}) that no seqbench checkpoint contains; "
            "refused (checkpoints load with weights_only=True)"
        ) from None
    except (RuntimeError, KeyError, EOFError, ValueError) as error:
        first = (str(error).strip().splitlines() or [type(error).__name__])[0]
        raise ConfigError(f"{path} is not a readable seqbench checkpoint ({first})") from None
    backbone = dict(hparams["backbone"])
    task = _resolve(hparams["task"])(
        backbone=functools.partial(_resolve(backbone.pop("_target_")), **backbone),
        optimizer=functools.partial(torch.optim.AdamW),
        data_info=hparams["data_info"],
        embed_dim=hparams["embed_dim"],
        grad_clip=hparams["grad_clip"],
        tbptt_steps=hparams["tbptt_steps"],
        clip_gradients=hparams.get("clip_gradients", True),
    )
    task.load_state_dict(state_dict)
    return task.to(device).eval()
