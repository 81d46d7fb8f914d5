"""LRU (Orvieto et al. 2023, arXiv 2303.06349) against a loop written from the paper.

Section and equation numbers are the paper's: Eq. (1) the linear RNN x_k = A x_{k-1} + B u_k,
y_k = C x_k + D u_k with A diagonal complex (Sec. 3.2), y_k real as Re(C x_k); Sec. 3.3 the
exponential parametrisation Lambda = exp(-exp(nu_log) + i exp(theta_log)) and Lemma 3.2's ring
initialisation; Sec. 3.4 the normalisation x_k = Lambda x_{k-1} + exp(gamma_log) (B u_k)
with gamma = sqrt(1 - |Lambda|^2) at init; Fig. 1 the block (norm, LRU, GELU + GLU, skip).
"""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from torch.func import functional_call

from seqbench.models.lru import LRU
from seqbench.models.recurrent import detach_state

F_IN, H, N, B = 3, 4, 6, 2


@pytest.fixture(autouse=True)
def _seed() -> None:
    torch.manual_seed(0)


def model64(**options) -> LRU:
    options = {"num_layers": 2, "state_dim": N} | options
    return LRU(F_IN, H, **options).double().eval()


def paper_reference(model: LRU, u: torch.Tensor, state: torch.Tensor | None = None):
    """The LRU network, one step at a time, from the paper's equations and the module's
    parameters only (no forward, step or helper of the module)."""
    p = dict(model.named_parameters())
    h = u @ p["in_proj.weight"].T + p["in_proj.bias"]  # linear encoder (Fig. 1)
    last = []
    for i in range(model.num_layers):
        q = f"blocks.{i}."
        z = F.layer_norm(h, (H,), p[q + "norm.weight"], p[q + "norm.bias"])  # pre-norm (Fig. 1)
        # Sec. 3.3: Lambda_j = exp(-exp(nu_j)) (cos exp(theta_j) + i sin exp(theta_j))
        modulus = torch.exp(-torch.exp(p[q + "lru.nu_log"]))
        phase = torch.exp(p[q + "lru.theta_log"])
        lam = modulus * torch.cos(phase) + 1j * modulus * torch.sin(phase)
        gamma = torch.exp(p[q + "lru.gamma_log"])  # Sec. 3.4
        Bc = p[q + "lru.B_re"] + 1j * p[q + "lru.B_im"]
        Cc = p[q + "lru.C_re"] + 1j * p[q + "lru.C_im"]
        x = torch.zeros(u.shape[0], Bc.shape[0], dtype=Bc.dtype) if state is None else state[i]
        ys = []
        for k in range(u.shape[1]):
            uk = z[:, k].to(Bc.dtype)
            x = lam * x + gamma * (uk @ Bc.T)  # Eq. (1) with Sec. 3.4's normalisation
            # Eq. (1), read out as y_k = Re(C x_k) + D u_k
            ys.append((x @ Cc.T).real + p[q + "lru.D"] * z[:, k])
        last.append(x)
        y = F.gelu(torch.stack(ys, dim=1))  # Fig. 1: nonlinearity after the LRU: GELU, GLU
        w, b = p[q + "glu.weight"], p[q + "glu.bias"]
        out = (y @ w[:H].T + b[:H]) * torch.sigmoid(y @ w[H:].T + b[H:])
        h = h + out  # skip connection
    h = F.layer_norm(h, (H,), p["norm_f.weight"], p["norm_f.bias"])
    return h, torch.stack(last)


@pytest.mark.parametrize("sequential", [False, True])
def test_forward_matches_the_paper(sequential: bool) -> None:
    """float64, atol 1e-10: the scan and the loop are the paper's recurrence to rounding."""
    model = model64(sequential=sequential)
    u = torch.randn(B, 13, F_IN, dtype=torch.float64)
    start = torch.randn(2, B, N, dtype=torch.complex128)
    for state in (None, start):
        want, want_state = paper_reference(model, u, state)
        with torch.no_grad():
            got, got_state = model(u, state)
        torch.testing.assert_close(got, want, atol=1e-10, rtol=0)
        torch.testing.assert_close(got_state, want_state, atol=1e-10, rtol=0)


def test_step_sequential_and_chunks_match_one_pass() -> None:
    model = model64()
    u = torch.randn(B, 29, F_IN, dtype=torch.float64)
    with torch.no_grad():
        full, final = model(u)
        state, outs = None, []
        for k in range(u.shape[1]):
            y, state = model.step(u[:, k], state)
            outs.append(y)
        torch.testing.assert_close(torch.stack(outs, 1), full, atol=1e-10, rtol=0)
        torch.testing.assert_close(state, final, atol=1e-10, rtol=0)
        model.sequential = True
        looped, looped_final = model(u)
        torch.testing.assert_close(looped, full, atol=1e-10, rtol=0)
        torch.testing.assert_close(looped_final, final, atol=1e-10, rtol=0)
        model.sequential = False
        pieces, state = [], None
        for chunk in u.split(8, dim=1):  # 8, 8, 8, 5
            y, state = model(chunk, detach_state(state))
            pieces.append(y)
        torch.testing.assert_close(torch.cat(pieces, 1), full, atol=1e-10, rtol=0)
        torch.testing.assert_close(state, final, atol=1e-10, rtol=0)


