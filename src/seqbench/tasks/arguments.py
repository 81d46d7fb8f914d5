"""Checks of the arguments a checkpoint gives to rebuild its task, made on the file's
hyperparameters and weight shapes alone, before any module is built: each returns what is
wrong in a few words, or '' when nothing is.

Even on PyTorch's ``meta`` device building is not free: a forged ``num_layers=200000``
creates 200000 layers one by one for minutes. So the sizes that the weights' shapes fix
(layers, hidden and input width, the Transformer's feed-forward width; see
``Backbone.sizes_in``) must be the ones asked for before anything exists.
"""

import inspect
import math
import typing

from seqbench.data.vocab import BYTE
from seqbench.data.vocab import size as vocab_size

SCALARS = (int, float, str, bool, type(None))
TASK_ARGUMENTS = {  # what SequenceTask takes besides the factories, by type
    "data_info": dict,
    "embed_dim": int,
    "grad_clip": (int, float, type(None)),
    "tbptt_steps": (int, type(None)),
    "clip_gradients": bool,
}


def plain(value: object) -> bool:
    """JSON-like data only: what a vocabulary, class list or size can be."""
    if isinstance(value, list | tuple):
        return all(plain(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and plain(v) for k, v in value.items())
    return isinstance(value, SCALARS)


def parameters(backbone_cls: type) -> dict[str, inspect.Parameter]:
    """The backbone's named constructor arguments besides input_size (the embedding's)."""
    named = inspect.signature(backbone_cls).parameters.items()
    return {k: p for k, p in named if k != "input_size" and p.kind != p.VAR_KEYWORD}


def defaults(backbone_cls: type) -> dict:
    return {k: p.default for k, p in parameters(backbone_cls).items() if p.default is not p.empty}


def fits(value: object, hint: object) -> bool:
    """``value`` is of the annotated type: an int for an int, no bool for a number, and
    only finite floats."""
    kinds = typing.get_args(hint) or (hint,)
    if isinstance(value, bool):
        return bool in kinds
    if isinstance(value, float) and not math.isfinite(value):
        return False
    if isinstance(value, int) and float in kinds:
        return True
    return isinstance(value, tuple(k for k in kinds if isinstance(k, type)))


def backbone_problem(backbone_cls: type, backbone: dict) -> str:
    """Arguments the backbone does not take, or of another type than it takes."""
    if unknown := sorted(set(backbone) - set(parameters(backbone_cls))):
        return f"backbone arguments {unknown} are not {backbone_cls.__name__}'s"
    hints = typing.get_type_hints(backbone_cls.__init__)
    for key, value in backbone.items():
        if not fits(value, hints.get(key)):
            return f"backbone argument {key}={value!r} is not what {backbone_cls.__name__} takes"
    return ""


def size_problem(backbone_cls: type, arguments: dict, state_dict: dict) -> str:
    """A size the backbone's weight shapes fix that differs from the one asked for."""
    shapes = {
        key.removeprefix("backbone."): tuple(getattr(value, "shape", ()))
        for key, value in state_dict.items()
        if key.startswith("backbone.")
    }
    implied = backbone_cls.sizes_in(shapes)
    if implied is None:
        return f"its weights are not a {backbone_cls.__name__}'s"
    asked = defaults(backbone_cls) | arguments
    for key, value in implied.items():
        if asked.get(key) != value:
            return (
                f"its sizes do not match its weights: {key}={asked.get(key)!r} in its "
                f"hyperparameters, {value} in its weights"
            )
    return ""


def task_problem(kwargs: dict) -> str:
    """A task argument of the wrong type, or a data_info that is not plain, consistent data."""
    for key, value in kwargs.items():
        if not isinstance(value, TASK_ARGUMENTS[key]) or isinstance(value, bool) != (
            key == "clip_gradients"
        ):
            return f"task argument {key}={value!r} is not what a task takes"
    info = kwargs["data_info"]
    if not plain(info):
        return "its data_info is not plain data"
    vocab = info.get("vocab")
    if vocab is None:
        return ""
    chars = isinstance(vocab, list) and all(isinstance(c, str) and len(c) == 1 for c in vocab)
    if not (vocab == BYTE or chars) or vocab_size(vocab) != info.get("vocab_size"):
        return "its data_info's vocab does not match its vocab_size"
    return ""
