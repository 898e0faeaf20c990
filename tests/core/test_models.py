import copy

import pytest
import torch
from torch import nn

from core import models
from core.device import make_generator


class _Gaussian:
    """Minimal noise object (name/scale/sample) so these tests do not depend on core.noise."""

    name, scale, params = "gaussian", 0.5, {}

    def sample(self, shape, *, generator, device):
        return torch.randn(shape, generator=generator, device=device) * self.scale


def test_feed_forward_is_a_composition_of_phi_layers():
    model = models.feed_forward(2, [8, 4], 3, activation="tanh", seed=1)
    x = torch.rand(5, 2)
    reps = model.representations(x)
    assert [r.shape[1] for r in reps] == [2, 8, 4, 3]
    assert torch.allclose(reps[-1], model(x))
    # φ(1)(z) = σ(W₁ z + b₁): the first layer is exactly tanh of an affine map.
    first = model.layers[0][1]
    assert torch.allclose(reps[1], torch.tanh(x @ first.linear.weight.T + first.linear.bias))
    for i in range(len(model.layers) + 1):
        assert torch.allclose(model.suffix(i)(model.prefix(i)(x)), model(x), atol=1e-6)


def test_same_seed_same_weights_and_global_rng_untouched():
    state = torch.random.get_rng_state()
    a, b = models.feed_forward(2, [16], 2, seed=3), models.feed_forward(2, [16], 2, seed=3)
    assert torch.equal(torch.random.get_rng_state(), state)
    for p, q in zip(a.parameters(), b.parameters()):
        assert torch.equal(p, q)
    c = models.feed_forward(2, [16], 2, seed=4)
    assert not torch.equal(next(a.parameters()), next(c.parameters()))


@pytest.mark.parametrize(
    "builder,shape",
    [
        (models.mnist_cnn, (2, 1, 28, 28)),
        (lambda seed=0: models.cifar_cnn(width=8, seed=seed), (2, 3, 32, 32)),
    ],
)
def test_cnns_map_images_to_ten_logits(builder, shape):
    model = builder(seed=0).eval()
    assert model(torch.rand(shape)).shape == (2, 10)
    assert len(model.representations(torch.rand(shape))) == len(model.layers) + 1


def test_build_round_trips_architecture():
    model = models.cifar_cnn(width=8, seed=2)
    rebuilt = models.build({**model.architecture, "seed": 2})
    x = torch.rand(2, 3, 32, 32)
    assert torch.allclose(model.eval()(x), rebuilt.eval()(x))
    with pytest.raises(ValueError, match="Unknown architecture"):
        models.build({"kind": "resnet9000"})


@pytest.mark.parametrize("layer", [0, 1, 2])
def test_noise_injection_is_on_at_inference_and_leaves_original_alone(layer):
    model = models.feed_forward(2, [8, 8], 2, seed=0).eval()
    before = copy.deepcopy(model.state_dict())
    noisy = models.inject_noise(model, layer, _Gaussian(), seed=7).eval()
    x = torch.rand(4, 2)
    first, second = noisy(x), noisy(x)
    assert not torch.allclose(first, second), "F̃_ε must vary between draws at inference"
    assert torch.allclose(model(x), model(x))
    for key, value in model.state_dict().items():
        assert torch.equal(value, before[key])
    assert len(models.noise_layers(noisy)) == 1 and not models.noise_layers(model)
    # Reseeding replays the same draws: a lecture demo is identical every time.
    models.noise_layers(noisy)[0].reseed()
    assert torch.allclose(noisy(x), first)


def test_noise_after_layer_i_matches_manual_composition():
    model = models.feed_forward(2, [8, 8], 2, seed=0).eval()
    noisy = models.inject_noise(model, 1, _Gaussian(), seed=5)
    x = torch.rand(3, 2)
    hidden = model.layers[0](x)
    epsilon = _Gaussian().sample(hidden.shape, generator=make_generator(5), device="cpu")
    expected = model.layers[2](model.layers[1](hidden + epsilon))
    assert torch.allclose(noisy(x), expected, atol=1e-6)


def test_bad_arguments_raise_clear_errors():
    with pytest.raises(ValueError, match="activation"):
        models.feed_forward(2, [4], 2, activation="swish")
    with pytest.raises(ValueError, match="positive"):
        models.feed_forward(2, [0], 2)
    with pytest.raises(ValueError, match="out of range"):
        models.inject_noise(models.feed_forward(2, [4], 2), 5, _Gaussian())
    with pytest.raises(ValueError, match="Layered"):
        models.inject_noise(nn.Linear(2, 2), 0, _Gaussian())
