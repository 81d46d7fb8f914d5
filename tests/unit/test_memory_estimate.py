"""The activation estimate (config/memory.py) against what a training pass really keeps.

Measured independently: saved-tensor hooks see every tensor autograd keeps for backward,
counted once per storage, parameters left out. The estimate is meant to err low (a refusal
is then certain) but not by more than FACTOR, so a run that cannot fit is refused."""

import pytest
import torch
from hydra.utils import instantiate

from seqbench import config
from seqbench.config.memory import activation_bytes

FACTOR = 1.5  # the measured bytes are at most this many times the estimate
BATCH, HIDDEN, EMBED = 4, 32, 16


def kept_bytes(net: torch.nn.Module, x: torch.Tensor) -> int:
    """The bytes of every distinct storage autograd saves in ``net(x)``, weights excluded."""
    weights = {p.untyped_storage().data_ptr() for p in net.parameters()}
    kept: dict[int, int] = {}

    def pack(tensor: torch.Tensor) -> torch.Tensor:
        storage = tensor.untyped_storage()
        if storage.data_ptr() not in weights:
            kept[storage.data_ptr()] = storage.nbytes()
        return tensor

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda tensor: tensor):
        net(x)[0].sum().backward()
    return sum(kept.values())


@pytest.mark.parametrize("sequential", [False, True])
@pytest.mark.parametrize("length, tbptt", [(8, None), (100, None), (64, 16)])
def test_mamba_estimate_is_within_a_factor_of_what_backward_keeps(sequential, length, tbptt):
    cfg = config.compose(
        [
            "model=mamba",
            f"model.hidden_size={HIDDEN}",
            f"model.sequential={str(sequential).lower()}",
            f"task.embed_dim={EMBED}",
            f"task.tbptt_steps={tbptt or 'null'}",
            f"data.batch_size={BATCH}",
        ]
    )
    options = {k: v for k, v in cfg.model.items() if k != "name"}
    torch.manual_seed(0)
    net = instantiate(options)(input_size=EMBED)
    chunk = tbptt or length  # one truncated-BPTT chunk's graph is alive at a time
    measured = kept_bytes(net, torch.randn(BATCH, chunk, EMBED))
    parameters = sum(p.numel() for p in net.parameters())
    estimate = activation_bytes(cfg, {"seq_len": length}, HIDDEN, parameters)
    assert measured / FACTOR <= estimate <= measured, (estimate, measured)
