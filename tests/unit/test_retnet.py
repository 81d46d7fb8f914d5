"""RetNet (Sun et al. 2023, arXiv 2307.08621) against the paper's parallel form.

Equation numbers are the paper's: Eq. (1) the recurrence s_n = A s_{n-1} + K_n^T v_n,
o_n = Q_n s_n; Eq. (5) the parallel form Q = (X W_Q) ⊙ Theta, K = (X W_K) ⊙ conj(Theta),
Theta_n = e^{i n theta}, D_nm = gamma^(n-m) (n >= m), Retention(X) = (Q K^T ⊙ D) V; Eq. (6) the
recurrent form; Eq. (7) the chunkwise form; Eq. (8) multi-scale retention with
gamma = 1 - 2^(-5 - arange(h)), GroupNorm per head and the swish gate; Eq. (9) the block.
"""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch.func import functional_call

from seqbench.models.recurrent import detach_state
from seqbench.models.retnet import RetNet, RetNetState

F_IN, H, HEADS, B = 3, 8, 2, 2


@pytest.fixture(autouse=True)
def _seed() -> None:
    torch.manual_seed(0)


def model64(**options) -> RetNet:
    options = {"num_layers": 2, "num_heads": HEADS, "chunk_size": 5} | options
    return RetNet(F_IN, H, **options).double().eval()


