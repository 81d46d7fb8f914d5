"""Export a trained task for a device: the whole-sequence model and the streaming step.

The streaming step carries its state explicitly: ``(x_t, *state) -> (y_t, *state)``, every
part of the backbone's state a tensor (a position becomes a 0-d int64 tensor), so a runtime
with no Python, no seqbench and no notion of our state classes can run the recurrence one
sample at a time. The state's layout is the backbone's own ``step`` state flattened in order
(torch's pytree order); :func:`initial_state` is what a stream starts from: zeros for a
fixed-size state, and for an attention model a key/value cache of length 0 that grows by one
position per step (its growth is stated by ``Backbone.state_size``).

Three formats: ONNX (run by onnxruntime), TorchScript (``torch.jit.trace``) and an
ExportedProgram (``torch.export``, saved as ``.pt2``). A backbone a format cannot carry gets
one line saying why (:class:`Unsupported`).
"""

from __future__ import annotations

import io
import logging
import re
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor, nn
from torch.utils import _pytree as pytree

from seqbench.errors import ConfigError
from seqbench.tasks.base import SequenceTask

FORMATS = ("onnx", "torchscript", "exported-program")
SHAPES = ("whole", "step")
SUFFIX = {"onnx": ".onnx", "torchscript": ".ts", "exported-program": ".pt2"}
OPSET = 18


class Unsupported(ConfigError):
    """A backbone that a format cannot carry, and why: said in one line, not a traceback."""


def _leaf_tensor(leaf: Any) -> Tensor:
    if isinstance(leaf, Tensor):
        return leaf
    if isinstance(leaf, int):
        return torch.tensor(leaf, dtype=torch.int64)
    raise TypeError(f"a streaming state holds {type(leaf).__name__}, not a tensor or position")


@dataclass(frozen=True)
class StateLayout:
    """The flattened state: its structure, and for each part its name, whether it is a
    position (an int in eager PyTorch) and which dimension grows by one per step (a cache's
    time dimension), if any."""

    spec: pytree.TreeSpec
    names: tuple[str, ...]
    positions: tuple[bool, ...]
    growing: tuple[int | None, ...]

    def pack(self, state: Any) -> list[Tensor]:
        return [_leaf_tensor(leaf) for leaf in pytree.tree_leaves(state)]

    def unpack(self, tensors: list[Tensor] | tuple[Tensor, ...]) -> Any:
        return pytree.tree_unflatten(list(tensors), self.spec)


def first_input(task: SequenceTask, batch: int = 1) -> Tensor:
    """One time step of the task's raw input, zeros: token ids (B,) or features (B, F)."""
    if isinstance(task.inputs, nn.Embedding):
        return torch.zeros(batch, dtype=torch.long)
    return torch.zeros(batch, task.inputs.in_features)


def layout(task: SequenceTask, example: Tensor) -> StateLayout:
    """The state layout of ``task``'s backbone, read from two steps on ``example`` (one step
    of raw input): a part whose size changes between them grows with the stream."""
    with torch.no_grad():
        features = task.inputs(example)
        _, one = task.backbone.step(features, None)
        _, two = task.backbone.step(features, one)
    leaves_one, spec = pytree.tree_flatten(one)
    leaves_two = pytree.tree_leaves(two)
    paths = [pytree.keystr(path) for path, _ in pytree.tree_flatten_with_path(one)[0]]
    growing = []
    for a, b in zip(leaves_one, leaves_two, strict=True):
        grown = None
        if isinstance(a, Tensor) and a.shape != b.shape:
            grown = next(d for d in range(a.dim()) if a.shape[d] != b.shape[d])
        growing.append(grown)
    positions = tuple(not isinstance(leaf, Tensor) for leaf in leaves_one)
    names = tuple("_".join(["state", *re.findall(r"\w+", path)]) for path in paths)
    return StateLayout(spec, names, positions, tuple(growing))


def initial_state(task: SequenceTask, example: Tensor, state: StateLayout) -> list[Tensor]:
    """What a stream starts from, as the exported step takes it: zeros, a cache of length 0
    and position 0. Equal to the backbone's own start (``state=None``); the parity tests hold
    every backbone to that."""
    with torch.no_grad():
        _, one = task.backbone.step(task.inputs(example), None)
    start = []
    for leaf, grows in zip(state.pack(one), state.growing, strict=True):
        shape = list(leaf.shape)
        if grows is not None:
            shape[grows] = 0
        start.append(torch.zeros(shape, dtype=leaf.dtype))
    return start


class StreamingStep(nn.Module):
    """``(x_t, *state) -> (y_t, *state)``: one step of the task, the state in the open."""

    def __init__(self, task: SequenceTask, state: StateLayout) -> None:
        super().__init__()
        self.inputs, self.backbone, self.head = task.inputs, task.backbone, task.head
        self.state = state

    def forward(self, x_t: Tensor, *state: Tensor) -> tuple[Tensor, ...]:
        hidden, new = self.backbone.step(self.inputs(x_t), self.state.unpack(state))
        return (self.head(hidden), *self.state.pack(new))


class WholeSequence(nn.Module):
    """``x (B, T, ...) -> outputs (B, T, ...)``: the task's forward pass from a fresh state
    (its modules, not the LightningModule, which a tracer cannot pass through)."""

    def __init__(self, task: SequenceTask) -> None:
        super().__init__()
        self.inputs, self.backbone, self.head = task.inputs, task.backbone, task.head

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.backbone(self.inputs(x))[0])


