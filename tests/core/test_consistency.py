"""Gaussian consistency regularisation (Jeong & Shin 2020): the loss against a hand computation, and the
Trainer's noisy copies."""

import math

import pytest
import torch

from core import models, noise, training
from core.device import make_generator


def test_consistency_loss_matches_a_hand_computation():
    # Two copies of one image, two classes: softmax [1/2, 1/2] and [3/4, 1/4]; label 0.
    logits = torch.tensor([[[0.0, 0.0]], [[math.log(3.0), 0.0]]])
    p1, p2 = (0.5, 0.5), (0.75, 0.25)
    mean = (0.625, 0.375)
    cross_entropy = (-math.log(0.5) - math.log(0.75)) / 2
    kl = sum(sum(m * math.log(m / q) for m, q in zip(mean, p)) for p in (p1, p2)) / 2
    entropy = -sum(m * math.log(m) for m in mean)
    expected = cross_entropy + 10 * kl + 0.5 * entropy
    got = training.consistency_loss(logits, torch.tensor([0]), weight=10.0, entropy=0.5)
    assert got.item() == pytest.approx(expected, rel=1e-6)
    # λ = η = 0 leaves the mean cross-entropy over copies
    assert training.consistency_loss(
        logits, torch.tensor([0]), weight=0.0, entropy=0.0
    ).item() == pytest.approx(cross_entropy, rel=1e-6)


def test_identical_copies_have_no_kl_term():
    z = torch.randn(1, 5, 10, generator=torch.Generator().manual_seed(0)).repeat(3, 1, 1)
    y = torch.arange(5)
    with_kl = training.consistency_loss(z, y, weight=100.0, entropy=0.0)
    plain = torch.nn.functional.cross_entropy(z[0], y)
    assert with_kl.item() == pytest.approx(plain.item(), rel=1e-5)


def test_a_trainer_step_is_the_consistency_loss_on_m_noisy_copies():
    generator = torch.Generator().manual_seed(0)
    x, y = torch.rand(12, 3, 8, 8, generator=generator), torch.randint(0, 10, (12,), generator=generator)
    gaussian = noise.make("gaussian", 0.25)
    spec = {"copies": 3, "weight": 5.0, "entropy": 0.5}
    trainer = training.Trainer(
        models.cifar_cnn(width=2, seed=0),
        x,
        y,
        batch_size=4,
        seed=7,
        noise=gaussian,
        consistency=spec,
        label_smoothing=0.1,
    )
    reference = models.cifar_cnn(width=2, seed=0).train()
    order = torch.randperm(12, generator=make_generator(7))[:4]
    xb = x[order].repeat(3, 1, 1, 1)
    xb = xb + gaussian.sample(xb.shape, generator=make_generator(7), device="cpu")
    expected = training.consistency_loss(
        reference(xb).view(3, 4, 10), y[order], weight=5.0, entropy=0.5, label_smoothing=0.1
    )
    assert trainer.step()["loss"] == pytest.approx(expected.item(), rel=1e-5)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"consistency": {"copies": 2}}, "needs input noise"),
        ({"consistency": {"copies": 1}, "noise": noise.make("gaussian", 0.25)}, "copies"),
        ({"consistency": {"copies": 2, "lambda": 1}, "noise": noise.make("gaussian", 0.25)}, "copies"),
        ({"consistency": {"weight": -1.0}, "noise": noise.make("gaussian", 0.25)}, "non-negative"),
        (
            {"consistency": {"copies": 2}, "noise": noise.make("gaussian", 0.25), "loss": "hinge"},
            "cross-entropy",
        ),
    ],
)
def test_bad_consistency_settings_are_one_sentence(kwargs, message):
    x, y = torch.rand(4, 3, 8, 8), torch.zeros(4, dtype=torch.long)
    with pytest.raises(ValueError, match=message):
        training.Trainer(models.cifar_cnn(width=2), x, y, **kwargs)


def test_a_recipe_opts_in_through_its_consistency_key(tmp_path, monkeypatch):
    from core import experiments
    from tests.core.fake_mnist import write_mnist_npz

    data = write_mnist_npz(tmp_path, train=32, test=8, seed=0)
    spec = {"copies": 2, "weight": 10.0, "entropy": 0.5}
    monkeypatch.setitem(
        experiments.RECIPES,
        "mnist-gaussian-0.25",
        {**experiments.RECIPES["mnist-gaussian-0.25"], "consistency": spec},
    )
    seen = {}
    real_trainer = training.Trainer

    class Spy(real_trainer):
        def __init__(self, *args, **kwargs):
            seen.update(kwargs)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(training, "Trainer", Spy)
    assert (
        experiments.main(
            [
                "train",
                "--name",
                "mnist-gaussian-0.25",
                "--epochs",
                "1",
                "--width",
                "2",
                "--data-dir",
                str(data),
                "--models-dir",
                str(tmp_path / "models"),
                "--results-dir",
                str(tmp_path / "results"),
                "--device",
                "cpu",
            ]
        )
        == 0
    )
    assert seen["consistency"] == spec
    import json

    entry = json.loads((tmp_path / "models" / "manifest.json").read_text())["models"][0]
    assert entry["recipe"]["consistency"] == spec
