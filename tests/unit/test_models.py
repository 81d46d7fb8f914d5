"""Backbone contracts: shapes, streaming == full pass, state carrying, inits, budgets."""

from __future__ import annotations

import importlib

import pytest
import torch
from helpers.precision import BF16_TOLERANCE, bf16_deviation
from torch import nn

from seqbench.models import (
    BACKBONES,
    GRU,
    LSTM,
    RNN,
    KVCache,
    Transformer,
    count_parameters,
    detach_state,
    hidden_size_for_budget,
)

F_IN, H, B = 5, 16, 3
RECURRENT = ["rnn", "lstm", "gru"]


@pytest.fixture(autouse=True)
def _seed() -> None:
    torch.manual_seed(0)


def make(name: str, num_layers: int = 2, input_size: int = F_IN, hidden: int = H) -> nn.Module:
    return BACKBONES[name](input_size, hidden, num_layers=num_layers).eval()


@pytest.mark.parametrize("num_layers", [1, 2])
@pytest.mark.parametrize("name", list(BACKBONES))
def test_shapes(name: str, num_layers: int) -> None:
    model = make(name, num_layers)
    assert (model.input_size, model.hidden_size) == (F_IN, H)
    y, state = model(torch.randn(B, 11, F_IN))
    assert y.shape == (B, 11, H)
    y_t, _ = model.step(torch.randn(B, F_IN), None)
    assert y_t.shape == (B, H)
    if name == "transformer":
        assert state is None
    elif name == "lstm":
        assert state[0].shape == state[1].shape == (num_layers, B, H)
    elif name in RECURRENT:  # other backbones: test_state_size_counts_what_step_carries
        assert state.shape == (num_layers, B, H)


@pytest.mark.parametrize("name", list(BACKBONES))
def test_streaming_matches_forward(name: str) -> None:
    model = make(name, num_layers=2)
    x = torch.randn(B, 37, F_IN)
    with torch.no_grad():
        full, _ = model(x)
        state, outs = None, []
        for t in range(x.shape[1]):
            y_t, state = model.step(x[:, t], state)
            outs.append(y_t)
    torch.testing.assert_close(torch.stack(outs, dim=1), full, atol=1e-5, rtol=0)


@pytest.mark.parametrize("name", RECURRENT)
def test_carried_state_matches_forward(name: str) -> None:
    model = make(name, num_layers=2)
    x = torch.randn(B, 37, F_IN)
    with torch.no_grad():
        full, _ = model(x)
        first, state = model(x[:, :20])
        second, _ = model(x[:, 20:], detach_state(state))
    torch.testing.assert_close(torch.cat([first, second], dim=1), full, atol=1e-5, rtol=0)


def test_transformer_is_causal() -> None:
    model = make("transformer")
    x = torch.randn(B, 30, F_IN)
    x2 = x.clone()
    x2[:, 12:] = torch.randn(B, 18, F_IN)
    with torch.no_grad():
        y, _ = model(x)
        y2, _ = model(x2)
    torch.testing.assert_close(y[:, :12], y2[:, :12], atol=1e-6, rtol=0)
    assert not torch.allclose(y[:, 12:], y2[:, 12:])


