import pytest
import torch

from core import lipschitz, models


def _conv_matrix(conv, shape):
    n = int(torch.tensor(shape).prod())
    basis = torch.eye(n, dtype=torch.float64).view(n, *shape)
    out = torch.nn.functional.conv2d(
        basis, conv.weight.detach().double(), None, conv.stride, conv.padding, conv.dilation, conv.groups
    )
    return out.reshape(n, -1).T


# (in, out, kernel, stride, padding, dilation, groups, input side)
CONVS = [
    (2, 3, 3, 1, 1, 1, 1, 6),
    (3, 4, 3, 2, 1, 1, 1, 7),
    (2, 2, 5, 1, 2, 1, 1, 5),
    (4, 4, 3, 1, 0, 1, 2, 6),
    (1, 3, 3, 1, 2, 2, 1, 5),
    (3, 2, 1, 1, 0, 1, 1, 4),
    (2, 5, 3, 1, 1, 1, 1, 2),
]


@pytest.mark.parametrize("c_in,c_out,kernel,stride,padding,dilation,groups,side", CONVS)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_conv_bound_is_never_below_the_exact_operator_norm(
    c_in, c_out, kernel, stride, padding, dilation, groups, side, seed
):
    generator = torch.Generator().manual_seed(seed)
    conv = torch.nn.Conv2d(
        c_in, c_out, kernel, stride=stride, padding=padding, dilation=dilation, groups=groups, bias=False
    )
    with torch.no_grad():
        conv.weight.copy_(torch.randn(conv.weight.shape, generator=generator))
        exact = float(torch.linalg.matrix_norm(_conv_matrix(conv, (c_in, side, side)), ord=2))
    bound = lipschitz.spectral_norm_conv(conv, (c_in, side, side))
    assert exact <= bound * (1 + 1e-9)  # sound, whatever the layer
    if stride == 1 and side >= 6:
        assert bound <= exact * 1.35  # and not far off on ordinary layers


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


# --- residual blocks, pooling and refusals (issue 21) ---------------------------------------------


def _randomise_batchnorms(module, seed):
    """Batch norms as after training (γ, β and running statistics away from 1 and 0), so that they matter."""
    generator = torch.Generator().manual_seed(seed)
    for norm in module.modules():
        if isinstance(norm, torch.nn.BatchNorm2d):
            with torch.no_grad():
                norm.weight.copy_(torch.rand(norm.weight.shape, generator=generator) * 1.5 + 0.25)
                norm.bias.copy_(torch.randn(norm.bias.shape, generator=generator) * 0.1)
                norm.running_mean.copy_(torch.randn(norm.running_mean.shape, generator=generator) * 0.1)
                norm.running_var.copy_(torch.rand(norm.running_var.shape, generator=generator) * 1.5 + 0.25)
    return module


def _block(c_in, c_out, stride, *, zero_residual=False, linear=False, seed=0):
    block = models.BasicBlock(c_in, c_out, stride=stride)
    models.initialise([block], seed)
    _randomise_batchnorms(block, seed)
    if zero_residual:  # "zero-init" residual: the branch's last BN has γ = 0
        with torch.no_grad():
            block.residual[4].weight.zero_()
    if linear:  # the linearised branch: no inner ReLU
        block.residual[2] = torch.nn.Identity()
    return block.eval()


def _measured_stretch(f, shape, *, pairs=8, steps=40, seed=0):
    """max ‖f(x) − f(y)‖ / ‖x − y‖ found by gradient ascent from random pairs (a lower bound on Lip₂ f)."""
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn((pairs, *shape), generator=generator, dtype=torch.float64).requires_grad_()
    y = (
        x.detach() + 0.1 * torch.randn((pairs, *shape), generator=generator, dtype=torch.float64)
    ).requires_grad_()
    optimiser = torch.optim.Adam([x, y], lr=0.05)
    best = 0.0
    for _ in range(steps):
        ratio = (f(x) - f(y)).flatten(1).norm(dim=1) / (x - y).flatten(1).norm(dim=1)
        best = max(best, float(ratio.detach().max()))
        optimiser.zero_grad()
        (-ratio.sum()).backward()
        optimiser.step()
    return best


