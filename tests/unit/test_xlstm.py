"""xLSTM (Beck et al. 2024): the model against the paper's recurrences written out here.

The reference reads the module's parameters only (never its forward, step or helpers) and
runs the UNSTABILISED equations (raw exp gates) in float64 over a short sequence, where they
cannot overflow: so it checks the parallel mLSTM form and the stabiliser (eqs. 15-17) at once,
both of which must leave the outputs exactly unchanged.
"""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from torch import Tensor

from seqbench.models import count_parameters, detach_state
from seqbench.models.xlstm import XLSTM

F_IN, H, B, T = 3, 8, 2, 13
TOL = {"atol": 1e-12, "rtol": 1e-10}  # float64: only rounding differs between the forms


@pytest.fixture(autouse=True)
def _seed() -> None:
    torch.manual_seed(0)


def linear(layer: torch.nn.Linear, x: Tensor) -> Tensor:
    return x @ layer.weight.T + layer.bias


def head_norm(norm: torch.nn.Module, x: Tensor, heads: int) -> Tensor:
    """The paper's GN: normalise each head's channels, then the per-channel affine."""
    d = x.shape[-1] // heads
    u = x.unflatten(-1, (heads, d))
    u = (u - u.mean(-1, keepdim=True)) / torch.sqrt(u.var(-1, unbiased=False, keepdim=True) + 1e-5)
    return u.flatten(-2) * norm.weight + norm.bias


def layer_norm(norm: torch.nn.LayerNorm, x: Tensor) -> Tensor:
    return F.layer_norm(x, x.shape[-1:], norm.weight, norm.bias)


def reference_mlstm_block(blk: torch.nn.Module, x: Tensor) -> Tensor:
    """mLSTM block (Fig. 10, no conv): up-project by 2 into (a, z), mLSTM cell on a (eqs.
    19-27, unstabilised), head norm, learnable skip, times silu(z), down-project, residual."""
    inner = blk.skip.numel()
    nh = blk.igate.weight.shape[0]
    d = inner // nh
    up = linear(blk.up, layer_norm(blk.norm, x))
    a, z = up[..., :inner], up[..., inner:]
    C = x.new_zeros(x.shape[0], nh, d, d)
    n = x.new_zeros(x.shape[0], nh, d)
    hs = []
    for t in range(x.shape[1]):
        a_t = a[:, t]
        q = linear(blk.q, a_t).view(-1, nh, d)  # eq. 22
        k = (a_t @ blk.k.weight.T / math.sqrt(d) + blk.k.bias).view(-1, nh, d)  # eq. 23
        v = linear(blk.v, a_t).view(-1, nh, d)  # eq. 24
        i = torch.exp(linear(blk.igate, a_t))  # eq. 25: exponential input gate, per head
        f = torch.sigmoid(linear(blk.fgate, a_t))  # eq. 26: sigmoid forget gate
        o = torch.sigmoid(linear(blk.ogate, a_t))  # eq. 27
        C = f[..., None, None] * C + i[..., None, None] * (v[..., :, None] * k[..., None, :])  # 19
        n = f[..., None] * n + i[..., None] * k  # eq. 20
        h_tilde = (C @ q[..., None]).squeeze(-1) / (n * q).sum(-1).abs().clamp(min=1)[..., None]
        hs.append(o * h_tilde.flatten(-2))  # eq. 21
    h = head_norm(blk.cell_norm, torch.stack(hs, 1), nh) + blk.skip * a
    return x + linear(blk.down, h * F.silu(z))


