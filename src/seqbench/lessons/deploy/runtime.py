"""Run an exported model by its own runtime, and hold it to the checkpoint it came from.

ONNX runs in onnxruntime (the runtime a device would ship), TorchScript through
``torch.jit.load`` and an ExportedProgram through ``torch.export.load``: never the eager
modules. Every runtime takes and returns torch tensors in the exported graph's order, so
:func:`parity` and the latency measurement treat the three alike.
"""

from __future__ import annotations

import io
from collections.abc import Callable

import torch
from torch import Tensor

from seqbench.lessons.deploy.export import TOLERANCE, Example, StreamingStep, WholeSequence, names
from seqbench.tasks.base import SequenceTask

Runtime = Callable[..., list[Tensor]]


def load(data: bytes, fmt: str, shape: str, ex: Example, threads: int = 1) -> Runtime:
    """The exported model in ``data`` as a function of tensors, on ``threads`` CPU threads."""
    if fmt == "onnx":
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = options.inter_op_num_threads = threads
        options.log_severity_level = 3  # warnings about unused initialisers are not ours to fix
        session = onnxruntime.InferenceSession(data, options, providers=["CPUExecutionProvider"])
        inputs, _ = names(ex, shape)

        def run_onnx(*tensors: Tensor) -> list[Tensor]:
            feed = {n: t.numpy() for n, t in zip(inputs, tensors, strict=True)}
            return [torch.from_numpy(o) for o in session.run(None, feed)]

        return run_onnx
    if fmt == "torchscript":
        module = torch.jit.load(io.BytesIO(data), map_location="cpu")
    else:
        module = torch.export.load(io.BytesIO(data)).module()

    def run_torch(*tensors: Tensor) -> list[Tensor]:
        with torch.no_grad():
            out = module(*tensors)
        return list(out) if isinstance(out, tuple | list) else [out]

    return run_torch


def eager(task: SequenceTask, shape: str, ex: Example) -> Runtime:
    """The checkpoint's own modules in the same calling convention as :func:`load`."""
    module = WholeSequence(task) if shape == "whole" else StreamingStep(task, ex.layout)
    module.eval()

    def run(*tensors: Tensor) -> list[Tensor]:
        with torch.inference_mode():
            out = module(*tensors)
        return list(out) if isinstance(out, tuple) else [out]

    return run


def streamed(run: Runtime, start: list[Tensor], window: Tensor) -> Tensor:
    """One stream (``window`` (1, T, ...)) pushed through a step runtime from ``start``: the
    outputs of every step, (1, T, ...)."""
    state, outputs = list(start), []
    for t in range(window.shape[1]):
        y, *state = run(window[:, t], *state)
        outputs.append(y)
    return torch.stack(outputs, dim=1)


def parity(task: SequenceTask, run: Runtime, shape: str, ex: Example) -> float:
    """The largest difference between the runtime's outputs over the example window and the
    checkpoint's whole-sequence pass, relative to the outputs' scale (max |y|, at least 1).
    The step runtime is run stepwise from the initial state over the first window."""
    with torch.inference_mode():
        reference = WholeSequence(task).eval()(ex.window)
    if shape == "whole":
        got, expected = run(ex.window)[0], reference
    else:
        got, expected = streamed(run, ex.start, ex.window[:1]), reference[:1]
    scale = max(1.0, float(expected.abs().max()))
    return float((got.float() - expected.float()).abs().max()) / scale


def within(error: float) -> bool:
    return error <= TOLERANCE
