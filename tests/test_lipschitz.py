import pytest
import torch

from core import lipschitz, models


def _conv_matrix(conv, shape):
    n = int(torch.tensor(shape).prod())
    basis = torch.eye(n).view(n, *shape)
    out = torch.nn.functional.conv2d(basis, conv.weight, None, conv.stride, conv.padding)
    return out.reshape(n, -1).T


def test_conv_power_iteration_bounds_the_exact_operator_norm():
    torch.manual_seed(0)
    conv = torch.nn.Conv2d(2, 3, 3, padding=1, bias=False)
    with torch.no_grad():
        exact = float(torch.linalg.matrix_norm(_conv_matrix(conv, (2, 6, 6)), ord=2))
    estimate = lipschitz.spectral_norm_conv(conv, (2, 6, 6))
    assert exact <= estimate <= exact * 1.02


def test_bound_is_never_exceeded_by_observed_ratios():
    model = models.cifar_cnn(width=4, seed=0).eval()
    for layer in (1, 2, 3):
        bound = lipschitz.lipschitz_upper_bound(model, layer, (3, 32, 32))
        prefix = model.prefix(layer)
        gen = torch.Generator().manual_seed(layer)
        x = torch.rand(16, 3, 32, 32, generator=gen)
        tau = torch.randn(x.shape, generator=gen) * 1e-2
        with torch.no_grad():
            ratio = (prefix(x + tau) - prefix(x)).flatten(1).norm(dim=1) / tau.flatten(1).norm(dim=1)
        assert float(ratio.max()) <= bound


def test_linear_network_bound_is_the_product_of_spectral_norms():
    model = models.feed_forward(3, [5], 2, seed=0)
    w1, w2 = model.layers[0][1].linear.weight.detach(), model.layers[1].linear.weight.detach()
    expected = float(torch.linalg.matrix_norm(w1, ord=2) * torch.linalg.matrix_norm(w2, ord=2))
    assert lipschitz.lipschitz_upper_bound(model, 2, (3,)) == pytest.approx(expected, rel=1e-5)
    assert lipschitz.lipschitz_upper_bound(model, 0, (3,)) == 1.0
    with pytest.raises(ValueError, match="out of range"):
        lipschitz.lipschitz_upper_bound(model, 9, (3,))
