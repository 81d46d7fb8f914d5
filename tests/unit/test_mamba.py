"""Mamba (Gu & Dao 2023, arXiv 2312.00752) against its equations written out step by step.

Equation numbers are the paper's: (2a) h_t = A_bar h_{t-1} + B_bar x_t, (2b) y_t = C h_t,
(4) ZOH A_bar = exp(Delta A) (B_bar simplified to Delta B, as the authors' code does),
Algorithm 2 the selection B = s_B(x), C = s_C(x), Delta = softplus(s_Delta(x) + bias),
Section 3.4 / Figure 3 the block (gated branch, causal conv, SiLU), Section 3.6 the inits.
"""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from seqbench.models import Transformer, detach_state
from seqbench.models.mamba import Mamba

F_IN, H = 3, 8


def tiny(**options) -> Mamba:
    """A float64 Mamba with its SSM parameters moved off their init, so no term is trivial."""
    torch.manual_seed(0)
    options = {"num_layers": 2, "d_state": 5, "d_conv": 3} | options
    model = Mamba(F_IN, H, **options).double().eval()
    with torch.no_grad():
        for block in model.blocks:
            block.mixer.A_log.add_(0.3 * torch.randn_like(block.mixer.A_log))
            block.mixer.D.add_(torch.randn_like(block.mixer.D))
            block.mixer.dt_bias.add_(torch.randn_like(block.mixer.dt_bias))
            block.mixer.conv1d.bias.add_(torch.randn_like(block.mixer.conv1d.bias))
            block.norm.weight.add_(0.1 * torch.randn_like(block.norm.weight))
    return model


def rms_norm(u: torch.Tensor, weight: torch.Tensor, eps: float = 1e-5) -> torch.Tensor:
    return u * torch.rsqrt(u.pow(2).mean(-1, keepdim=True) + eps) * weight


def reference(model: Mamba, x: torch.Tensor) -> torch.Tensor:
    """The recurrence one position at a time, from the module's parameters only."""
    u = x @ model.in_proj.weight.T + model.in_proj.bias
    T = x.shape[1]
    for block in model.blocks:
        p = block.mixer
        d_conv, r, N = p.conv1d.weight.shape[-1], p.dt_proj.weight.shape[1], p.A_log.shape[1]
        A = -torch.exp(p.A_log)  # (d_inner, N), negative real (S4D-real, Section 3.6)
        un = rms_norm(u, block.norm.weight)
        xs, zs = (un @ p.in_proj.weight.T).chunk(2, dim=-1)  # x branch and gate z (Fig. 3)
        h = torch.zeros(x.shape[0], A.shape[0], N, dtype=x.dtype)
        outs = []
        for t in range(T):
            # causal depthwise conv: x_{t-d_conv+1} .. x_t, zero before the sequence
            conv = p.conv1d.bias.clone()
            for k in range(d_conv):
                s = t - (d_conv - 1) + k
                if s >= 0:
                    conv = conv + p.conv1d.weight[:, 0, k] * xs[:, s]
            xc = F.silu(conv)  # (B, d_inner)
            sel = xc @ p.x_proj.weight.T  # Algorithm 2: s_Delta's low rank input, s_B, s_C
            dt_in, B_t, C_t = sel[:, :r], sel[:, r : r + N], sel[:, r + N :]
            delta = F.softplus(dt_in @ p.dt_proj.weight.T + p.dt_bias)  # (B, d_inner)
            A_bar = torch.exp(delta[:, :, None] * A)  # (4)
            B_bar_x = delta[:, :, None] * B_t[:, None, :] * xc[:, :, None]  # Delta B x
            h = A_bar * h + B_bar_x  # (2a)
            y = (h * C_t[:, None, :]).sum(-1) + p.D * xc  # (2b) plus the D skip
            outs.append((y * F.silu(zs[:, t])) @ p.out_proj.weight.T)  # gate, out_proj
        u = u + torch.stack(outs, dim=1)  # residual around the pre-norm block
    return rms_norm(u, model.norm_f.weight)


