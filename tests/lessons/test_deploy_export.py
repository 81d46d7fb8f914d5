"""Exporting for a device: every backbone in every format, the whole-sequence model and the
streaming step, run by the format's own runtime and held to the eager checkpoint."""

import functools

import pytest
import torch

from seqbench.lessons.deploy import export, runtime
from seqbench.lessons.streaming.measure import backbone_of
from seqbench.models import BACKBONES
from seqbench.tasks import (
    Ability,
    Adding,
    Anomaly,
    Classifier,
    Copy,
    Forecast,
    ForecastAutoregressive,
    LanguageModel,
    TextClassify,
)

STEPS = 12
HIDDEN = 16


def make(task_cls: type, data_info: dict, name: str):
    """A small task with backbone ``name`` at its shipped options, random weights."""
    torch.manual_seed(0)
    _, options = backbone_of(name)
    options = options | {"hidden_size": HIDDEN, "num_layers": 2}
    return task_cls(
        backbone=functools.partial(BACKBONES[name], **options),
        optimizer=functools.partial(torch.optim.AdamW),
        data_info=data_info,
        embed_dim=8,
    ).eval()


def independent_reference(task, window: torch.Tensor) -> torch.Tensor:
    """The checkpoint's outputs computed the plain way: input layer, backbone, head."""
    with torch.no_grad():
        return task.head(task.backbone(task.inputs(window))[0])


def check(task, fmt: str, shape: str) -> None:
    ex = export.example(task, STEPS)
    run = runtime.load(export.to_bytes(task, fmt, shape, ex), fmt, shape, ex)
    expected = independent_reference(task, ex.window)
    if shape == "whole":
        got = run(ex.window)[0]
    else:
        state, steps = list(ex.start), []
        for t in range(STEPS):
            y, *state = run(ex.window[:1, t], *state)
            steps.append(y)
        got, expected = torch.stack(steps, dim=1), expected[:1]
    assert got.shape == expected.shape
    scale = max(1.0, float(expected.abs().max()))
    assert float((got - expected).abs().max()) <= export.TOLERANCE * scale


@pytest.mark.parametrize("fmt", export.FORMATS)
@pytest.mark.parametrize("name", list(BACKBONES))
def test_every_backbone_exports_in_both_shapes_with_parity(name, fmt):
    task = make(Classifier, {"channels": 3, "classes": ["a", "b", "c"]}, name)
    if name == "lru" and fmt == "onnx":
        for shape in export.SHAPES:
            with pytest.raises(export.Unsupported, match=r"complex-valued state.*ONNX has no"):
                export.to_bytes(task, fmt, shape, export.example(task, STEPS))
        return
    for shape in export.SHAPES:
        check(task, fmt, shape)


KINDS = {
    "language_model": (LanguageModel, {"vocab_size": 11}),
    "classifier": (Classifier, {"channels": 3, "classes": ["a", "b"]}),
    "adding": (Adding, {}),
    "copy": (Copy, {"kind": "copy", "length": 10}),
    "ability": (Ability, {"vocab_size": 9, "groups": ["all"], "group_by": "answers"}),
    "forecast": (Forecast, {"channels": 2, "horizon": 3}),
    "forecast_autoregressive": (ForecastAutoregressive, {"channels": 2, "horizon": 3}),
    "anomaly": (Anomaly, {"channels": 2}),
    "text_classify": (TextClassify, {"vocab_size": 11, "classes": ["neg", "pos"]}),
}


@pytest.mark.parametrize("kind", list(KINDS))
def test_every_task_kind_exports_to_onnx_in_both_shapes(kind):
    task_cls, info = KINDS[kind]
    task = make(task_cls, info, "gru")
    for shape in export.SHAPES:
        check(task, "onnx", shape)


@pytest.mark.parametrize("name", ["transformer", "transformer_pp", "mamba", "xlstm", "lstm"])
def test_the_step_state_is_what_the_backbone_carries_and_a_cache_grows_by_one(name):
    task = make(Classifier, {"channels": 3, "classes": ["a", "b"]}, name)
    ex = export.example(task, STEPS)
    backbone = task.backbone
    step = export.StreamingStep(task, ex.layout)
    state = list(ex.start)
    for t in range(5):
        _, *state = step(ex.window[:1, t], *state)
        carried = sum(s.numel() for s, p in zip(state, ex.layout.positions, strict=True) if not p)
        assert carried == backbone.state_size(t + 1)  # the backbone's own account
    if backbone.streams_with_cache:
        assert all(
            g is not None
            for g, p in zip(ex.layout.growing, ex.layout.positions, strict=True)
            if not p
        )
    else:
        assert ex.layout.growing == (None,) * len(ex.layout.growing)