def paper_reference(model: RetNet, u: torch.Tensor):
    """The network over the whole sequence in the paper's parallel form, from the module's
    parameters only; also the final states by Eq. (1) summed in closed form."""
    p = dict(model.named_parameters())
    T, d_k = u.shape[1], H // HEADS
    d_v = p["blocks.0.retention.v.weight"].shape[0] // HEADS
    theta = 10000.0 ** (-2.0 * torch.arange(d_k // 2, dtype=torch.float64) / d_k)
    gammas = 1 - 2.0 ** (-5.0 - torch.arange(HEADS, dtype=torch.float64))  # Eq. (8)
    n = torch.arange(T, dtype=torch.float64)
    h = u @ p["in_proj.weight"].T + p["in_proj.bias"]
    states = []
    for layer in range(model.num_layers):
        q = f"blocks.{layer}."
        x = F.layer_norm(h, (H,), p[q + "ln_1.weight"], p[q + "ln_1.bias"])
        heads, layer_states = [], []
        for i in range(HEADS):
            cols = slice(i * d_k, (i + 1) * d_k)
            Q = x @ p[q + "retention.q.weight"][cols].T
            K = x @ p[q + "retention.k.weight"][cols].T * d_k**-0.5  # the d^-0.5 scaling
            V = x @ p[q + "retention.v.weight"][i * d_v : (i + 1) * d_v].T
            # Eq. (5) with channel pairs as complex numbers: Q_n = q e^{i n theta},
            # K_m = k e^{-i m theta} (conjugated in the product), read as the real part
            Qc = torch.complex(Q[..., 0::2], Q[..., 1::2]) * torch.exp(1j * n[:, None] * theta)
            Kc = torch.complex(K[..., 0::2], K[..., 1::2]) * torch.exp(1j * n[:, None] * theta)
            scores = (Qc @ Kc.conj().transpose(-1, -2)).real
            D = torch.where(n[:, None] >= n[None, :], gammas[i] ** (n[:, None] - n[None, :]), 0)
            out = (scores * D) @ V  # Retention(X) = (Q K^T ⊙ D) V
            # GroupNorm over this head's channels at each position (Eq. 8)
            gn_w = p[q + "retention.group_norm.weight"][i * d_v : (i + 1) * d_v]
            gn_b = p[q + "retention.group_norm.bias"][i * d_v : (i + 1) * d_v]
            mean, var = out.mean(-1, keepdim=True), out.var(-1, unbiased=False, keepdim=True)
            eps = model.blocks[layer].retention.group_norm.eps
            heads.append((out - mean) / torch.sqrt(var + eps) * gn_w + gn_b)
            # Eq. (1) unrolled: S_T = sum_m gamma^(T-1-m) K_m^T V_m with K_m rotated (real)
            rotated = torch.stack([(Kc.real), (Kc.imag)], dim=-1).flatten(-2)
            layer_states.append((rotated * gammas[i] ** (T - 1 - n)[:, None]).transpose(-1, -2) @ V)
        Y = torch.cat(heads, dim=-1)
        gate = F.silu(x @ p[q + "retention.g.weight"].T)  # swish(X W_G)
        h = h + (gate * Y) @ p[q + "retention.o.weight"].T  # Eq. (9), first half
        z = F.layer_norm(h, (H,), p[q + "ln_2.weight"], p[q + "ln_2.bias"])
        ffn = F.gelu(z @ p[q + "ffn.fc.weight"].T + p[q + "ffn.fc.bias"])
        h = h + ffn @ p[q + "ffn.proj.weight"].T + p[q + "ffn.proj.bias"]  # Eq. (9)
        states.append(torch.stack(layer_states, dim=1))
    h = F.layer_norm(h, (H,), p["ln_f.weight"], p["ln_f.bias"])
    return h, torch.stack(states)


@pytest.mark.parametrize("sequential", [False, True])
def test_forward_matches_the_paper(sequential: bool) -> None:
    """float64, atol 1e-10: the chunkwise form (chunks of 5 over 13 positions) and the loop
    equal the parallel form over the whole sequence."""
    model = model64(sequential=sequential)
    u = torch.randn(B, 13, F_IN, dtype=torch.float64)
    want, want_states = paper_reference(model, u)
    with torch.no_grad():
        got, state = model(u)
    torch.testing.assert_close(got, want, atol=1e-10, rtol=0)
    torch.testing.assert_close(state.S, want_states, atol=1e-10, rtol=0)
    assert state.pos == 13


@pytest.mark.parametrize("hidden, heads", [(8, 2), (12, 4)])  # head size 4, and odd 3
def test_step_sequential_and_chunks_match_one_pass(hidden: int, heads: int) -> None:
    model = RetNet(F_IN, hidden, num_heads=heads, chunk_size=4).double().eval()
    u = torch.randn(B, 29, F_IN, dtype=torch.float64)
    with torch.no_grad():
        full, final = model(u)
        state, outs = None, []
        for k in range(u.shape[1]):
            y, state = model.step(u[:, k], state)
            outs.append(y)
        torch.testing.assert_close(torch.stack(outs, 1), full, atol=1e-10, rtol=0)
        torch.testing.assert_close(state.S, final.S, atol=1e-10, rtol=0)
        assert state.pos == final.pos == 29
        model.sequential = True
        looped, _ = model(u)
        torch.testing.assert_close(looped, full, atol=1e-10, rtol=0)
        model.sequential = False
        pieces, state = [], None
        for chunk in u.split(7, dim=1):  # chunks of the caller across chunks of the model
            y, state = model(chunk, detach_state(state))
            pieces.append(y)
        torch.testing.assert_close(torch.cat(pieces, 1), full, atol=1e-10, rtol=0)
        torch.testing.assert_close(state.S, final.S, atol=1e-10, rtol=0)
        for block in model.blocks:
            block.retention.chunk_size = 100  # one chunk: the plain parallel form
        torch.testing.assert_close(model(u)[0], full, atol=1e-10, rtol=0)


def test_retention_sees_relative_positions_only() -> None:
    """The rotation makes Q_n K_m^T depend on n - m: from an empty state, a sequence
    starting at position 1000 gives the same outputs as one starting at 0."""
    model = model64()
    u = torch.randn(B, 9, F_IN, dtype=torch.float64)
    with torch.no_grad():
        at_zero, _ = model(u)
        empty = RetNetState(torch.zeros_like(model(u)[1].S), 1000)
        later, state = model(u, empty)
    torch.testing.assert_close(later, at_zero, atol=1e-10, rtol=0)
    assert state.pos == 1009


@pytest.mark.parametrize("sequential", [False, True])
def test_gradcheck(sequential: bool) -> None:
    """Gradients of the input, the carried state and the projections."""
    model = RetNet(2, 4, num_layers=1, num_heads=2, chunk_size=2, sequential=sequential)
    model = model.double()
    names = ("blocks.0.retention.q.weight", "blocks.0.retention.k.weight",
             "blocks.0.retention.v.weight")  # fmt: skip
    params = {k: v.detach().clone().requires_grad_() for k, v in model.named_parameters()}
    u = torch.randn(1, 5, 2, dtype=torch.float64, requires_grad=True)
    S = torch.randn(1, 1, 2, 2, 4, dtype=torch.float64, requires_grad=True)

    def run(u, S, *chosen):
        weights = params | dict(zip(names, chosen, strict=True))
        y, state = functional_call(model, weights, (u, RetNetState(S, 3)))
        return y, state.S

    assert torch.autograd.gradcheck(run, (u, S, *(params[k] for k in names)))


def test_decays_sizes_and_options() -> None:
    model = RetNet(F_IN, 16, num_layers=3, num_heads=4, ffn_mult=3, value_factor=2)
    gammas = torch.exp(model.blocks[0].retention.log_gamma)
    torch.testing.assert_close(
        gammas, 1 - 2.0 ** torch.tensor([-5.0, -6, -7, -8], dtype=gammas.dtype)
    )
    assert model.state_size() == model.state_size(50) == 3 * 4 * 4 * 8
    shapes = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    assert RetNet.sizes_in(shapes) == {"input_size": F_IN, "hidden_size": 16, "num_layers": 3,
                                       "ffn_mult": 3, "value_factor": 2}  # fmt: skip
    assert RetNet.sizes_in({"rnn.weight_ih_l0": (8, 3)}) is None
    for hidden in range(2, 40, 2):  # every even size the budget solver may try (2 heads)
        RetNet(F_IN, hidden, num_heads=2)(torch.randn(1, 3, F_IN))
    with pytest.raises(ValueError, match="divisible"):
        RetNet(F_IN, 18, num_heads=4)
    for bad in ({"chunk_size": 0}, {"value_factor": 0}, {"ffn_mult": 0}):
        with pytest.raises(ValueError, match=next(iter(bad))):
            RetNet(F_IN, 16, **bad)