def reference_slstm_block(blk: torch.nn.Module, x: Tensor, exp_forget: bool) -> Tensor:
    """sLSTM block (Fig. 9, no conv): sLSTM cell (eqs. 8-14, unstabilised) with block-diagonal
    recurrent weights, head norm, residual; then a GeLU-gated MLP (factor 4/3), residual."""
    nh = blk.R.shape[1]
    R = [torch.block_diag(*blk.R[g]) for g in range(4)]  # R_z, R_i, R_f, R_o: one block a head
    Wz, Wi, Wf, Wo = linear(blk.W, layer_norm(blk.norm, x)).chunk(4, dim=-1)
    c = n = h = x.new_zeros(x.shape[0], x.shape[-1])
    hs = []
    for t in range(x.shape[1]):
        z = torch.tanh(Wz[:, t] + h @ R[0])  # eq. 11
        i = torch.exp(Wi[:, t] + h @ R[1])  # eq. 12
        f_tilde = Wf[:, t] + h @ R[2]
        f = torch.exp(f_tilde) if exp_forget else torch.sigmoid(f_tilde)  # eq. 13
        o = torch.sigmoid(Wo[:, t] + h @ R[3])  # eq. 14
        c = f * c + i * z  # eq. 8
        n = f * n + i  # eq. 9
        h = o * c / n  # eq. 10
        hs.append(h)
    x = x + head_norm(blk.cell_norm, torch.stack(hs, 1), nh)
    y = layer_norm(blk.mlp_norm, x)
    return x + linear(blk.mlp_down, F.gelu(linear(blk.mlp_gate, y)) * linear(blk.mlp_up, y))


def reference(model: XLSTM, x: Tensor, exp_forget: bool = False) -> Tensor:
    h = linear(model.in_proj, x)
    for layer, blk in enumerate(model.blocks):
        if layer in model.slstm_at:
            h = reference_slstm_block(blk, h, exp_forget)
        else:
            h = reference_mlstm_block(blk, h)
    return layer_norm(model.ln_f, h)


def make(**options: object) -> XLSTM:
    return XLSTM(F_IN, H, **options).double().eval()


@pytest.mark.parametrize(
    "options",
    [
        {},  # the paper's xLSTM[1:1]: mLSTM, sLSTM
        {"chunk_size": 4},  # the chunkwise form: 13 positions in chunks of 4, 4, 4, 1
        {"num_layers": 3, "slstm_at": [0, 2], "num_heads": 2},
        {"num_layers": 1, "slstm_at": [0], "slstm_forget": "exp"},
        {"num_layers": 1, "slstm_at": [], "num_heads": 1},
    ],
)
def test_matches_the_papers_recurrences_in_float64(options: dict) -> None:
    """The parallel (chunkwise too) and the sequential forward == the paper's unstabilised
    loop, float64, atol 1e-12 / rtol 1e-10."""
    model = make(**options)
    x = torch.randn(B, T, F_IN, dtype=torch.float64)
    with torch.no_grad():
        want = reference(model, x, options.get("slstm_forget") == "exp")
        torch.testing.assert_close(model(x)[0], want, **TOL)
        model.sequential = True
        torch.testing.assert_close(model(x)[0], want, **TOL)


def test_step_sequential_and_chunks_match_the_parallel_pass() -> None:
    """step() over the sequence, the sequential forward and forward over uneven chunks
    (carrying the state, detached) all equal one parallel pass."""
    model = make(num_layers=3, slstm_at=[1], chunk_size=3)
    x = torch.randn(B, T, F_IN, dtype=torch.float64)
    with torch.no_grad():
        full, final = model(x)
        state, outs = None, []
        for t in range(T):
            y_t, state = model.step(x[:, t], state)
            outs.append(y_t)
        torch.testing.assert_close(torch.stack(outs, 1), full, **TOL)
        torch.testing.assert_close(state, final, **TOL)  # every layer's (C, n, m) / (c, n, m, h)
        state, chunks = None, []
        for chunk in x.split([5, 1, 7], dim=1):
            y, state = model(chunk, detach_state(state))
            chunks.append(y)
        torch.testing.assert_close(torch.cat(chunks, 1), full, **TOL)
        model.sequential = True
        torch.testing.assert_close(model(x)[0], full, **TOL)


