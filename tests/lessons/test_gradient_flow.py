"""Gradient flow through time: the measurement against a hand-written BPTT, its side effects,
the decay it shows per architecture, and the callback in a real training run."""

import csv
import functools
import inspect
import itertools
import math
from pathlib import Path

import pytest
import torch
from helpers.cli import run_cli
from torch import nn

from seqbench import rundir
from seqbench.lessons.gradient_flow import measure as gradient_flow
from seqbench.models import BACKBONES
from seqbench.tasks import Adding, LanguageModel

T = 60


def _adding_batch(batch: int = 8, length: int = T) -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(0)
    x = torch.zeros(batch, length, 2)
    x[:, :, 0] = torch.rand(batch, length, generator=generator)
    x[:, 3, 1] = x[:, length - 5, 1] = 1.0
    return x, x[:, 3, 0] + x[:, length - 5, 0]


def _adding_task(model: str, **kwargs) -> Adding:
    torch.manual_seed(0)
    heads = (
        {"num_heads": 4} if "num_heads" in inspect.signature(BACKBONES[model]).parameters else {}
    )
    kwargs = {"num_layers": 1} | kwargs | heads
    return Adding(
        backbone=functools.partial(BACKBONES[model], **kwargs),
        optimizer=functools.partial(torch.optim.AdamW),
        data_info={},
        embed_dim=16,
        param_budget=8000,
    )


def _by_distance(norms: list[float]) -> dict[int, float]:
    return {len(norms) - 1 - t: n for t, n in enumerate(norms)}


def test_rnn_norms_equal_a_hand_written_unroll():
    """‖∂L/∂h_t‖ of the top layer from the fused module equals the textbook recurrence."""
    task = _adding_task("rnn", num_layers=2)
    x, y = _adding_batch()
    measured = gradient_flow.measure(task, x, y)
    rnn = task.backbone.rnn
    layers = [
        (
            getattr(rnn, f"weight_ih_l{i}"),
            getattr(rnn, f"weight_hh_l{i}"),
            getattr(rnn, f"bias_ih_l{i}") + getattr(rnn, f"bias_hh_l{i}"),
        )
        for i in range(2)
    ]
    inputs = task.inputs(x)
    h = [torch.zeros(x.shape[0], rnn.hidden_size) for _ in layers]
    states = []
    for t in range(T):
        below = inputs[:, t]
        for i, (w_ih, w_hh, b) in enumerate(layers):
            h[i] = torch.tanh(below @ w_ih.T + h[i] @ w_hh.T + b)
            below = h[i]
        states.append(list(h))
    loss = nn.functional.mse_loss(task.head(h[-1]).squeeze(-1), y) * x.shape[0]
    grads = torch.autograd.grad(loss, [s for step in states for s in step])
    expected = [float(grads[2 * t + 1].norm(dim=-1).mean()) for t in range(T)]
    assert measured == pytest.approx(expected, rel=1e-4, abs=1e-30)


def test_measuring_leaves_parameters_mode_and_random_state_alone():
    task = _adding_task("lstm")
    task.train()
    rng = torch.get_rng_state()
    gradient_flow.measure(task, *_adding_batch())
    assert task.training
    assert all(p.grad is None for p in task.parameters())
    assert torch.equal(rng, torch.get_rng_state())


RELU = {"activation": "relu"}
IRNN = {"activation": "relu", "init": "identity"}


@pytest.mark.parametrize(
    ("model", "kwargs"), [("rnn", {}), ("rnn", RELU), ("rnn", IRNN), ("lstm", {}), ("gru", {})]
)
def test_never_asks_cudnn_to_differentiate_a_recurrent_module_in_eval_mode(model, kwargs):
    """The root cause of the GPU failure, seen on a CPU: cuDNN refuses backward through an
    RNN kernel that runs outside training mode. Every recurrent forward the probe makes with
    gradients on must be in training mode or have cuDNN switched off."""
    task = _adding_task(model, **kwargs)
    task.train()
    seen: list[tuple[bool, bool]] = []

    def check(module: nn.Module, args: tuple) -> None:
        if torch.is_grad_enabled():
            seen.append((module.training, torch.backends.cudnn.enabled))

    hooks = [
        m.register_forward_pre_hook(check) for m in task.modules() if isinstance(m, nn.RNNBase)
    ]
    try:
        gradient_flow.measure(task, *_adding_batch())
    finally:
        for hook in hooks:
            hook.remove()
    assert seen, "the probe ran no recurrent module"
    refused = [s for s in seen if not s[0] and s[1]]
    assert not refused, f"{len(refused)} of {len(seen)} forwards in eval mode with cuDNN on"
    assert torch.backends.cudnn.enabled  # switched back on afterwards


@pytest.mark.parametrize("model", list(BACKBONES))
def test_one_norm_per_step_and_the_last_step_is_reached(model):
    norms = gradient_flow.measure(_adding_task(model), *_adding_batch())
    assert len(norms) == T and all(n >= 0 and math.isfinite(n) for n in norms)
    assert norms[-1] > 0


