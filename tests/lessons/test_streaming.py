"""Streaming inference: one step at a time equals the batch pass, for every backbone and task."""

from __future__ import annotations

import functools

import pytest
import torch

from seqbench.lessons.streaming.measure import measure
from seqbench.lessons.streaming.streamer import Streamer, stream
from seqbench.models import BACKBONES, MODELS
from seqbench.tasks import Adding, Classifier, LanguageModel, SequenceTask

B, T, H, VOCAB, CHANNELS = 3, 23, 8, 11, 6
BACKBONE_KWARGS = {
    "rnn_tanh": ("rnn", {"activation": "tanh"}),
    "rnn_relu_identity": ("rnn", {"activation": "relu", "init": "identity"}),
    "lstm": ("lstm", {}),
    "gru": ("gru", {}),
    "transformer": ("transformer", {"num_heads": 2, "max_len": 64}),
}
TASKS = {
    "language_model": (LanguageModel, {"vocab_size": VOCAB}),
    "classifier": (Classifier, {"channels": CHANNELS, "classes": ["a", "b", "c", "d"]}),
    "adding": (Adding, {}),
}


@pytest.fixture(autouse=True)
def _seed() -> None:
    torch.manual_seed(0)


def make_task(task: str, backbone: str, hidden: int = H) -> SequenceTask:
    cls, data_info = TASKS[task]
    name, kwargs = BACKBONE_KWARGS[backbone]
    return cls(
        backbone=functools.partial(BACKBONES[name], hidden_size=hidden, num_layers=2, **kwargs),
        optimizer=functools.partial(torch.optim.AdamW),
        data_info=data_info,
        embed_dim=8,
    )


def make_input(task: str, length: int = T) -> torch.Tensor:
    if task == "language_model":
        return torch.randint(0, VOCAB, (B, length))
    return torch.randn(B, length, CHANNELS if task == "classifier" else 2)


@pytest.mark.parametrize("backbone", list(BACKBONE_KWARGS))
@pytest.mark.parametrize("task_name", list(TASKS))
def test_stream_equals_batch_forward(task_name: str, backbone: str) -> None:
    task = make_task(task_name, backbone)
    x = make_input(task_name)
    with torch.inference_mode():
        full, _ = task.eval()(x)
    streamed = stream(task, x)
    expected = {"language_model": VOCAB, "classifier": 4, "adding": 1}[task_name]
    assert streamed.shape == full.shape == (B, T, expected)
    torch.testing.assert_close(streamed, full, atol=1e-5, rtol=0)
    # outputs depend on the history: not the same numbers at every step
    assert not torch.allclose(streamed[:, 0], streamed[:, -1])


def test_streamer_puts_task_in_eval_mode_and_runs_without_autograd() -> None:
    task = make_task("classifier", "lstm").train()
    streamer = Streamer(task)
    assert not task.training
    y = streamer.push(torch.randn(B, CHANNELS))
    assert y.shape == (B, 4) and not y.requires_grad and streamer.position == 1


@pytest.mark.parametrize("backbone", list(BACKBONE_KWARGS))
def test_state_memory(backbone: str) -> None:
    streamer = Streamer(make_task("language_model", backbone))
    sizes = []
    for token in make_input("language_model", 20).unbind(1):
        streamer.push(token)
        sizes.append(streamer.state_bytes())
    assert streamer.position == 20
    if backbone == "transformer":
        # a key and a value (B, H) per layer and position, float32
        per_step = 2 * 2 * B * H * 4
        assert sizes == [per_step * (t + 1) for t in range(20)]
    else:
        layers_states = 2 * (2 if backbone == "lstm" else 1)  # LSTM carries h and c
        assert sizes == [layers_states * B * H * 4] * 20


@pytest.mark.parametrize("backbone", ["lstm", "transformer"])
def test_reset_restarts_the_stream(backbone: str) -> None:
    streamer = Streamer(make_task("language_model", backbone))
    x = make_input("language_model", 10)
    first = torch.stack([streamer.push(x[:, t]) for t in range(10)], dim=1)
    continued = streamer.push(x[:, 0])
    streamer.reset()
    assert streamer.position == 0 and streamer.state_bytes() == 0
    again = torch.stack([streamer.push(x[:, t]) for t in range(10)], dim=1)
    torch.testing.assert_close(again, first, atol=0, rtol=0)
    # without the reset the same token gives a different output: the state was carried
    assert not torch.allclose(continued, first[:, 0])


def test_pushing_past_max_len_is_a_clear_error() -> None:
    streamer = Streamer(make_task("adding", "transformer"))  # max_len=64
    for _ in range(64):
        streamer.push(torch.randn(B, 2))
    with pytest.raises(ValueError, match=r"position 64.*max_len=64.*reset\(\)"):
        streamer.push(torch.randn(B, 2))
    assert streamer.position == 64  # the failed push changed nothing
    streamer.reset()
    assert streamer.push(torch.randn(B, 2)).shape == (B, 1)


def test_push_rejects_a_whole_sequence_and_a_new_batch_size() -> None:
    streamer = Streamer(make_task("classifier", "gru"))
    with pytest.raises(ValueError, match="one time step"):
        streamer.push(torch.randn(B, 5, CHANNELS))
    streamer.push(torch.randn(B, CHANNELS))
    with pytest.raises(ValueError, match="batch"):
        streamer.push(torch.randn(B + 1, CHANNELS))


def test_measure_rows_and_state_memory() -> None:
    threads = torch.get_num_threads()
    rows = measure(positions=128, every=64, window=3)
    assert torch.get_num_threads() == threads  # measure() restores the thread count
    assert [r["model"] for r in rows] == [m for m in MODELS for _ in range(3)]
    assert [r["position"] for r in rows] == [1, 64, 128] * len(MODELS)
    for name in MODELS:
        mine = [r for r in rows if r["model"] == name]
        # parameter-matched to the classifier budget (50000) within 5 %
        assert abs(mine[0]["num_parameters"] - 50_000) < 2_500
        assert all(r["latency_ms"] > 0 for r in mine)
        sizes = [r["state_bytes"] for r in mine]
        if name == "transformer":
            assert sizes[1] == 64 * sizes[0] and sizes[2] == 128 * sizes[0]
        else:
            assert sizes[0] > 0 and len(set(sizes)) == 1
