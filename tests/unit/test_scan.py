"""The parallel scans against the recurrence written out step by step."""

import pytest
import torch

from seqbench.models.scan import linear_scan, log_space_scan, loop_scan


def reference(a, b, h0):
    h, out = h0, []
    for t in range(b.shape[1]):
        h = a[:, t] * h + b[:, t]
        out.append(h)
    return torch.stack(out, dim=1)


@pytest.mark.parametrize("T", [1, 2, 7, 64, 100])
@pytest.mark.parametrize("dtype", [torch.float64, torch.complex128])
def test_linear_scan_equals_the_recurrence(T, dtype):
    torch.manual_seed(T)
    a, b, h0 = torch.randn(3, T, 4, dtype=dtype), torch.randn(3, T, 4, dtype=dtype), None
    h0 = torch.randn(3, 4, dtype=dtype)
    a = a / a.abs().clamp(min=1.0)  # |a| <= 1 keeps the products finite over T
    torch.testing.assert_close(linear_scan(a, b, h0), reference(a, b, h0))
    torch.testing.assert_close(loop_scan(a, b, h0), reference(a, b, h0))
    torch.testing.assert_close(linear_scan(a, b), reference(a, b, torch.zeros_like(h0)))


@pytest.mark.parametrize("T", [1, 5, 128])
def test_log_space_scan_equals_the_recurrence(T):
    torch.manual_seed(T)
    a = torch.rand(2, T, 3, dtype=torch.float64) * 0.98 + 0.01
    b, h0 = torch.rand(2, T, 3, dtype=torch.float64) + 0.1, torch.rand(2, 3, dtype=torch.float64)
    got = log_space_scan(a.log(), b.log(), h0.log())
    torch.testing.assert_close(got, reference(a, b, h0))
    torch.testing.assert_close(log_space_scan(a.log(), b.log()), reference(a, b, 0 * h0))


def test_the_scans_differentiate_like_the_loop():
    torch.manual_seed(0)
    a = (torch.rand(2, 9, 3, dtype=torch.float64) * 0.9 + 0.05).requires_grad_()
    b = torch.rand(2, 9, 3, dtype=torch.float64).add(0.1).requires_grad_()
    assert torch.autograd.gradcheck(lambda a, b: linear_scan(a, b), (a, b))
    assert torch.autograd.gradcheck(lambda a, b: log_space_scan(a.log(), b.log()), (a, b))
