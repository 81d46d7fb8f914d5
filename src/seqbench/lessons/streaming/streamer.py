"""Streaming inference: feed a trained task one time step at a time, keeping its state.

A deployed model rarely sees whole windows: a sensor delivers one sample at a time and a
text box one character at a time. :class:`Streamer` carries the backbone's state between
calls (the RNN/GRU hidden state ``h``, the LSTM's ``(h, c)``, the Transformer's KV cache) so
each new step costs one step of work, not a rerun over the whole history. Every backbone's
``step`` calls the same modules as its ``forward``, so a stream gives the batch pass's
numbers; :func:`stream` exists to check exactly that.

What a step's output means depends on the task. A language model's output at step t is the
distribution of the next character. A classifier (or the adding task) is trained to read its
answer at the *last* step of a window, so its output at step t is the prediction as if the
window had ended at that sample: a live classification of everything seen so far.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from seqbench.tasks.base import SequenceTask


def tensor_bytes(state: Any) -> int:
    """Bytes held by the tensors in a (nested) state; ints such as a position count as 0."""
    if isinstance(state, Tensor):
        return state.numel() * state.element_size()
    if isinstance(state, tuple | list):
        return sum(tensor_bytes(s) for s in state)
    return 0


class Streamer:
    """Push one time step of raw task input at a time and get the head output for it.

    ``push`` takes what one column of the task's input batch holds: token ids ``(B,)`` for
    the language model and copy tasks, features ``(B, F)`` for sensor windows and adding.
    It returns the head output for that step, e.g. ``(B, C)`` logits or ``(B, 1)``, on the
    task's device (``device`` moves the task there first; inputs follow it).
    The task is switched to eval mode (no dropout), and steps run under inference mode
    (no autograd bookkeeping), since streaming is for prediction, not training.
    """

    def __init__(self, task: SequenceTask, device: str | torch.device | None = None) -> None:
        self.task = task.eval() if device is None else task.to(device).eval()
        self.device = next(task.parameters()).device  # pushed steps are moved here
        self.max_len: int | None = task.backbone.max_positions
        self.reset()

    def reset(self) -> None:
        """Forget the stream: the next push starts again at position 0 with a fresh state."""
        self.state: Any = None
        self.position = 0  # steps pushed since the last reset
        self._batch: int | None = None

    def state_bytes(self) -> int:
        """Memory held by the carried state: constant for RNNs, linear in position for the
        Transformer, whose cache keeps a key and a value per layer for every step seen."""
        return tensor_bytes(self.state)

    @torch.inference_mode()
    def push(self, x_t: Tensor) -> Tensor:
        """Advance the stream by one step ``x_t`` and return the head output for it."""
        if self.max_len is not None and self.position >= self.max_len:
            raise ValueError(
                f"the stream is at position {self.position}, but the Transformer only has "
                f"positions up to max_len={self.max_len}; call reset() to start a new stream "
                "or train the model with a larger model.max_len"
            )
        if self._batch is not None and x_t.shape[0] != self._batch:
            raise ValueError(
                f"push got a batch of {x_t.shape[0]} but the stream carries {self._batch}; "
                "call reset() before changing the batch size"
            )
        features = self.task.inputs(x_t.to(self.device, non_blocking=True))
        if features.dim() != 2:
            raise ValueError(
                "push takes one time step: token ids (B,) or features (B, F), got input of "
                f"shape {tuple(x_t.shape)}; use stream() for a whole (B, T, ...) sequence"
            )
        hidden, self.state = self.task.backbone.step(features, self.state)
        self._batch = x_t.shape[0]
        self.position += 1
        return self.task.head(hidden)

    @torch.inference_mode()
    def feed(self, x: Tensor) -> Tensor:
        """Push a whole stretch ``x`` (B, T, ...) and return the head output for its last step.

        A fixed-size state (the RNNs) takes the stretch in one forward pass from the carried
        state, the same fused module ``push`` calls, so priming on a 100,000-character prompt
        is one pass, not 100,000 calls; a key/value cache is filled step by step.
        """
        if x.shape[1] == 0:
            raise ValueError("feed got an empty stretch; give at least one time step")
        if self.task.backbone.streams_with_cache:
            for t in range(x.shape[1]):
                out = self.push(x[:, t])
            return out
        if self._batch is not None and x.shape[0] != self._batch:
            raise ValueError(
                f"feed got a batch of {x.shape[0]} but the stream carries {self._batch}; "
                "call reset() before changing the batch size"
            )
        features = self.task.inputs(x.to(self.device, non_blocking=True))
        hidden, self.state = self.task.backbone(features, self.state)
        self._batch = x.shape[0]
        self.position += x.shape[1]
        return self.task.head(hidden[:, -1])


def stream(task: SequenceTask, x: Tensor) -> Tensor:
    """Push a whole sequence ``x`` (B, T, ...) step by step; outputs stacked to (B, T, ...).

    Equals ``task(x)[0]`` up to float rounding; the per-step path a live stream takes.
    """
    streamer = Streamer(task)
    return torch.stack([streamer.push(x[:, t]) for t in range(x.shape[1])], dim=1)
