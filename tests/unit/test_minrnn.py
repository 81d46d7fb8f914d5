"""minGRU and minLSTM (Feng et al. 2024, "Were RNNs All We Needed?", arXiv 2410.01201)
against a loop written here from the paper's equations, and their parallel, sequential,
streaming and chunked forms against each other.

Paper references are to its sections: 3.1 minGRU (update gate and candidate from x_t alone,
no tanh), 3.2 minLSTM (input-only gates, no output gate, normalised f' and i'), and the
appendix's log-space form with g(x) = x + 0.5 (x >= 0), sigmoid(x) (x < 0).
"""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from seqbench.models import BACKBONES, GRU, LSTM, count_parameters, detach_state
from seqbench.models.mingru import MinGRU, g, log_g
from seqbench.models.minlstm import MinLSTM

NAMES = ["mingru", "minlstm"]
F_IN, H, B = 3, 8, 2


@pytest.fixture(autouse=True)
def _seed() -> None:
    torch.manual_seed(0)


def paper_g(x: torch.Tensor) -> torch.Tensor:
    """Appendix (log-space version): g(x) = x + 0.5 if x >= 0 else sigmoid(x)."""
    return torch.where(x >= 0, x + 0.5, torch.sigmoid(x))


def paper_cell(block, u_t: torch.Tensor, h: torch.Tensor, kind: str) -> torch.Tensor:
    """One step of the paper's recurrence from the cell's weights (no module call)."""
    c = block.cell

    def lin(layer, x):
        return F.linear(x, layer.weight, layer.bias)

    h_tilde = paper_g(lin(c.to_h, u_t))  # candidate: Linear_h(x_t), made positive by g
    if kind == "mingru":  # Sec. 3.1: z_t = sigmoid(Linear_z(x_t)); h_t = (1-z)h_{t-1} + z h~
        z = torch.sigmoid(lin(c.to_z, u_t))
        return (1 - z) * h + z * h_tilde
    f = torch.sigmoid(lin(c.to_f, u_t))  # Sec. 3.2: f_t = sigmoid(Linear_f(x_t))
    i = torch.sigmoid(lin(c.to_i, u_t))  # i_t = sigmoid(Linear_i(x_t))
    f_n, i_n = f / (f + i), i / (f + i)  # f'_t, i'_t: normalised, f' + i' = 1
    return f_n * h + i_n * h_tilde  # h_t = f'_t h_{t-1} + i'_t h~_t


def paper_forward(model, x: torch.Tensor, h0: torch.Tensor | None, kind: str) -> torch.Tensor:
    """The whole stack as a loop over time: in_proj, then per layer a pre-norm residual
    around the cell (down-projected when expanded) and a pre-norm residual GELU MLP, then
    the final LayerNorm."""

    def ln(layer, v):
        return F.layer_norm(v, (v.shape[-1],), layer.weight, layer.bias, layer.eps)

    seq = F.linear(x, model.in_proj.weight, model.in_proj.bias)
    for layer, block in enumerate(model.blocks):
        width = block.cell.to_h.weight.shape[0]
        h = torch.zeros(x.shape[0], width, dtype=x.dtype) if h0 is None else h0[layer]
        outs = []
        for t in range(seq.shape[1]):
            h = paper_cell(block, ln(block.ln_1, seq[:, t]), h, kind)
            y = h if block.down is None else F.linear(h, block.down.weight, block.down.bias)
            r = seq[:, t] + y
            m = ln(block.ln_2, r)
            m = F.linear(F.gelu(F.linear(m, block.mlp.fc.weight, block.mlp.fc.bias)),
                         block.mlp.proj.weight, block.mlp.proj.bias)  # fmt: skip
            outs.append(r + m)
        seq = torch.stack(outs, dim=1)
    return ln(model.ln_f, seq)


def build(name: str, **kwargs) -> MinGRU | MinLSTM:
    return BACKBONES[name](F_IN, H, **kwargs).double().eval()