def test_transformer_streams_past_4096_and_rejects_past_max_len() -> None:
    model = Transformer(F_IN, H, num_layers=1, max_len=4100).eval()
    empty = torch.zeros(B, 4, 0, H // 4)  # skip ahead: only the position counter matters here
    y, state = model.step(torch.randn(B, F_IN), KVCache(((empty, empty),), 4097))
    assert y.shape == (B, H) and state.pos == 4098
    with pytest.raises(ValueError, match="max_len"):
        model.step(torch.randn(B, F_IN), KVCache(state.layers, 4100))
    with pytest.raises(ValueError, match="max_len"):
        model(torch.randn(1, 4101, F_IN))
    with pytest.raises(ValueError, match="divisible"):
        Transformer(F_IN, 18, num_heads=4)


@pytest.mark.parametrize("num_layers", [1, 2])
def test_lstm_forget_bias(num_layers: int) -> None:
    rnn = LSTM(F_IN, H, num_layers=num_layers).rnn
    forget = slice(H, 2 * H)
    for layer in range(num_layers):
        total = getattr(rnn, f"bias_ih_l{layer}") + getattr(rnn, f"bias_hh_l{layer}")
        torch.testing.assert_close(total[forget], torch.ones(H))
    default = LSTM(F_IN, H, forget_bias=None).rnn
    assert not torch.allclose((default.bias_ih_l0 + default.bias_hh_l0)[forget], torch.ones(H))


def test_irnn_init_and_validation() -> None:
    model = RNN(F_IN, H, num_layers=2, activation="relu", init="identity")
    for layer in range(2):
        torch.testing.assert_close(getattr(model.rnn, f"weight_hh_l{layer}"), torch.eye(H))
        assert not getattr(model.rnn, f"bias_hh_l{layer}").any()
    assert model.rnn.nonlinearity == "relu"
    with pytest.raises(ValueError, match="relu"):
        RNN(F_IN, H, activation="tanh", init="identity")
    with pytest.raises(ValueError, match=r"tanh.*relu"):
        RNN(F_IN, H, activation="sigmoid")
    with pytest.raises(ValueError, match="identity"):
        RNN(F_IN, H, init="orthogonal")


@pytest.mark.parametrize("name", list(BACKBONES))
def test_hidden_size_for_budget(name: str) -> None:
    budget, vocab = 200_000, 64
    multiple = 4  # also divisible by the Transformer's default 4 heads

    def build(h: int) -> nn.Module:
        # Backbone plus an output head, as a task would count it.
        return nn.ModuleList([BACKBONES[name](vocab, h), nn.Linear(h, vocab)])

    h = hidden_size_for_budget(build, budget, multiple=multiple)
    assert h % multiple == 0
    n = count_parameters(build(h))
    assert abs(n - budget) / budget < 0.05
    # Nothing on the grid is closer.
    for other in (h - multiple, h + multiple):
        assert abs(count_parameters(build(other)) - budget) >= abs(n - budget)


def test_count_parameters_skips_frozen() -> None:
    model = nn.Linear(3, 2)
    assert count_parameters(model) == 8
    model.bias.requires_grad_(False)
    assert count_parameters(model) == 6


def test_detach_state() -> None:
    w = torch.randn(2, B, H, requires_grad=True)
    h, c = w * 2, w * 3
    assert detach_state(None) is None
    assert not detach_state(h).requires_grad
    detached = detach_state((h, c))
    assert isinstance(detached, tuple) and len(detached) == 2
    assert not any(t.requires_grad for t in detached)
    model = Transformer(F_IN, H)
    _, cache = model.step(torch.randn(B, F_IN))
    cache = detach_state(cache)
    assert cache.pos == 1
    assert not any(t.requires_grad for kv in cache.layers for t in kv)


def test_training_backward_through_carried_state() -> None:
    """A two-chunk truncated-BPTT loop runs for every backbone and gives finite grads."""
    x = torch.randn(B, 12, F_IN)
    for name, cls in BACKBONES.items():
        model = cls(F_IN, H, num_layers=2, dropout=0.1).train()
        state = None
        for chunk in x.split(6, dim=1):
            y, state = model(chunk, state)
            y.pow(2).mean().backward()
            state = detach_state(state)
        grads = [p.grad for p in model.parameters() if p.grad is not None]
        assert grads and all(torch.isfinite(g).all() for g in grads), name
    assert isinstance(make("gru"), GRU)


@pytest.mark.parametrize("name", list(BACKBONES))
def test_bf16_autocast_stays_near_float32(name: str) -> None:
    """Under bf16 autocast (as `trainer.precision=bf16-mixed` runs) both forms stay within
    BF16_TOLERANCE of the float32 pass; tests/gpu does the same on CUDA."""
    whole, streamed = bf16_deviation(make(name), torch.randn(B, 37, F_IN), "cpu")
    assert whole < BF16_TOLERANCE and streamed < BF16_TOLERANCE, (whole, streamed)


def floats_in(state: object) -> int:
    """The floats a streaming state holds (a position counter is not one)."""
    if isinstance(state, torch.Tensor):
        return state.numel() * (2 if state.is_complex() else 1)
    if isinstance(state, tuple | list):
        return sum(floats_in(s) for s in state)
    return 0


@pytest.mark.parametrize("name", list(BACKBONES))
def test_state_size_counts_what_step_carries(name: str) -> None:
    """A model's declared state size is the floats its step() hands on for one sequence;
    a fixed-size state stays fixed, a cache grows with every position."""
    model = make(name)
    state, sizes = None, []
    with torch.no_grad():
        for positions in range(1, 6):
            _, state = model.step(torch.randn(1, F_IN), state)
            assert floats_in(state) == model.state_size(positions), positions
            sizes.append(model.state_size(positions))
    assert (len(set(sizes)) == len(sizes)) if model.streams_with_cache else len(set(sizes)) == 1


def test_backbones_declare_their_capabilities() -> None:
    """Lessons ask these instead of probing attributes or testing the class."""
    for name in ("rnn", "lstm", "gru"):
        model = make(name)
        assert not model.attends and not model.streams_with_cache and model.max_positions is None
    transformer = Transformer(F_IN, H, num_layers=1, max_len=100)
    assert transformer.attends and transformer.streams_with_cache
    assert transformer.max_positions == 100


def test_a_backbone_is_one_module_and_one_config():
    """Each registered backbone has a shipped config naming it, and that config's class is
    allowed by the _target_ allowlist (which reads the configs, not a second list)."""
    import yaml

    from seqbench.config import CONF_DIR, allowlist
    from seqbench.models import BACKBONES

    named = {}
    for path in (CONF_DIR / "model").glob("*.yaml"):
        target = (yaml.safe_load(path.read_text()) or {}).get("_target_")
        if target:
            module, _, attr = target.rpartition(".")
            named[target] = getattr(importlib.import_module(module), attr)
    assert set(BACKBONES.values()) <= set(named.values()), "a backbone with no config"
    assert set(named) <= set(allowlist.MODELS)


def test_a_named_subclass_registers_itself_and_a_clash_is_refused():
    from seqbench.models import base

    class Toy(base.Backbone):
        name = "toy-test-only"

    try:
        assert base.REGISTERED["toy-test-only"] is Toy
        with pytest.raises(TypeError, match="two backbones are named 'toy-test-only'"):

            class Other(base.Backbone):
                name = "toy-test-only"
    finally:
        base.REGISTERED.pop("toy-test-only", None)
