"""Gradient flow through time: how much the loss at the last step reaches back to step t.

For a sequence of length T with the loss on the final step only, ``measure`` returns
‖∂L/∂h_t‖ for every t, where h_t is what carries information forward from step t:

- RNN/GRU: the top layer's hidden state; LSTM: its hidden and cell state ``(h_t, c_t)``. The
  sequence is unrolled with ``step`` so every h_t is a separate tensor whose gradient is the
  *total* derivative, through every later step, which is what backpropagation through time
  multiplies by the recurrent Jacobian once per step (vanishing for a tanh RNN). Only the
  top layer: a lower layer's state also feeds the layer above inside the fused kernel, a
  path the carried state tensor does not see.
- Transformer: the residual stream entering the first block at position t; attention gives
  every position a direct path to the loss, so there is no product over steps.
- Any other backbone (minGRU, LRU, Mamba, xLSTM, RetNet, Transformer++): the backbone's input
  features at position t, through its training form. Their carried states differ in kind
  (a matrix memory, a convolution window, a complex vector) and what the head reads is not
  one of them, so the input, which every model has, is the common point; for the classics
  it is one more product (the input weights) away from h_t.

Gradients are taken with ``torch.autograd.grad`` on those tensors only: parameters'
``.grad`` and the random number generators are untouched, so measuring during training does
not change training. The probe runs in eval mode (no dropout) with cuDNN switched off: cuDNN
refuses to differentiate its RNN kernels outside training mode ("cudnn RNN backward can only
be called in training mode"), a limit CPU kernels do not have, so without this the probe
worked on a CPU and stopped every recurrent run on a GPU before its first step.

The Lightning callback that records it during training is
:class:`seqbench.lessons.gradient_flow.probe.GradientFlowMonitor`; ``read_profiles``
reads back what it wrote.
"""

import csv
import math
from pathlib import Path

import torch
from torch import Tensor

from seqbench import rundir
from seqbench.models import GRU, LSTM, RNN
from seqbench.rundir.run import Run
from seqbench.tasks.base import SequenceTask


def _final_loss(task: SequenceTask, top: Tensor, y: Tensor) -> Tensor:
    """The task's loss on the last step, summed over the batch so each sequence's gradient
    is its own (a batch mean would shrink every norm by the batch size)."""
    outputs = task.head(top)
    if task.per_step_targets:
        return task.loss(outputs.unsqueeze(1), y[:, -1:]) * y.shape[0]
    return task.loss(outputs, y) * y.shape[0]


def _recurrent(task: SequenceTask, x: Tensor, y: Tensor) -> Tensor:
    embedded = task.inputs(x)
    state, states = None, []
    for t in range(embedded.shape[1]):
        _, state = task.backbone.step(embedded[:, t], state)
        states.append(state if isinstance(state, tuple) else (state,))
    top = states[-1][0][-1]  # the top layer's h_T: what the head reads
    flat = [tensor for step in states for tensor in step]
    grads = torch.autograd.grad(_final_loss(task, top, y), flat, allow_unused=True)
    per_step = len(states[0])
    squares = [g[-1].pow(2).sum(dim=-1) if g is not None else 0.0 for g in grads]
    return torch.stack(
        [sum(squares[i : i + per_step]) for i in range(0, len(squares), per_step)]
    ).sqrt()  # (T, B)


def _transformer(task: SequenceTask, x: Tensor, y: Tensor) -> Tensor:
    captured: list[Tensor] = []
    hook = task.backbone.blocks[0].register_forward_pre_hook(lambda _, a: captured.append(a[0]))
    try:
        hidden, _ = task.backbone(task.inputs(x))
    finally:
        hook.remove()
    (grad,) = torch.autograd.grad(_final_loss(task, hidden[:, -1], y), captured[0])
    return grad.pow(2).sum(-1).sqrt().T  # (T, B)


def _through_inputs(task: SequenceTask, x: Tensor, y: Tensor) -> Tensor:
    embedded = task.inputs(x)
    hidden, _ = task.backbone(embedded)
    (grad,) = torch.autograd.grad(_final_loss(task, hidden[:, -1], y), embedded)
    return grad.pow(2).sum(-1).sqrt().T  # (T, B)


def probe_for(backbone: torch.nn.Module):
    """The classics' own carried state, the Transformers' first block, others' inputs."""
    if isinstance(backbone, RNN | LSTM | GRU):
        return _recurrent
    if backbone.attends and isinstance(getattr(backbone, "blocks", None), torch.nn.ModuleList):
        return _transformer
    return _through_inputs


def measure(task: SequenceTask, x: Tensor, y: Tensor) -> list[float]:
    """Mean over the batch of ‖∂L/∂h_t‖ for t = 0..T-1 (loss on step T-1), in eval mode."""
    was_training = task.training
    task.eval()
    try:
        with torch.enable_grad(), torch.backends.cudnn.flags(enabled=False):
            norms = probe_for(task.backbone)(task, x, y)
    finally:
        task.train(was_training)
    return [float(v) for v in norms.mean(dim=1)]


def slope(norms_by_distance: dict[int, float]) -> float | None:
    """Least-squares slope of log10 ‖∂L/∂h‖ against distance from the loss (decades per
    step); None when fewer than two norms are positive (vanished below float range)."""
    points = [(d, math.log10(n)) for d, n in norms_by_distance.items() if d > 0 and n > 0]
    if len(points) < 2:
        return None
    mean_d = sum(d for d, _ in points) / len(points)
    mean_v = sum(v for _, v in points) / len(points)
    spread = sum((d - mean_d) ** 2 for d, _ in points)
    return sum((d - mean_d) * (v - mean_v) for d, v in points) / spread


def read_profiles(run: Run) -> dict[str, list[tuple[float, float]]]:
    """gradient_flow.csv as {"init": [(distance, norm)], "trained": [...]}."""
    path = Path(run.path) / rundir.GRADIENT_FLOW
    if not path.is_file():
        return {}
    by_step: dict[int, list[tuple[float, float]]] = {}
    with path.open(newline="") as handle:
        for row in csv.DictReader(handle):
            try:
                by_step.setdefault(int(row["step"]), []).append(
                    (float(row["distance"]), float(row["norm"]))
                )
            except (KeyError, ValueError):
                continue
    if not by_step:
        return {}
    profiles = {"trained": sorted(by_step[max(by_step)])}
    if 0 in by_step and max(by_step) > 0:
        profiles["init"] = sorted(by_step[0])
    return profiles