@pytest.mark.parametrize("sequential", [False, True])
def test_gradcheck(sequential: bool) -> None:
    """Gradients of both forms, through a carried state too, match finite differences."""
    model = XLSTM(2, 4, num_heads=2, sequential=sequential).double()
    x = torch.randn(1, 4, 2, dtype=torch.float64, requires_grad=True)
    _, state = model(torch.randn(1, 3, 2, dtype=torch.float64))
    state = detach_state(state)

    def run(x: Tensor) -> Tensor:
        return model(x, state)[0]

    assert torch.autograd.gradcheck(run, (x,), eps=1e-6, atol=1e-5)


def test_stabiliser_keeps_float32_finite_where_exp_overflows() -> None:
    """Input-gate pre-activations of ~100 overflow exp() in float32 (and skew float64 only
    by rounding): the stabilised model stays finite and matches its float64 self."""
    model = XLSTM(F_IN, H, num_layers=2).eval()
    with torch.no_grad():
        model.blocks[0].igate.bias.fill_(100.0)
        model.blocks[1].W.bias[H : 2 * H].fill_(100.0)  # the sLSTM's i~
    x = torch.randn(B, 64, F_IN)
    with torch.no_grad():
        y32 = model(x)[0]
        y64 = model.double()(x.double())[0]
    assert torch.isfinite(y32).all()
    torch.testing.assert_close(y32.double(), y64, atol=1e-4, rtol=0)


def test_init_forget_gate_biases_remember() -> None:
    """Forget-gate biases spread over [3, 6] (sigmoid(f) in ~[0.95, 0.998]: the memory
    persists at init, as in the paper's code), input-gate biases small (std 0.1); an
    exponential sLSTM forget gate starts at f = exp(0) = 1."""
    model = XLSTM(F_IN, 64, num_layers=2, num_heads=4)
    mlstm, slstm = model.blocks
    torch.testing.assert_close(mlstm.fgate.bias, torch.linspace(3.0, 6.0, 4))
    assert mlstm.igate.bias.abs().max() < 0.5
    f_bias = slstm.W.bias[128:192]
    torch.testing.assert_close(f_bias, torch.linspace(3.0, 6.0, 64))
    assert torch.sigmoid(f_bias).min() > 0.95
    exp_forget = XLSTM(F_IN, 64, slstm_forget="exp").blocks[1]
    assert (exp_forget.W.bias[128:192] == 0).all()


def test_state_size_and_options() -> None:
    """State: heads*(d*d + d + 1) per mLSTM layer (d = 2H/heads), 4H per sLSTM layer."""
    model = XLSTM(F_IN, 16, num_layers=3, num_heads=4, slstm_at=[2])
    assert model.state_size() == 2 * 4 * (8 * 8 + 8 + 1) + 4 * 16
    assert XLSTM(F_IN, 16, num_layers=4).slstm_at == (1, 3)
    assert XLSTM(F_IN, 16, num_layers=1).slstm_at == ()
    for bad, match in [
        ({"num_heads": 3}, "divisible by num_heads"),
        ({"slstm_at": [2]}, r"slstm_at must list layer indices in \[0, num_layers=2\)"),
        ({"slstm_at": [-1]}, "slstm_at"),
        ({"slstm_at": [True]}, "slstm_at"),
        ({"slstm_forget": "tanh"}, "slstm_forget must be one of"),
        ({"num_heads": 0}, ">= 1"),
        ({"chunk_size": 0}, ">= 1"),
    ]:
        with pytest.raises(ValueError, match=match):
            XLSTM(F_IN, 16, **bad)


def test_sizes_in_and_parameters_grow_with_hidden_size() -> None:
    shapes = {k: tuple(v.shape) for k, v in XLSTM(F_IN, 16, 3, num_heads=2).state_dict().items()}
    sizes = {"input_size": F_IN, "hidden_size": 16, "num_layers": 3, "num_heads": 2}
    assert XLSTM.sizes_in(shapes) == sizes
    assert XLSTM.sizes_in({"in_proj.weight": (16, F_IN)}) is None
    counts = [count_parameters(XLSTM(F_IN, h, num_heads=2)) for h in range(2, 40, 2)]
    assert counts == sorted(counts)