@pytest.mark.parametrize("sequential", [False, True])
def test_gradcheck(sequential: bool) -> None:
    """Gradients of the input, the start state and the recurrence's own parameters."""
    model = LRU(2, 2, num_layers=1, state_dim=3, sequential=sequential).double()
    names = ("blocks.0.lru.nu_log", "blocks.0.lru.theta_log", "blocks.0.lru.gamma_log",
             "blocks.0.lru.B_im", "blocks.0.lru.C_im")  # fmt: skip
    params = {k: v.detach().clone().requires_grad_() for k, v in model.named_parameters()}
    u = torch.randn(1, 5, 2, dtype=torch.float64, requires_grad=True)
    s_re = torch.randn(1, 1, 3, dtype=torch.float64, requires_grad=True)
    s_im = torch.randn(1, 1, 3, dtype=torch.float64, requires_grad=True)

    def run(u, s_re, s_im, *chosen):
        weights = params | dict(zip(names, chosen, strict=True))
        y, state = functional_call(model, weights, (u, torch.complex(s_re, s_im)))
        return y, torch.view_as_real(state)

    assert torch.autograd.gradcheck(run, (u, s_re, s_im, *(params[k] for k in names)))


def test_ring_initialisation() -> None:
    """Lemma 3.2: Lambda uniform on the ring r_min <= |Lambda| <= r_max (so |Lambda|^2 is
    uniform), phase uniform on [0, max_phase]; Sec. 3.4: gamma = sqrt(1 - |Lambda|^2)."""
    r_min, r_max, max_phase = 0.4, 0.99, math.pi / 10
    lru = LRU(F_IN, 8, num_layers=1, state_dim=20000, r_min=r_min, r_max=r_max,
              max_phase=max_phase).blocks[0].lru  # fmt: skip
    with torch.no_grad():
        lam = torch.exp(torch.complex(-torch.exp(lru.nu_log.double()),
                                      torch.exp(lru.theta_log.double())))  # fmt: skip
        modulus, phase = lam.abs(), torch.exp(lru.theta_log.double())
        assert r_min <= modulus.min() and modulus.max() <= r_max
        assert phase.min() >= 0 and phase.max() <= max_phase
        squared = (modulus**2 - r_min**2) / (r_max**2 - r_min**2)  # uniform on [0, 1]
        for q in (0.1, 0.5, 0.9):
            assert abs(torch.quantile(squared, q).item() - q) < 0.02
            assert abs(torch.quantile(phase / max_phase, q).item() - q) < 0.02
        gamma = torch.exp(lru.gamma_log.double())
        torch.testing.assert_close(gamma, torch.sqrt(1 - modulus**2), atol=1e-6, rtol=1e-5)
        # Glorot-like B (variance 1/(2H) per part) and C (1/N per part)
        assert abs(lru.B_re.std().item() * math.sqrt(2 * 8) - 1) < 0.02
        assert abs(lru.C_im.std().item() * math.sqrt(20000) - 1) < 0.02


def test_defaults_near_the_unit_circle_stay_finite() -> None:
    """r_max = 1 (the paper's Appendix A default): gamma_log is finite for every state."""
    lru = LRU(F_IN, 8, num_layers=1, state_dim=4096, r_min=0.0, r_max=1.0).blocks[0].lru
    assert torch.isfinite(lru.gamma_log).all() and torch.isfinite(lru.nu_log).all()
    default = LRU(F_IN, 8).blocks[0].lru  # 0.9 <= |Lambda| <= 0.999
    modulus = torch.exp(-torch.exp(default.nu_log))
    assert modulus.min() >= 0.9 - 1e-6 and modulus.max() <= 0.999 + 1e-6


def test_options_sizes_and_state() -> None:
    model = LRU(F_IN, 8, num_layers=3, state_dim=5)
    assert model.state_size() == model.state_size(100) == 2 * 3 * 5
    shapes = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    assert LRU.sizes_in(shapes) == {"input_size": F_IN, "hidden_size": 8, "num_layers": 3,
                                    "state_dim": 5}  # fmt: skip
    same = {k: tuple(v.shape) for k, v in LRU(F_IN, 8).state_dict().items()}
    assert LRU.sizes_in(same) == {"input_size": F_IN, "hidden_size": 8, "num_layers": 2}
    assert LRU.sizes_in({"rnn.weight_ih_l0": (8, 3)}) is None
    assert LRU(F_IN, 6).state_dim == 6
    for bad, match in (
        ({"r_min": 0.5, "r_max": 0.4}, "r_min"),
        ({"r_max": 1.5}, "r_max"),
        ({"r_min": 1.0, "r_max": 1.0}, "r_min"),
        ({"max_phase": 0.0}, "max_phase"),
        ({"state_dim": 0}, "state_dim"),
    ):
        with pytest.raises(ValueError, match=match):
            LRU(F_IN, 8, **bad)