def _exact_norm(f, shape):
    """σ_max of the Jacobian of an affine map f at 0: its exact ℓ2 operator norm."""
    jacobian = torch.autograd.functional.jacobian(
        lambda z: f(z.view(1, *shape)).flatten(),
        torch.zeros(int(torch.tensor(shape).prod()), dtype=torch.float64),
    )
    return float(torch.linalg.matrix_norm(jacobian, ord=2))


# (c_in, c_out, stride, zero residual): identity shortcut, downsampling shortcut, zero-initialised branches.
BLOCKS = [(3, 3, 1, False), (2, 4, 2, False), (3, 3, 1, True), (2, 4, 2, True)]


@pytest.mark.parametrize("c_in,c_out,stride,zero", BLOCKS)
@pytest.mark.parametrize("seed", [0, 1])
def test_linearised_residual_block_bound_is_never_below_its_exact_norm(c_in, c_out, stride, zero, seed):
    block = _block(c_in, c_out, stride, zero_residual=zero, linear=True, seed=seed).double()
    shape = (c_in, 6, 6)
    exact = _exact_norm(lambda z: block.residual(z) + block.shortcut(z), shape)
    bound = lipschitz.lipschitz_upper_bound(models.Layered([block]), 1, shape)
    assert exact <= bound * (1 + 1e-9)
    if zero:  # r = 0: the bound is the shortcut's norm, which is exact (1, or σ_max(diag(s)W) for a 1×1 conv)
        assert bound == pytest.approx(exact, rel=1e-9)


@pytest.mark.parametrize("c_in,c_out,stride,zero", BLOCKS)
def test_residual_block_bound_is_never_below_the_measured_stretch(c_in, c_out, stride, zero):
    block = _block(c_in, c_out, stride, zero_residual=zero).double()
    shape = (c_in, 8, 8)
    bound = lipschitz.lipschitz_upper_bound(models.Layered([block]), 1, shape)
    measured = _measured_stretch(block, shape)
    assert measured <= bound
    if zero:  # the shortcut alone stretches distances: a product over the branch's leaves gave ≈ 0 here
        assert measured >= 0.5 * bound


def test_downsampling_block_is_bounded_through_its_shortcut():
    block, shape = _block(4, 8, 2), (4, 8, 8)  # used to raise: the shortcut's conv got the branch's output
    residual, shortcut = (
        lipschitz.lipschitz_upper_bound(models.Layered([branch]), 1, shape)
        for branch in (block.residual, block.shortcut)
    )
    assert lipschitz.lipschitz_upper_bound(models.Layered([block]), 1, shape) == pytest.approx(
        residual + shortcut
    )
    norm = block.shortcut[1]
    scales = norm.weight.detach() / torch.sqrt(norm.running_var + norm.eps)
    expected = float(
        torch.linalg.matrix_norm(scales[:, None] * block.shortcut[0].weight.detach()[:, :, 0, 0], ord=2)
    )
    assert shortcut == pytest.approx(expected, rel=1e-6)


def test_cifar_resnet_bound_is_never_below_the_measured_stretch():
    model = _randomise_batchnorms(models.cifar_resnet(width=2, seed=0), 3).eval()
    bounds = lipschitz.layer_lipschitz_bounds(model, (3, 32, 32))
    assert len(bounds) == len(model.layers) and all(b > 0 for b in bounds)
    double = model.double()
    for layer in range(1, len(model.layers) + 1):
        bound = lipschitz.lipschitz_upper_bound(model, layer, (3, 32, 32))
        measured = _measured_stretch(double.prefix(layer), (3, 32, 32), pairs=4, steps=15, seed=layer)
        assert measured <= bound


def _pool_matrix(pool, shape):
    n = int(torch.tensor(shape).prod())
    return pool(torch.eye(n, dtype=torch.float64).view(n, *shape)).reshape(n, -1).T


