"""int8 dynamic quantisation of an exported ONNX model, and what it costs in quality.

onnxruntime's dynamic quantisation stores the weights of the matrix products as int8 and
quantises activations on the fly, so nothing needs calibration data. What it loses is
measured, not assumed: the task's own test metrics over the run's test batches, once with the
float model and once with the int8 one, both run by onnxruntime.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterable
from pathlib import Path

import torch

from seqbench.errors import ConfigError
from seqbench.lessons.deploy import export, runtime
from seqbench.lessons.deploy.runtime import Runtime
from seqbench.safety import atomic
from seqbench.tasks.base import SequenceTask

SCHEMES = ("int8",)


def quantize(data: bytes) -> bytes:
    """The ONNX model ``data`` with int8 weights (dynamic quantisation)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    with tempfile.TemporaryDirectory() as folder:
        source, target = Path(folder) / "float.onnx", Path(folder) / "int8.onnx"
        source.write_bytes(data)
        with export.quiet_logs():  # onnxruntime's advice to pre-process, on the root logger
            quantize_dynamic(source, target, weight_type=QuantType.QInt8)
        return target.read_bytes()


def evaluable(task: SequenceTask) -> str | None:
    """Why the test metrics cannot be computed from whole-sequence outputs; None if they can
    (tasks with their own evaluation, e.g. anomaly's stream, are not measured here)."""
    own = type(task)
    if own.test_step is not SequenceTask.test_step or own._evaluate is not SequenceTask._evaluate:
        return f"{own.__name__} evaluates its test split its own way, not from one forward pass"
    return None


def test_metrics(task: SequenceTask, run: Runtime, batches: Iterable[tuple], steps: int) -> dict:
    """The task's test metrics with ``run`` (a whole-sequence runtime) in place of its forward,
    over the batches whose windows are ``steps`` long (the exported length)."""
    if why := evaluable(task):
        raise ConfigError(why)
    metrics = task.build_metrics()
    seen = 0
    for batch in batches:
        x, y, *lengths = batch
        if x.shape[1] != steps:
            continue
        outputs = run(x)[0]
        extra = task.metric_inputs(x, y)
        task.update_metrics(metrics, task._outputs_for(outputs, *lengths), y, **extra)
        seen += 1
    if not seen:
        raise ConfigError(f"no test batch has windows of the exported {steps} steps")
    values = task.summarise(metrics.compute())
    found = {k: float(v) for k, v in values.items() if v.numel() == 1}
    return found | {"batches": seen}


def quality_change(
    task: SequenceTask, float_run: Runtime, int8_run: Runtime, batches: list, steps: int
) -> dict:
    """The test metrics of both models over the same batches, and int8 minus float."""
    with torch.inference_mode():
        before = test_metrics(task, float_run, batches, steps)
        after = test_metrics(task, int8_run, batches, steps)
    change = {k: after[k] - before[k] for k in before if k != "batches"}
    return {"float": before, "int8": after, "change": change}


def write(task: SequenceTask, ex: export.Example, batches: list, out: Path, stem: str) -> dict:
    """The int8 whole-sequence ONNX model beside the float one, and what it changes: the test
    metrics of both over ``batches`` and the bytes of both files (in ``<stem>-whole.int8.json``)."""
    whole = export.to_bytes(task, "onnx", "whole", ex)
    int8 = quantize(whole)
    change = quality_change(
        task,
        runtime.load(whole, "onnx", "whole", ex),
        runtime.load(int8, "onnx", "whole", ex),
        batches,
        ex.window.shape[1],
    )
    path = out / f"{stem}-whole.int8.onnx"
    facts = change | {"file": path.name, "float_bytes": len(whole), "int8_bytes": len(int8)}
    out.mkdir(parents=True, exist_ok=True)
    atomic.write_bytes(path, int8)
    atomic.write_text(path.with_suffix(".json"), json.dumps(facts, indent=2) + "\n")
    return facts