TOLERANCE = 1e-4
"""Largest difference allowed between an exported model's outputs and the checkpoint's, relative
to the outputs' own scale (max |output|, at least 1): float32 arithmetic done in another order."""


@dataclass
class Example:
    """What an export is traced with: a batch of two windows of the run's length (two, so the
    whole-sequence model keeps the batch a free dimension: tracers fix a dimension of size 1),
    and one stream's state after three steps of the first window (so a growing cache is seen
    with a free length). The streaming step takes one stream, as a device runs it."""

    window: Tensor
    state: list[Tensor]
    layout: StateLayout
    start: list[Tensor]


def example(task: SequenceTask, steps: int, window: Tensor | None = None, seed: int = 0) -> Example:
    """``window`` (a test batch's inputs; its first two rows), else random inputs of the
    task's kind over ``steps`` positions (token ids below the vocabulary or standard-normal
    features), and the state after the first three steps."""
    generator = torch.Generator().manual_seed(seed)
    batch = 2
    if window is not None:
        window = window[:batch].cpu()
        if window.shape[0] < batch:  # a test split of one window: the batch stays free
            window = window.repeat(batch, *([1] * (window.dim() - 1)))
    elif isinstance(task.inputs, nn.Embedding):
        window = torch.randint(task.inputs.num_embeddings, (batch, steps), generator=generator)
    else:
        window = torch.randn(batch, steps, task.inputs.in_features, generator=generator)
    steps = window.shape[1]
    state = layout(task, window[:1, 0])
    start = initial_state(task, window[:1, 0], state)
    step = StreamingStep(task, state).eval()
    carried = start
    with torch.no_grad():
        for t in range(min(3, steps - 1)):
            _, *carried = step(window[:1, t], *carried)
    return Example(window, carried, state, start)


def _reason(task: SequenceTask, fmt: str, ex: Example) -> str | None:
    """Why ``fmt`` cannot carry the task's backbone, known before trying; None when it can."""
    if fmt == "onnx" and any(t.is_complex() for t in ex.state):
        return (
            f"{type(task.backbone).__name__} carries a complex-valued state, and ONNX has no "
            "complex type; export it as torchscript or exported-program"
        )
    return None


def _dynamic(ex: Example, shape: str) -> tuple:
    """torch.export's free dimensions: the whole model's batch, a growing cache's length."""
    if shape == "whole":
        return ({0: torch.export.Dim("batch", min=1, max=1 << 16)},)
    length = torch.export.Dim("positions", min=0, max=1 << 20)
    return (None, tuple({g: length} if g is not None else None for g in ex.layout.growing))


def _module_and_args(task: SequenceTask, ex: Example, shape: str) -> tuple[nn.Module, tuple]:
    if shape == "whole":
        return WholeSequence(task).eval(), (ex.window,)
    steps = ex.window.shape[1]
    return StreamingStep(task, ex.layout).eval(), (ex.window[:1, min(3, steps - 1)], *ex.state)


def names(ex: Example, shape: str) -> tuple[list[str], list[str]]:
    """The exported graph's input and output names (ONNX keeps them; the manifest lists them)."""
    if shape == "whole":
        return ["x"], ["y"]
    state = list(ex.layout.names)
    return ["x_t", *state], ["y_t", *(f"next_{n}" for n in state)]


def to_bytes(task: SequenceTask, fmt: str, shape: str, ex: Example) -> bytes:
    """The exported model in ``fmt``, as the bytes of its file; :class:`Unsupported` when the
    format cannot carry this backbone."""
    if fmt not in FORMATS or shape not in SHAPES:
        raise ConfigError(
            f"unknown export {fmt!r}/{shape!r}: formats {', '.join(FORMATS)}; "
            f"shapes {', '.join(SHAPES)}"
        )
    if why := _reason(task, fmt, ex):
        raise Unsupported(why)
    module, args = _module_and_args(task, ex, shape)
    try:
        return _serialised(module, args, fmt, shape, ex)
    except Exception as error:  # the exporter's own failure: one line, not its traceback
        first = (str(error).strip().splitlines() or [type(error).__name__])[0]
        raise Unsupported(
            f"{fmt} could not export the {shape} {type(task.backbone).__name__} ({first[:200]}); "
            f"try another of {', '.join(FORMATS)}"
        ) from None


@contextmanager
def quiet_logs(*names: str) -> Iterator[None]:
    """Loggers ``names`` (the root logger when none) held to errors for the block: an
    exporter's notes about optional packages (torchvision) are not the user's to act on."""
    loggers = [logging.getLogger(name) for name in names] or [logging.getLogger()]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


def _serialised(module: nn.Module, args: tuple, fmt: str, shape: str, ex: Example) -> bytes:
    buffer = io.BytesIO()
    with torch.no_grad(), warnings.catch_warnings(), quiet_logs("torch.onnx"):
        warnings.simplefilter("ignore")  # tracer notes on constants: the parity test judges
        if fmt == "torchscript":
            torch.jit.save(torch.jit.trace(module, args, check_trace=False), buffer)
            return buffer.getvalue()
        if fmt == "exported-program":
            program = torch.export.export(module, args, dynamic_shapes=_dynamic(ex, shape))
            torch.export.save(program, buffer)
            return buffer.getvalue()
        inputs, outputs = names(ex, shape)
        program = torch.onnx.export(
            module,
            args,
            dynamo=True,
            dynamic_shapes=_dynamic(ex, shape),
            input_names=inputs,
            output_names=outputs,
            opset_version=OPSET,
            verbose=False,
        )
    return program.model_proto.SerializeToString()