@pytest.mark.parametrize("output,side", [(1, 8), (3, 7), ((2, None), 5), (4, 4), (3, 8)])
def test_adaptive_average_pool_bound_is_its_exact_norm(output, side):
    pool = torch.nn.AdaptiveAvgPool2d(output)
    shape = (2, side, side + 1)
    exact = float(torch.linalg.matrix_norm(_pool_matrix(pool, shape), ord=2))
    assert lipschitz.lipschitz_upper_bound(models.Layered([pool]), 1, shape) == pytest.approx(exact, rel=1e-9)
    if output == 1:
        assert exact == pytest.approx(1 / (side * (side + 1)) ** 0.5)


# (pool, input side, exact Lip₂): an input shared by m windows, raised alone, moves m outputs.
MAX_POOLS = [
    (torch.nn.MaxPool2d(2), 6, 1.0),
    (torch.nn.MaxPool2d(3, stride=1, padding=1), 5, 3.0),
    (torch.nn.MaxPool2d((1, 3), stride=1), 5, 3**0.5),
    (torch.nn.MaxPool2d(2, stride=1, dilation=2), 6, 2.0),
    (torch.nn.MaxPool2d(3, stride=2, ceil_mode=True), 6, 2.0),
    (torch.nn.AdaptiveMaxPool2d(1), 4, 1.0),
    (torch.nn.AdaptiveMaxPool2d(3), 4, 2.0),
]


@pytest.mark.parametrize("pool,side,exact", MAX_POOLS)
def test_max_pool_bound_is_attained_by_raising_one_input(pool, side, exact):
    shape = (1, side, side)
    bound = lipschitz.lipschitz_upper_bound(models.Layered([pool]), 1, shape)
    bumps = torch.eye(side * side, dtype=torch.float64).view(-1, *shape)
    attained = float(pool(bumps).flatten(1).norm(dim=1).max())  # ‖pool(e_i) − pool(0)‖ / ‖e_i‖
    assert bound == pytest.approx(exact) and attained == pytest.approx(exact)
    assert _measured_stretch(pool, shape) <= bound * (1 + 1e-9)


class _Doubled(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(1, 1, 3, padding=1)

    def forward(self, z):
        return self.conv(z) + self.conv(z)


class _Reversed(torch.nn.Sequential):
    def forward(self, z):
        for module in reversed(self):
            z = module(z)
        return z


@pytest.mark.parametrize(
    "module,name",
    [
        (torch.nn.Softplus(), "Softplus"),
        (_Doubled(), "_Doubled"),
        (_Reversed(torch.nn.ReLU(), torch.nn.Linear(4, 4)), "_Reversed"),
        (torch.nn.AvgPool2d(2), "AvgPool2d"),
        (torch.nn.Dropout(), "Dropout"),
    ],
)
def test_unsupported_modules_are_refused_in_one_sentence(module, name):
    model = models.Layered([torch.nn.Sequential(torch.nn.Identity(), module)]).eval()
    with pytest.raises(ValueError) as caught:
        lipschitz.lipschitz_upper_bound(model, 1, (1, 4, 4))
    message = str(caught.value)
    assert message.startswith(f"No Lipschitz bound is known for {name}:") and "BasicBlock" in message
    assert message.endswith(".") and ". " not in message and "\n" not in message


def test_training_mode_batch_norm_and_wrong_shapes_are_refused_without_touching_the_model():
    model = models.cifar_resnet(width=2, seed=0)  # training mode: BN would use batch statistics
    before = model.layers[0][2].running_mean.clone()
    with pytest.raises(ValueError, match="model.eval()"):
        lipschitz.lipschitz_upper_bound(model, 1, (3, 32, 32))
    assert torch.equal(model.layers[0][2].running_mean, before)
    with pytest.raises(ValueError, match="do not fit"):
        lipschitz.lipschitz_upper_bound(model.eval(), 1, (4, 32, 32))
