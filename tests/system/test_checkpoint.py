"""Rebuilding a task from a checkpoint builds only seqbench's own classes, with checked
arguments, and never allocates more than the weights the file holds."""

import copy
import functools
import time

import pytest
import torch

from seqbench.errors import ConfigError
from seqbench.models import BACKBONES
from seqbench.tasks import Adding, Copy, LanguageModel
from seqbench.tasks.checkpoint import check_resumable, load_task


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
        (
            lambda h: h["backbone"].update(_target_="seqbench.train.build.instantiate"),
            "not seqbench",
        ),
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


def test_a_forged_layer_count_is_refused_from_the_shapes_before_building(tmp_path):
    """K18: building 200000 layers takes minutes even on the meta device."""
    started = time.perf_counter()
    message = _forged(tmp_path, lambda h: h["backbone"].update(num_layers=200_000))
    assert "num_layers=200000 in its hyperparameters, 1 in its weights" in message
    assert time.perf_counter() - started < 10


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda h: h["data_info"].update(vocab_size=10**9), "does not match its vocab_size"),
        (lambda h: h["data_info"].update(vocab_size=-1), "does not match its vocab_size"),
        (lambda h: h["data_info"].update(vocab=list("abc")), "does not match its vocab_size"),
        (lambda h: h["data_info"].update(vocab=["ab"] * 12), "does not match its vocab_size"),
        (lambda h: h["backbone"].update(forget_bias=float("inf")), "forget_bias=inf"),
        (lambda h: h["backbone"].update(hidden_size=16.0), "hidden_size=16.0 is not what"),
        (lambda h: h.update(embed_dim=-8), "input_size=-8 in its hyperparameters"),
    ],
)
def test_forged_sizes_and_types_are_refused_in_one_line(tmp_path, change, expected):
    assert expected in _forged(tmp_path, change)


def test_a_forged_vocab_size_without_a_vocab_is_refused_by_the_weights(tmp_path):
    def change(h):
        h["data_info"] = {"vocab_size": 10**9}

    assert "sizes do not match its weights" in _forged(tmp_path, change)


def _resume_check(tmp_path, saved, current) -> str:
    """check_resumable of a checkpoint of ``saved`` for a run building ``current``."""
    _save(tmp_path / "saved.ckpt", saved)
    try:
        check_resumable(tmp_path / "saved.ckpt", current)
    except ConfigError as error:
        assert "\n" not in str(error)
        return str(error)
    return ""


def _adding(length: int, name: str = "adding", **kwargs) -> Adding:
    torch.manual_seed(0)
    info = {"kind": "adding", "length": length, "name": name, "content_hash": f"h{length}"}
    return Adding(
        backbone=functools.partial(BACKBONES[kwargs.pop("model", "rnn")], hidden_size=8, **kwargs),
        optimizer=functools.partial(torch.optim.AdamW),
        data_info=info | {"baseline": 0.167, "baseline_metric": "mse"},
        embed_dim=4,
    )


@pytest.mark.parametrize(
    ("saved", "current", "expected"),
    [  # same shapes every time: only the arguments tell them apart
        ({}, {"activation": "relu"}, "activation: 'tanh' in the checkpoint, 'relu' in this run"),
        ({"activation": "relu", "init": "identity"}, {"activation": "relu"}, "init:"),
        ({"model": "lstm"}, {"model": "lstm", "forget_bias": 2.0}, "forget_bias: 1.0 in the"),
        ({"model": "gru"}, {"model": "gru", "dropout": 0.2}, "dropout:"),
        ({"model": "transformer", "num_heads": 2}, {"model": "transformer"}, "num_heads: 2"),
        ({"model": "transformer"}, {"model": "transformer", "max_len": 64}, "max_len:"),
    ],
)
def test_a_resume_into_another_model_of_the_same_shapes_is_refused(
    tmp_path, saved, current, expected
):
    """K31: tanh and ReLU RNNs, IRNN, LSTMs with other forget biases, Transformers with other
    heads all have the same weight shapes."""
    message = _resume_check(tmp_path, _adding(100, **saved), _adding(100, **current))
    assert "was trained with another model, size or dataset (model " in message
    assert expected in message


def test_a_resume_on_another_dataset_is_refused(tmp_path):
    """K32: adding at T=100 resumed as T=50 (same shapes), or as the copy task."""
    message = _resume_check(tmp_path, _adding(100), _adding(50, name="adding-T50"))
    assert "size or dataset (data content_hash: 'h100' in the checkpoint" in message
    renamed = _resume_check(tmp_path, _adding(100), _adding(100, name="adding-again"))
    assert "name: 'adding' in the checkpoint, 'adding-again' in this run" in renamed
    copy = Copy(
        backbone=functools.partial(BACKBONES["rnn"], hidden_size=8),
        optimizer=functools.partial(torch.optim.AdamW),
        data_info={"kind": "copy", "length": 100},
        embed_dim=4,
    )
    assert "holds a 'seqbench.tasks.memory.Adding' task" in _resume_check(
        tmp_path, _adding(100), copy
    )


def test_what_steers_training_may_change_on_resume(tmp_path):
    """The budget, optimiser, grad_clip, tbptt_steps and clip_gradients are not the model."""
    current = _adding(100)
    current.hparams.update(grad_clip=5.0, tbptt_steps=10, clip_gradients=False)
    assert _resume_check(tmp_path, _adding(100), current) == ""


def test_a_checkpoint_of_an_older_layout_resumes_on_its_defaults(tmp_path):
    """Written before data identity was saved, with arguments left at their defaults
    (unsaved): compared on the rest, an unsaved argument as its default."""
    saved = _adding(100, activation="relu")
    assert "init" not in saved.hparams["backbone"]
    del saved.hparams["data_info"]["name"], saved.hparams["data_info"]["content_hash"]
    del saved.hparams["clip_gradients"]
    current = _adding(100, activation="relu", init="default")
    assert _resume_check(tmp_path, saved, current) == ""
    irnn = _adding(100, activation="relu", init="identity")
    assert "init: 'default' in the checkpoint" in _resume_check(tmp_path, saved, irnn)