def test_decay_is_steepest_for_the_tanh_rnn_and_flat_for_attention():
    """At initialisation: the vanilla RNN vanishes fastest, the LSTM (forget bias 1) keeps
    its cell path, and attention reaches every position directly."""
    x, y = _adding_batch()
    slopes = {
        model: gradient_flow.slope(_by_distance(gradient_flow.measure(_adding_task(model), x, y)))
        for model in ("rnn", "lstm", "transformer", "transformer_pp")
    }
    assert slopes["rnn"] < 2 * slopes["lstm"] < 0
    assert abs(slopes["transformer"]) < 0.01 and abs(slopes["transformer_pp"]) < 0.01
    norms = _by_distance(gradient_flow.measure(_adding_task("rnn"), x, y))
    assert norms[T - 1] < 1e-6 * norms[1]


AT_INPUTS = [
    name
    for name, cls in BACKBONES.items()
    if gradient_flow.probe_for(cls(4, 8)) is gradient_flow._through_inputs
]


@pytest.mark.parametrize("model", AT_INPUTS)
def test_other_backbones_are_measured_at_their_inputs_like_a_hand_written_gradient(model):
    """Beyond the classics and the Transformer: ‖∂L/∂x_t‖ of the backbone's input features,
    here against the same derivative taken with a perturbation of one position's input."""
    task = _adding_task(model).double()
    x, y = (t.double() for t in _adding_batch(batch=2, length=12))
    norms = gradient_flow.measure(task, x, y)
    task.eval()
    embedded = task.inputs(x).detach()
    grad = torch.zeros_like(embedded)
    eps = 1e-6
    with torch.no_grad():
        for t in (0, 5, 11):
            for b, f in itertools.product(range(embedded.shape[0]), range(embedded.shape[-1])):
                bumped = [embedded.clone(), embedded.clone()]
                bumped[0][b, t, f] += eps
                bumped[1][b, t, f] -= eps
                up, down = (
                    gradient_flow._final_loss(task, task.backbone(e)[0][:, -1], y) for e in bumped
                )
                grad[b, t, f] = (up - down) / (2 * eps)  # the other sequence's loss stays put
            expected = grad[:, t].pow(2).sum(-1).sqrt().mean().item()
            assert norms[t] == pytest.approx(expected, rel=1e-5), t


def test_identity_initialisation_keeps_the_gradient():
    x, y = _adding_batch()
    irnn = _by_distance(
        gradient_flow.measure(_adding_task("rnn", activation="relu", init="identity"), x, y)
    )
    tanh = _by_distance(gradient_flow.measure(_adding_task("rnn"), x, y))
    assert irnn[T - 1] / irnn[1] > 1e3 * tanh[T - 1] / tanh[1]


def test_language_model_loss_on_the_last_step_only():
    torch.manual_seed(0)
    task = LanguageModel(
        backbone=functools.partial(BACKBONES["gru"], num_layers=1, hidden_size=16),
        optimizer=functools.partial(torch.optim.AdamW),
        data_info={"vocab_size": 10},
        embed_dim=8,
    )
    x = torch.randint(1, 10, (4, 20))
    norms = gradient_flow.measure(task, x, torch.roll(x, -1, 1))
    assert len(norms) == 20 and norms[-1] > norms[0] > 0


def test_slope_recovers_an_exponential_decay():
    profile = {d: 3.0 * 10 ** (-0.2 * d) for d in range(0, 50)}
    assert gradient_flow.slope(profile) == pytest.approx(-0.2)
    assert gradient_flow.slope({1: 0.0, 2: 0.0, 3: 1e-3}) is None


def test_training_records_the_profile_at_init_during_and_at_the_end(tmp_path: Path, raw_dir):
    run_dir = tmp_path / "run"
    result = run_cli(
        "seqbench.train", "data=adding", "model=rnn", "budget=smoke", "logger=csv",
        "print_config=false", "callbacks.progress_bar=null", "budget.val_batches=1",
        "budget.test_batches=1", "model.hidden_size=16", f"paths.raw_dir={raw_dir}",
        f"paths.run_dir={run_dir}", "callbacks.gradient_flow.every_n_steps=5",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    with (run_dir / rundir.GRADIENT_FLOW).open() as handle:
        rows = list(csv.DictReader(handle))
    steps = sorted({int(r["step"]) for r in rows})
    assert steps == [0, 5, 10, 15, 20]
    assert sorted({int(r["distance"]) for r in rows}) == list(range(100))
    logged = (run_dir / "csv" / "metrics.csv").read_text().splitlines()[0]
    assert "grad_flow/norm_far" in logged and "grad_flow/slope_log10_per_step" in logged


def test_the_training_probe_runs_on_one_thread_and_gives_the_same_norms():
    """The callback measures with torch on one thread (fast for the probe's tiny ops) and
    leaves the thread count as it found it, with the norms the default threads give."""
    from seqbench.lessons.timing import quiet_cpu

    task, (x, y) = _adding_task("lstm"), _adding_batch()
    before = torch.get_num_threads()
    expected = gradient_flow.measure(task, x, y)
    with quiet_cpu(1, flush_denormal=False):
        assert torch.get_num_threads() == 1
        got = gradient_flow.measure(task, x, y)
    assert torch.get_num_threads() == before
    assert got == pytest.approx(expected, rel=1e-6)