@pytest.mark.parametrize("sequential", [False, True])
def test_forward_equals_the_papers_recurrence(sequential: bool) -> None:
    """float64, rtol 1e-10 and atol 1e-12: the same arithmetic in another order."""
    model = tiny(sequential=sequential)
    x = torch.randn(2, 13, F_IN, dtype=torch.float64)
    with torch.no_grad():
        y, _ = model(x)
    torch.testing.assert_close(y, reference(model, x), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("d_conv", [1, 2, 4])
def test_step_sequential_and_chunks_equal_one_pass(d_conv: int) -> None:
    model = tiny(d_conv=d_conv)
    x = torch.randn(2, 17, F_IN, dtype=torch.float64)
    close = {"rtol": 1e-10, "atol": 1e-12}
    with torch.no_grad():
        full, last = model(x)
        state, outs = None, []
        for t in range(x.shape[1]):
            y_t, state = model.step(x[:, t], state)
            outs.append(y_t)
        torch.testing.assert_close(torch.stack(outs, dim=1), full, **close)
        torch.testing.assert_close(tuple(state), tuple(last), **close)
        model.sequential = True
        torch.testing.assert_close(model(x)[0], full, **close)
        model.sequential = False
        # chunks shorter than the conv window too: the window must carry across both
        for cuts in ([1, 2, 3, 11], [8, 9], [16, 1]):
            state, pieces = None, []
            for chunk in x.split(cuts, dim=1):
                y, state = model(chunk, detach_state(state))
                pieces.append(y)
            torch.testing.assert_close(torch.cat(pieces, dim=1), full, **close)
            torch.testing.assert_close(tuple(state), tuple(last), **close)


def test_state_holds_the_window_and_h() -> None:
    model = tiny(d_conv=3, d_state=5, expand=2)
    _, state = model(torch.randn(4, 6, F_IN, dtype=torch.float64))
    assert state.conv.shape == (2, 4, 2 * H, 2) and state.ssm.shape == (2, 4, 2 * H, 5)
    assert model.state_size() == 2 * (2 * H * 5 + 2 * H * 2)
    # the window is the last d_conv - 1 inputs of each layer's x branch
    x = torch.randn(1, 6, F_IN, dtype=torch.float64)
    with torch.no_grad():
        _, state = model(x)
        first = model.blocks[0]
        u = rms_norm(model.in_proj(x), first.norm.weight)
        xs = first.mixer.in_proj(u)[..., : 2 * H]
    torch.testing.assert_close(state.conv[0, 0], xs[0, -2:].T)


@pytest.mark.parametrize("sequential", [False, True])
def test_gradcheck(sequential: bool) -> None:
    """Gradients of the input and the carried state, both forms, in float64."""
    model = tiny(num_layers=1, d_state=2, d_conv=2, sequential=sequential)
    x = torch.randn(1, 5, F_IN, dtype=torch.float64, requires_grad=True)
    conv = torch.randn(1, 1, 2 * H, 1, dtype=torch.float64, requires_grad=True)
    ssm = torch.randn(1, 1, 2 * H, 2, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda x, c, s: model(x, (c, s))[0], (x, conv, ssm))
    params = [p for p in model.parameters()]
    y, _ = model(x)
    grads = torch.autograd.grad(y.pow(2).sum(), params)
    assert all(torch.isfinite(g).all() and g.abs().sum() > 0 for g in grads)


def test_the_papers_init() -> None:
    """Section 3.6 and the paper's code: Delta = softplus(dt_bias) log-uniform in
    [dt_min, dt_max]; A = -(1..N) per channel (S4D-real); D = 1; dt_proj in +-dt_rank^-1/2."""
    torch.manual_seed(0)
    model = Mamba(F_IN, 512, num_layers=1, d_state=7, dt_min=0.002, dt_max=0.05)
    mixer = model.blocks[0].mixer
    dt = F.softplus(mixer.dt_bias.detach().double())
    assert dt.min() >= 0.002 * (1 - 1e-6) and dt.max() <= 0.05 * (1 + 1e-6)
    # log-uniform: log dt's quartiles near a quarter, half, three quarters of the way
    spread = (dt.log() - math.log(0.002)) / (math.log(0.05) - math.log(0.002))
    quartiles = torch.quantile(spread, torch.tensor([0.25, 0.5, 0.75], dtype=torch.float64))
    torch.testing.assert_close(
        quartiles, torch.tensor([0.25, 0.5, 0.75]).double(), atol=0.05, rtol=0
    )
    A = -torch.exp(mixer.A_log.detach())
    torch.testing.assert_close(A, -torch.arange(1.0, 8.0).repeat(1024, 1))
    assert torch.equal(mixer.D.detach(), torch.ones(1024))
    assert mixer.dt_rank == math.ceil(512 / 16) == 32
    assert mixer.dt_proj.weight.abs().max() <= 32**-0.5
    assert mixer.x_proj.weight.shape == (32 + 2 * 7, 1024)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"d_state": 0}, "d_state"),
        ({"expand": 1.5}, "expand must be a whole number"),
        ({"d_conv": True}, "d_conv must be a whole number"),
        ({"dt_min": 0.0}, "0 < dt_min <= dt_max"),
        ({"dt_min": 0.2, "dt_max": 0.1}, "0 < dt_min <= dt_max"),
        ({"dt_max": math.inf}, "finite"),
        ({"sequential": "yes"}, "sequential must be true or false"),
        ({"dropout": 1.0}, "dropout"),
    ],
)
def test_bad_options_are_refused(options: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Mamba(F_IN, H, **options)


def test_sizes_in_reads_the_constructor_sizes_back() -> None:
    model = Mamba(F_IN, 10, num_layers=3, d_state=6, d_conv=2, expand=3)
    shapes = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    sizes = {"input_size": F_IN, "hidden_size": 10, "num_layers": 3}
    assert Mamba.sizes_in(shapes) == sizes | {"d_state": 6, "d_conv": 2, "expand": 3}
    other = {k: tuple(v.shape) for k, v in Transformer(F_IN, H).state_dict().items()}
    assert Mamba.sizes_in(other) is None


def test_every_even_hidden_size_works_and_parameters_grow() -> None:
    counts = []
    with torch.device("meta"):
        for hidden in range(2, 130, 2):
            counts.append(sum(p.numel() for p in Mamba(F_IN, hidden).parameters()))
    assert counts == sorted(counts)
    y, _ = Mamba(F_IN, 2)(torch.randn(1, 4, F_IN))
    assert y.shape == (1, 4, 2)
