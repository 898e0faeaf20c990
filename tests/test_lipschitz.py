import pytest
import torch

from core import lipschitz, models


def _conv_matrix(conv, shape):
    n = int(torch.tensor(shape).prod())
    basis = torch.eye(n, dtype=torch.float64).view(n, *shape)
    out = torch.nn.functional.conv2d(basis, conv.weight.detach().double(), None, conv.stride, conv.padding,
                                     conv.dilation, conv.groups)
    return out.reshape(n, -1).T


# (in, out, kernel, stride, padding, dilation, groups, input side)
CONVS = [(2, 3, 3, 1, 1, 1, 1, 6), (3, 4, 3, 2, 1, 1, 1, 7), (2, 2, 5, 1, 2, 1, 1, 5), (4, 4, 3, 1, 0, 1, 2, 6),
         (1, 3, 3, 1, 2, 2, 1, 5), (3, 2, 1, 1, 0, 1, 1, 4), (2, 5, 3, 1, 1, 1, 1, 2)]


@pytest.mark.parametrize("c_in,c_out,kernel,stride,padding,dilation,groups,side", CONVS)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_conv_bound_is_never_below_the_exact_operator_norm(c_in, c_out, kernel, stride, padding, dilation,
                                                            groups, side, seed):
    generator = torch.Generator().manual_seed(seed)
    conv = torch.nn.Conv2d(c_in, c_out, kernel, stride=stride, padding=padding, dilation=dilation, groups=groups,
                           bias=False)
    with torch.no_grad():
        conv.weight.copy_(torch.randn(conv.weight.shape, generator=generator))
        exact = float(torch.linalg.matrix_norm(_conv_matrix(conv, (c_in, side, side)), ord=2))
    bound = lipschitz.spectral_norm_conv(conv, (c_in, side, side))
    assert exact <= bound * (1 + 1e-9)          # sound, whatever the layer
    if stride == 1 and side >= 6:
        assert bound <= exact * 1.35            # and not far off on ordinary layers


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