@pytest.mark.parametrize("expansion", [1, 2])
@pytest.mark.parametrize("name", NAMES)
def test_the_parallel_form_is_the_paper_s_recurrence(name, expansion):
    """float64, rtol 1e-9 / atol 1e-12: the log-space scan (exp of a cumsum and a
    logcumsumexp) rounds differently from the loop, but only at ~1e-14 here."""
    model = build(name, num_layers=2, expansion=expansion)
    x = torch.randn(B, 23, F_IN, dtype=torch.float64)
    h0 = torch.rand(2, B, expansion * H, dtype=torch.float64) + 0.1  # a positive carried h
    with torch.no_grad():
        for start in (None, h0):
            got, _ = model(x, start)
            want = paper_forward(model, x, start, name)
            torch.testing.assert_close(got, want, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("expansion", [1, 2])
@pytest.mark.parametrize("name", NAMES)
def test_step_sequential_and_chunks_equal_the_parallel_pass(name, expansion):
    model = build(name, expansion=expansion)
    x = torch.randn(B, 41, F_IN, dtype=torch.float64)
    with torch.no_grad():
        full, last = model(x)
        state, outs = None, []
        for t in range(x.shape[1]):
            y_t, state = model.step(x[:, t], state)
            outs.append(y_t)
        torch.testing.assert_close(torch.stack(outs, dim=1), full, rtol=1e-10, atol=1e-12)
        torch.testing.assert_close(state, last, rtol=1e-10, atol=1e-12)
        first, carried = model(x[:, :17])
        second, end = model(x[:, 17:], detach_state(carried))
        torch.testing.assert_close(torch.cat([first, second], 1), full, rtol=1e-10, atol=1e-12)
        torch.testing.assert_close(end, last, rtol=1e-10, atol=1e-12)
        model.sequential = True
        seq, seq_last = model(x)
        torch.testing.assert_close(seq, full, rtol=1e-10, atol=1e-12)
        torch.testing.assert_close(seq_last, last, rtol=1e-10, atol=1e-12)
        first, carried = model(x[:, :17])
        second, _ = model(x[:, 17:], carried)
        torch.testing.assert_close(torch.cat([first, second], 1), full, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("sequential", [False, True])
@pytest.mark.parametrize("name", NAMES)
def test_gradcheck(name, sequential):
    model = BACKBONES[name](2, 4, num_layers=2, sequential=sequential, expansion=2).double()
    x = torch.randn(1, 5, 2, dtype=torch.float64, requires_grad=True)
    h0 = (torch.rand(2, 1, 8, dtype=torch.float64) + 0.1).requires_grad_()
    assert torch.autograd.gradcheck(lambda x, h0: model(x, h0)[0], (x, h0))


def test_g_is_positive_continuous_and_its_log_is_stable():
    """Appendix: g keeps h~ > 0 so the scan can take its log; log g stays finite and
    differentiable where g itself would round to 0 (large negative inputs)."""
    x = torch.linspace(-30, 30, 2001, dtype=torch.float64)
    torch.testing.assert_close(g(x), paper_g(x))
    assert (g(x) > 0).all()
    torch.testing.assert_close(log_g(x), paper_g(x).log())
    edge = torch.tensor([-1e-12, 0.0, 1e-12], dtype=torch.float64)
    assert (g(edge) - 0.5).abs().max() < 1e-11  # continuous at 0: sigmoid(0) = 0 + 0.5
    far = torch.tensor([-200.0, -1000.0], requires_grad=True)
    torch.testing.assert_close(log_g(far), far.detach())  # log sigmoid(x) ~ x, not -inf
    log_g(far).sum().backward()
    assert torch.isfinite(far.grad).all()


def test_minlstm_gates_sum_to_one_and_h_stays_in_the_candidates_range():
    """Sec. 3.2: f' + i' = 1, so h_t is a convex combination of h_{t-1} and h~_t: its scale
    is independent of the sequence length (and positive, so it can be carried in log space)."""
    model = build("minlstm", num_layers=1)
    cell = model.blocks[0].cell
    u = torch.randn(B, 500, H, dtype=torch.float64) * 3
    a, b = cell.coefficients(u)
    h_tilde = paper_g(F.linear(u, cell.to_h.weight, cell.to_h.bias))
    torch.testing.assert_close(a + b / h_tilde, torch.ones_like(a))
    la, lb = cell.log_coefficients(u)
    torch.testing.assert_close((la.exp(), lb.exp()), (a, b))
    h = torch.zeros(B, H, dtype=torch.float64)
    for t in range(u.shape[1]):
        h = a[:, t] * h + b[:, t]
        assert (h > 0).all() and (h <= h_tilde[:, : t + 1].amax(1)).all()


@pytest.mark.parametrize("name", NAMES)
def test_a_long_float32_sequence_scans_stably(name):
    """The log-space scan over T=2048 in float32 stays finite and agrees with the loop
    (to float32 rounding: the cumulative log-gate reaches hundreds, so exp(A + lcse)
    carries ~1e-4 relative error; the outputs after LayerNorm differ by ~1e-3)."""
    model = BACKBONES[name](F_IN, H).eval()
    x = torch.randn(2, 2048, F_IN)
    with torch.no_grad():
        parallel, last = model(x)
        model.sequential = True
        loop, loop_last = model(x)
    assert torch.isfinite(parallel).all() and (last > 0).all()
    torch.testing.assert_close(parallel, loop, rtol=0, atol=5e-3)  # ~1e-3 seen
    torch.testing.assert_close(last, loop_last, rtol=1e-3, atol=1e-5)


@pytest.mark.parametrize("name", NAMES)
def test_a_zero_state_handed_in_is_the_zero_start(name):
    model = build(name)
    x = torch.randn(B, 9, F_IN, dtype=torch.float64)
    with torch.no_grad():
        none, _ = model(x)
        zeros, _ = model(x, torch.zeros(2, B, H, dtype=torch.float64))
    torch.testing.assert_close(zeros, none, rtol=1e-10, atol=1e-12)


def test_fewer_parameters_than_gru_and_lstm_cells():
    """Sec. 3: minGRU's cell has 2 input-only maps (O(2 d_h d_x)) against the GRU's 3 maps
    of input and state, minLSTM 3 against the LSTM's 4."""
    for cls, fused, maps in ((MinGRU, GRU, 2), (MinLSTM, LSTM, 3)):
        cell = cls(H, H, num_layers=1).blocks[0].cell
        assert count_parameters(cell) == maps * (H * H + H)
        assert count_parameters(cell) < count_parameters(fused(H, H, num_layers=1))


@pytest.mark.parametrize("name", NAMES)
def test_bad_options_are_refused(name):
    cls = BACKBONES[name]
    with pytest.raises(ValueError, match="expansion"):
        cls(F_IN, H, expansion=0)
    with pytest.raises(ValueError, match="ffn_mult"):
        cls(F_IN, H, ffn_mult=0)
    with pytest.raises(ValueError, match="sequential must be true or false"):
        cls(F_IN, H, sequential="yes")
    with pytest.raises(ValueError, match="dropout"):
        cls(F_IN, H, dropout=1.0)


@pytest.mark.parametrize("name", NAMES)
def test_sizes_in_reads_the_weights(name):
    cls = BACKBONES[name]
    model = cls(F_IN, H, num_layers=3, expansion=2, ffn_mult=3)
    shapes = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    sizes = {"input_size": F_IN, "hidden_size": H, "num_layers": 3, "expansion": 2}
    assert cls.sizes_in(shapes) == sizes | {"ffn_mult": 3}
    other = BACKBONES["minlstm" if name == "mingru" else "mingru"](F_IN, H)
    assert cls.sizes_in({k: tuple(v.shape) for k, v in other.state_dict().items()}) is None
    assert cls.sizes_in({k: tuple(v.shape) for k, v in GRU(F_IN, H).state_dict().items()}) is None


@pytest.mark.parametrize("name", NAMES)
def test_half_precision_runs_the_recurrence_in_float32(name):
    """A bf16 model (or bf16 autocast) still sums the log-gates in float32: parallel, loop
    and step agree to bf16's output rounding and the carried state is float32."""
    model = BACKBONES[name](F_IN, H, expansion=2).eval()
    x = torch.randn(B, 300, F_IN)
    with torch.no_grad():
        reference, _ = model(x)
        model.to(torch.bfloat16)
        parallel, last = model(x.bfloat16())
        state = None
        for t in range(x.shape[1]):
            _, state = model.step(x[:, t].bfloat16(), state)
        with torch.autocast("cpu", dtype=torch.bfloat16):
            model.float()
            autocast, _ = model(x)
    assert last.dtype == state.dtype == torch.float32
    torch.testing.assert_close(state, last, rtol=0.05, atol=0.01)
    for got in (parallel, autocast):
        torch.testing.assert_close(got.float(), reference, rtol=0, atol=0.15)
