"""Every backbone under bf16 autocast against its own float32 pass, on any device."""

import torch
from torch import nn

BF16_TOLERANCE = 0.02  # largest |bf16 - fp32| over the output, as a share of its largest |fp32|


def bf16_deviation(model: nn.Module, x: torch.Tensor, device: str) -> tuple[float, float]:
    """How far the whole-sequence pass and the step-by-step stream in bf16 autocast land
    from the float32 whole-sequence pass, each as a share of its largest magnitude."""
    model, x = model.to(device).eval(), x.to(device)
    with torch.no_grad():
        exact, _ = model(x)
        with torch.autocast(device_type=torch.device(device).type, dtype=torch.bfloat16):
            whole, _ = model(x)
            state, outs = None, []
            for t in range(x.shape[1]):
                out, state = model.step(x[:, t], state)
                outs.append(out)
    scale = exact.abs().max().item()
    streamed = torch.stack(outs, dim=1)
    return tuple((y.float() - exact).abs().max().item() / scale for y in (whole, streamed))
