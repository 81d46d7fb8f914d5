"""Transformer++ against attention written out from its papers' equations, position by
position: RoPE (Su et al. 2021, eq. 34: each pair of channels a complex number turned by
m * theta_i), RMSNorm (Zhang & Sennrich 2019, eq. 4), SwiGLU (Shazeer 2020, eq. 6)."""

import math

import pytest
import torch

from seqbench.models.transformer_pp import TransformerPP, rotate

F_IN, H, HEADS = 5, 24, 4  # head size 6: three rotated pairs


def rms_norm(x, weight, eps):
    return x / torch.sqrt((x * x).mean(-1, keepdim=True) + eps) * weight


def rope_as_complex(v, m):
    """Su et al. eq. 34: channel pair (i, i + d/2) as the complex number v_i + j v_{i+d/2},
    multiplied by exp(j m theta_i), theta_i = 10000^(-2i/d)."""
    half = v.shape[-1] // 2
    theta = 10000.0 ** (-2 * torch.arange(half, dtype=torch.float64) / (2 * half))
    z = torch.complex(v[..., :half], v[..., half : 2 * half]) * torch.exp(1j * m * theta)
    return torch.cat([z.real, z.imag, v[..., 2 * half :]], dim=-1)


def reference(model, x):
    """Every position t attends to positions s <= t with softmax(q_t . k_s / sqrt(d))."""
    T = x.shape[1]
    d = H // HEADS
    h = x @ model.in_proj.weight.T
    for block in model.blocks:
        a = rms_norm(h, block.norm_1.weight, block.norm_1.eps)
        q, k, v = (a @ block.attn.qkv.weight.T).split(H, dim=-1)
        out = torch.zeros_like(h)
        for t in range(T):
            for head in range(HEADS):
                cols = slice(head * d, (head + 1) * d)
                q_t = rope_as_complex(q[:, t, cols], t)
                keys = torch.stack([rope_as_complex(k[:, s, cols], s) for s in range(t + 1)], 1)
                w = torch.softmax((keys @ q_t.unsqueeze(-1)).squeeze(-1) / math.sqrt(d), dim=-1)
                out[:, t, cols] = (w.unsqueeze(-1) * v[:, : t + 1, cols]).sum(1)
        h = h + out @ block.attn.proj.weight.T
        m = rms_norm(h, block.norm_2.weight, block.norm_2.eps)
        gate, up = m @ block.mlp.gate.weight.T, m @ block.mlp.up.weight.T
        h = h + (gate * torch.sigmoid(gate) * up) @ block.mlp.out.weight.T
    final = model.norm_f
    return rms_norm(h, final.weight, final.eps)


@pytest.fixture
def model():
    torch.manual_seed(0)
    net = TransformerPP(F_IN, H, num_layers=2, num_heads=HEADS).double().eval()
    with torch.no_grad():  # norms away from 1, so a missing weight shows
        for p in net.parameters():
            if p.dim() == 1:
                p.uniform_(0.5, 1.5)
    return net


def test_forward_equals_attention_written_from_the_equations(model):
    x = torch.randn(2, 11, F_IN, dtype=torch.float64)
    with torch.no_grad():
        y, state = model(x)
    assert state is None
    torch.testing.assert_close(y, reference(model, x), atol=1e-10, rtol=1e-10)


def test_scores_depend_on_distance_only():
    """RoPE's point: q_m . k_n depends on m - n, so shifting both keeps every score."""
    torch.manual_seed(1)
    q, k = torch.randn(2, 1, 1, 1, 6, dtype=torch.float64)

    scores = [(rotate(q, m + 7) * rotate(k, m)).sum() for m in (0, 5, 300)]
    torch.testing.assert_close(torch.stack(scores), scores[0].expand(3))


def test_an_odd_head_size_keeps_its_last_channel():
    """The budget may make a head size odd: the last channel goes unrotated."""
    model = TransformerPP(F_IN, 20, num_heads=4).double().eval()  # head size 5
    x = torch.randn(1, 6, F_IN, dtype=torch.float64)
    torch.manual_seed(2)
    with torch.no_grad():
        y, _ = model(x)
        states, outs = None, []
        for t in range(6):
            out, states = model.step(x[:, t], states)
            outs.append(out)
    torch.testing.assert_close(torch.stack(outs, 1), y, atol=1e-10, rtol=1e-10)


def test_gradients_match_finite_differences():
    torch.manual_seed(0)
    model = TransformerPP(3, 8, num_layers=1, num_heads=2, ffn_mult=2).double()
    x = torch.randn(1, 4, 3, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda x: model(x)[0], (x,))


def test_checkpoint_sizes_are_read_from_the_weights():
    model = TransformerPP(7, 24, num_layers=3, num_heads=4, ffn_mult=3)
    shapes = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    assert TransformerPP.sizes_in(shapes) == {
        "input_size": 7, "hidden_size": 24, "num_layers": 3, "ffn_mult": 3
    }  # fmt: skip
    assert TransformerPP.sizes_in({"rnn.weight_ih_l0": (4, 3)}) is None
    with pytest.raises(ValueError, match="divisible by num_heads"):
        TransformerPP(7, 18, num_heads=4)
