"""core.models.cifar_resnet: a Layered network like the CNNs, so every tool over Layered keeps working."""

import pytest
import torch
from torch import nn

from core import inference, models, noise


def _settled(model, seed=0):
    """Batch-norm running statistics away from (0, 1), as after training."""
    generator = torch.Generator().manual_seed(seed)
    model.train()
    with torch.no_grad():
        for _ in range(3):
            model(torch.rand(8, 3, 32, 32, generator=generator) * 0.8 + 0.1)
    return model.eval()


def test_stages_at_32_16_8_pixels_then_ten_logits():
    model = models.cifar_resnet(width=4, blocks=(2, 1, 1), seed=0).eval()
    shapes = [tuple(r.shape[1:]) for r in model.representations(torch.rand(2, 3, 32, 32))]
    assert shapes == [(3, 32, 32), (4, 32, 32), (4, 32, 32), (4, 32, 32), (8, 16, 16), (16, 8, 8), (10,)]
    assert isinstance(model.layers[0][0], models.Normalize)
    assert sum(isinstance(layer, models.BasicBlock) for layer in model.layers) == 4


def test_a_block_adds_its_residual_to_its_shortcut():
    block = models.cifar_resnet(width=4, seed=0).layers[2].eval()  # 4 → 8 channels, stride 2
    z = torch.rand(2, 4, 32, 32)
    assert torch.allclose(block(z), torch.relu(block.residual(z) + block.shortcut(z)))
    assert isinstance(models.cifar_resnet(width=4, seed=0).layers[1].shortcut, nn.Identity)


def test_prefix_and_suffix_compose_to_the_whole():
    model = _settled(models.cifar_resnet(width=4, seed=1))
    x = torch.rand(3, 3, 32, 32)
    for i in range(len(model.layers) + 1):
        assert torch.allclose(model.suffix(i)(model.prefix(i)(x)), model(x), atol=1e-5)


def test_seeded_build_round_trips_and_leaves_the_global_rng_alone():
    state = torch.random.get_rng_state()
    model = models.cifar_resnet(width=4, blocks=(1, 2, 1), seed=2).eval()
    assert torch.equal(torch.random.get_rng_state(), state)
    rebuilt = models.build({**model.architecture, "seed": 2}).eval()
    x = torch.rand(2, 3, 32, 32)
    assert torch.equal(model(x), rebuilt(x))
    other = models.build({**model.architecture, "seed": 3}).eval()
    assert not torch.equal(model(x), other(x))


@pytest.mark.parametrize("layer", [0, 2])
def test_noise_injection_and_its_removal(layer):
    model = models.cifar_resnet(width=4, seed=0).eval()
    noisy = models.inject_noise(model, layer, noise.make("gaussian", 0.25), seed=1).eval()
    x = torch.rand(2, 3, 32, 32)
    assert not torch.equal(noisy(x), noisy(x)), "the noise stays on at inference"
    assert torch.equal(models.without_noise(noisy)(x), model(x))
    # F̃ = suffix ∘ (+ε) ∘ prefix, draw for draw
    manual = models.inject_noise(model, layer, noise.make("gaussian", 0.25), seed=1).eval()
    epsilon_layer = models.noise_layers(manual)[0]
    z = model.prefix(layer)(x)
    expected = model.suffix(layer)(epsilon_layer(z))
    models.noise_layers(noisy)[0].reseed()  # restart noisy's draws from its seed
    assert torch.allclose(noisy(x), expected, atol=1e-5)


def test_fold_batchnorm_keeps_the_logits():
    model = _settled(models.cifar_resnet(width=4, blocks=(1, 1, 1), seed=0))
    folded = inference.fold_batchnorm(model)
    assert not any(isinstance(m, nn.BatchNorm2d) for m in folded.modules()), "every conv + BN pair folds"
    x = torch.rand(4, 3, 32, 32)
    assert torch.allclose(folded(x), model(x), atol=1e-4)


def test_bad_sizes_are_one_sentence():
    with pytest.raises(ValueError, match="three positive block counts"):
        models.cifar_resnet(blocks=(1, 1))
    with pytest.raises(ValueError, match="positive width"):
        models.cifar_resnet(width=0)
