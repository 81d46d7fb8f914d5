"""Rebuilding a task from a checkpoint builds only seqbench's own classes, with checked
arguments, and never allocates more than the weights the file holds."""

import copy
import functools
import time

import pytest
import torch

from seqbench.errors import ConfigError
from seqbench.models import BACKBONES
from seqbench.tasks import Adding, LanguageModel
from seqbench.tasks.checkpoint import load_task


def _save(path, task) -> dict:
    payload = {"hyper_parameters": dict(task.hparams), "state_dict": task.state_dict()}
    torch.save(payload, path)
    return payload


def _task(model: str = "lstm", **kwargs):
    torch.manual_seed(0)
    extra = {"num_heads": 2} if model == "transformer" else {}
    return LanguageModel(
        backbone=functools.partial(BACKBONES[model], hidden_size=16, **extra, **kwargs),
        optimizer=functools.partial(torch.optim.AdamW),
        data_info={"vocab_size": 13, "vocab": list("abcdefghijkl"), "seq_len": 32},
        embed_dim=8,
    )


@pytest.mark.parametrize("model", ["rnn", "lstm", "gru", "transformer"])
def test_a_genuine_checkpoint_rebuilds_the_same_model(tmp_path, model):
    task = _task(model)
    _save(tmp_path / "ok.ckpt", task)
    x = torch.randint(0, 12, (2, 10))
    with torch.no_grad():
        assert torch.equal(load_task(tmp_path / "ok.ckpt")(x)[0], task.eval()(x)[0])


def _forged(tmp_path, change) -> str:
    payload = copy.deepcopy({"hyper_parameters": dict(_task().hparams)})
    payload["state_dict"] = _task().state_dict()
    change(payload["hyper_parameters"])
    torch.save(payload, tmp_path / "forged.ckpt")
    with pytest.raises(ConfigError) as error:
        load_task(tmp_path / "forged.ckpt")
    assert "\n" not in str(error.value)
    return str(error.value)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda h: h.update(task="seqbench.train.train"), "not seqbench classes"),
        (lambda h: h.update(task="hydra.utils.instantiate"), "not seqbench classes"),
        (lambda h: h["backbone"].update(_target_="seqbench.builder.instantiate"), "not seqbench"),
        (lambda h: h["backbone"].update(_args_=["x"]), "backbone arguments"),
        (lambda h: h["backbone"].update(num_layers=5), "sizes do not match its weights"),
        (lambda h: h.update(embed_dim=[1, 2]), "task argument embed_dim=[1, 2]"),
        (lambda h: h.update(clip_gradients="yes"), "task argument clip_gradients='yes'"),
        (lambda h: h["data_info"].update(vocab=torch.zeros(2)), "data_info is not plain"),
        (lambda h: h["backbone"].update(dropout=2.0), "dropout must be in [0, 1)"),
    ],
)
def test_a_forged_checkpoint_is_refused_in_one_line(tmp_path, change, expected):
    assert expected in _forged(tmp_path, change)


def test_a_checkpoint_asking_for_a_huge_model_is_refused_before_allocating(tmp_path):
    started = time.perf_counter()
    message = _forged(tmp_path, lambda h: h["backbone"].update(hidden_size=10_000_000))
    assert "sizes do not match its weights" in message
    assert time.perf_counter() - started < 10  # 10M x 40M floats were never allocated


def test_huge_buffers_a_checkpoint_asks_for_are_refused(tmp_path):
    task = _task("transformer")
    payload = _save(tmp_path / "t.ckpt", task)
    payload["hyper_parameters"]["backbone"]["max_len"] = 2**31  # the position table: 128 GiB
    torch.save(payload, tmp_path / "t.ckpt")
    with pytest.raises(ConfigError, match=r"GiB beyond its weights"):
        load_task(tmp_path / "t.ckpt")


def test_the_task_class_comes_from_the_allowlist(tmp_path):
    task = Adding(
        backbone=functools.partial(BACKBONES["gru"], hidden_size=8),
        optimizer=functools.partial(torch.optim.AdamW),
        data_info={},
        embed_dim=4,
    )
    _save(tmp_path / "a.ckpt", task)
    assert type(load_task(tmp_path / "a.ckpt")) is Adding
