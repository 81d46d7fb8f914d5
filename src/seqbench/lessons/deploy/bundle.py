"""What `seqbench export` writes: each exported file, held to the checkpoint before it is
kept, and a manifest beside it that tells a device how to call it.

The manifest (``<model>-<shape>.json``) names the inputs and outputs in order, the state's
parts with their shapes and which dimension grows per step, what a stream starts from, the
tolerance and the parity error measured, and for an attention model how many bytes each
step adds to the state. A file whose parity fails is not written: the command says so.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch

from seqbench.errors import ConfigError
from seqbench.lessons.deploy import export, runtime
from seqbench.safety import atomic
from seqbench.tasks.base import SequenceTask

SCALE = "the largest |output| of the checkpoint over the window, at least 1"


def _state_parts(ex: export.Example) -> list[dict]:
    parts = []
    for name, start, grows, position in zip(
        ex.layout.names, ex.start, ex.layout.growing, ex.layout.positions, strict=True
    ):
        shape: list[int | str] = list(start.shape)
        if grows is not None:
            shape[grows] = "positions"
        part = {"name": name, "shape": shape, "dtype": str(start.dtype).removeprefix("torch.")}
        if position:
            part["meaning"] = "the next position (0 at the start of a stream)"
        elif grows is not None:
            part["meaning"] = f"a key/value cache: dimension {grows} grows by one per step"
        parts.append(part)
    return parts


def manifest(task: SequenceTask, fmt: str, shape: str, ex: export.Example, error: float) -> dict:
    """How a device calls the exported file: the calling convention, the state, the parity."""
    inputs, outputs = export.names(ex, shape)
    per_step = sum(
        s.numel() // max(1, s.shape[g]) * s.element_size() if g is not None else 0
        for s, g in zip(ex.state, ex.layout.growing, strict=True)
    )
    facts = {
        "format": fmt,
        "shape": shape,
        "task": type(task).__name__,
        "backbone": type(task.backbone).__name__,
        "inputs": inputs,
        "outputs": outputs,
        "parity": {"max_error": error, "tolerance": export.TOLERANCE, "relative_to": SCALE},
        "torch": torch.__version__,
    }
    if shape == "whole":
        steps = ex.window.shape[1]
        facts["input_shape"] = ["batch", steps, *ex.window.shape[2:]]
        facts["note"] = f"a fresh state per call; windows of {steps} steps (the run's length)"
        return facts
    facts["input_shape"] = [1, *ex.window.shape[2:]]
    facts["state"] = _state_parts(ex)
    facts["start"] = "zeros for every part; a growing part starts with 0 positions"
    facts["state_growth_bytes_per_step"] = per_step
    facts["note"] = "one stream, one step per call: feed each next_* output back as its input"
    if task.backbone.max_positions is not None:
        facts["max_positions"] = task.backbone.max_positions
    return facts


def write(
    task: SequenceTask, fmt: str, shape: str, ex: export.Example, out: Path, stem: str
) -> dict:
    """Export, run the file in its own runtime against the checkpoint, and write the file and
    its manifest (atomically) only when the parity holds; the manifest."""
    data = export.to_bytes(task, fmt, shape, ex)
    error = runtime.parity(task, runtime.load(data, fmt, shape, ex), shape, ex)
    if not runtime.within(error):
        raise ConfigError(
            f"the {fmt} {shape} export of {type(task.backbone).__name__} differs from the "
            f"checkpoint by {error:.2e} (tolerance {export.TOLERANCE:.0e}); not written"
        )
    facts = manifest(task, fmt, shape, ex, error)
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{stem}-{shape}{export.SUFFIX[fmt]}"
    atomic.write_bytes(path, data)
    facts["file"], facts["bytes"] = path.name, len(data)
    atomic.write_text(path.with_suffix(".json"), json.dumps(facts, indent=2) + "\n")
    return facts
