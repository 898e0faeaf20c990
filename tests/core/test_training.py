import json

import pytest
import torch

from core import models, training
from core.device import make_generator


def _blobs(seed=0, n=200):
    gen = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 2, (n,), generator=gen)
    x = 0.5 + (y[:, None].float() * 2 - 1) * 0.2 + 0.05 * torch.randn(n, 2, generator=gen)
    return x.clamp(0, 1), y


def test_empirical_risk_is_the_mean_loss():
    model = models.feed_forward(2, [4], 2, seed=0)
    x, y = _blobs()
    expected = torch.nn.functional.cross_entropy(model(x), y).item()
    assert training.empirical_risk(model, x, y, batch_size=7) == pytest.approx(expected, rel=1e-5)


def test_hinge_loss_matches_its_definition():
    logits = torch.tensor([[2.0, 1.5, -1.0], [0.0, 3.0, 0.5]])
    y = torch.tensor([0, 2])
    # max(0, 1 + max_{j≠y} z_j − z_y): 1 + 1.5 − 2 = 0.5 and 1 + 3 − 0.5 = 3.5
    assert training.hinge_loss(logits, y).item() == pytest.approx((0.5 + 3.5) / 2)


@pytest.mark.parametrize("loss", ["ce", "hinge"])
def test_erm_lowers_the_empirical_risk_and_is_reproducible(loss):
    x, y = _blobs()
    histories = []
    for _ in range(2):
        model = models.feed_forward(2, [16], 2, seed=0)
        before = training.empirical_risk(model, x, y, loss=loss)
        result = training.train(
            model, x, y, epochs=15, x_test=x[:50], y_test=y[:50], loss=loss, lr=0.05, batch_size=32, seed=1
        )
        assert result.history[-1]["train_loss"] < before
        assert result.history[-1]["train_acc"] > 0.95
        assert set(result.history[-1]) >= {
            "epoch",
            "step",
            "train_loss",
            "train_acc",
            "test_loss",
            "test_acc",
        }
        histories.append([row["train_loss"] for row in result.history])
    assert histories[0] == histories[1]


def test_trainer_step_epoch_and_callback():
    x, y = _blobs(n=100)
    trainer = training.Trainer(models.feed_forward(2, [8], 2), x, y, batch_size=30, seed=0)
    assert trainer.steps_per_epoch == 4
    stats = trainer.step()
    assert stats["step"] == 1 and 0 <= stats["accuracy"] <= 1
    seen = []
    trainer.epoch(callback=seen.append)
    assert trainer.epoch_count == 1 and len(trainer.history) == 1 and seen[-1]["kind"] == "epoch"


def test_noise_augmented_and_adversarial_training_run():
    x, y = _blobs(n=120)

    class Gaussian:
        name, scale = "gaussian", 0.1

        def sample(self, shape, *, generator, device):
            return torch.randn(shape, generator=generator, device=device) * self.scale

    noisy = training.train(models.feed_forward(2, [16], 2), x, y, epochs=5, lr=0.05, noise=Gaussian())
    assert noisy.history[-1]["train_acc"] > 0.9
    for kind in ("fgsm_rs", "pgd"):
        result = training.train(
            models.feed_forward(2, [16], 2),
            x,
            y,
            epochs=5,
            lr=0.05,
            adversarial={"kind": kind, "eps": 0.05, "step": 0.02, "steps": 3},
        )
        assert result.history[-1]["train_acc"] > 0.9 and result.wall_time_s > 0


def test_crop_flip_keeps_shape_and_pixels():
    x = torch.rand(6, 3, 8, 8)
    out = training.random_crop_flip(x, make_generator(0), pad=2)
    assert out.shape == x.shape
    # pad = 0: every image is either itself or its mirror image.
    same = training.random_crop_flip(x, make_generator(1), pad=0)
    for original, augmented in zip(x, same):
        assert torch.equal(augmented, original) or torch.equal(augmented, original.flip(-1))


def test_onecycle_schedule_warms_up_and_decays():
    x, y = _blobs(n=100)
    trainer = training.Trainer(
        models.feed_forward(2, [4], 2),
        x,
        y,
        optimizer="sgd",
        lr=0.5,
        batch_size=10,
        schedule="onecycle",
        epochs_planned=1,
    )
    rates = []
    for _ in range(10):
        rates.append(trainer._learning_rate())
        trainer.step()
    assert rates[0] == 0 and max(rates) == pytest.approx(0.5) and rates[-1] < 0.5


def test_bf16_channels_last_training_learns_and_hands_back_a_float32_nchw_model():
    """The fast CIFAR-10 set-up (bf16 autocast, NHWC) only changes speed: the model still learns, its
    weights stay float32, and train() returns it in the default layout, ready for safetensors."""
    gen = torch.Generator().manual_seed(0)
    y = torch.randint(0, 2, (96,), generator=gen)
    x = torch.rand(96, 3, 32, 32, generator=gen) * 0.5
    x[y == 1, 0] += 0.5  # class 1: a brighter red channel
    model = models.cifar_cnn(width=4, seed=0)
    result = training.train(
        model,
        x,
        y,
        epochs=10,
        x_test=x,
        y_test=y,
        lr=0.05,
        batch_size=32,
        seed=0,
        optimizer="sgd",
        precision="bf16",
        channels_last=True,
    )
    assert result.history[-1]["train_acc"] > 0.9
    for parameter in model.parameters():
        assert parameter.dtype == torch.float32 and parameter.is_contiguous()
    with pytest.raises(ValueError, match="precision"):
        training.Trainer(model, x, y, precision="fp16")


def test_bad_arguments():
    x, y = _blobs(n=10)
    model = models.feed_forward(2, [4], 2)
    with pytest.raises(ValueError, match="learning rate"):
        training.Trainer(model, x, y, lr=0)
    with pytest.raises(ValueError, match="Unknown loss"):
        training.Trainer(model, x, y, loss="mse")
    with pytest.raises(ValueError, match="epochs"):
        training.train(model, x, y, epochs=0)


@pytest.mark.parametrize("kind", ["pgd", "fgsm_rs"])
def test_adversarial_budget_warms_up_linearly_then_stays(monkeypatch, kind):
    """eps_warmup_epochs = 1 with 4 steps per epoch: the attack sees ε·1/4, 2/4, 3/4, then ε, and its step
    shrinks with it (the same fraction of the budget throughout)."""
    from core import attacks

    seen = []
    real_pgd, real_fgsm = attacks.pgd, attacks.fgsm

    def spy_pgd(model, x, y, *, eps, step, **kwargs):
        seen.append((eps, step))
        return real_pgd(model, x, y, eps=eps, step=step, **kwargs)

    def spy_fgsm(model, x, y, *, eps, **kwargs):
        seen.append((None, eps))  # FGSM-RS passes its step as the FGSM budget
        return real_fgsm(model, x, y, eps=eps, **kwargs)

    monkeypatch.setattr(attacks, "pgd", spy_pgd)
    monkeypatch.setattr(attacks, "fgsm", spy_fgsm)
    x, y = _blobs(n=40)
    spec = {"kind": kind, "eps": 0.2, "step": 0.08, "steps": 2, "eps_warmup_epochs": 1}
    trainer = training.Trainer(models.feed_forward(2, [8], 2), x, y, batch_size=10, lr=0.05, adversarial=spec)
    for _ in range(6):
        trainer.step()
    fractions = [0.25, 0.5, 0.75, 1.0, 1.0, 1.0]
    assert [step for _, step in seen] == pytest.approx([0.08 * f for f in fractions])
    if kind == "pgd":
        assert [eps for eps, _ in seen] == pytest.approx([0.2 * f for f in fractions])
    assert training.warmed_up_eps(spec, 3, 4) == 0.2 and training.warmed_up_eps({"eps": 0.2}, 0, 4) == 0.2


@pytest.mark.parametrize("warmup", [-1, "2", float("nan"), True])
def test_a_bad_eps_warmup_is_refused_in_one_sentence(warmup):
    x, y = _blobs(n=20)
    with pytest.raises(ValueError, match="eps_warmup_epochs"):
        training.Trainer(
            models.feed_forward(2, [4], 2),
            x,
            y,
            adversarial={"kind": "pgd", "eps": 0.1, "eps_warmup_epochs": warmup},
        )


def test_gradient_computations_count_the_forward_passes_of_a_step():
    """1 for a standard step, k + 1 for PGD-k, 2 for FGSM-RS: the count the page shows, checked against the
    forward passes one Trainer step really runs, and for the zoo's recipes."""
    from core.experiments import recipe

    x, y = _blobs(n=16)
    for adversarial, expected in (
        (None, 1),
        ({"kind": "pgd", "eps": 0.1, "step": 0.05, "steps": 3}, 4),
        ({"kind": "pgd", "eps": 0.1}, 8),
        ({"kind": "fgsm_rs", "eps": 0.1}, 2),
    ):
        assert training.gradient_computations(adversarial) == expected
        model = models.feed_forward(2, [4], 2, seed=0)
        calls = []
        model.register_forward_hook(lambda module, inputs, output: calls.append(1))
        training.Trainer(model, x, y, batch_size=8, adversarial=adversarial).step()
        assert len(calls) == expected
    assert [
        training.gradient_computations(recipe(name).get("adversarial"))
        for name in ("mnist-standard", "mnist-adversarial", "cifar10-standard", "cifar10-adversarial")
    ] == [1, 8, 1, 2]
    with pytest.raises(ValueError, match="Unknown adversarial training kind"):
        training.gradient_computations({"kind": "free"})


def _bn_model():
    return models.mnist_cnn(width=2, seed=0)


@pytest.mark.parametrize("mode", ["eval", "train"])
@pytest.mark.parametrize("kind, attack_passes", [("pgd", 3), ("fgsm_rs", 1)])
def test_attack_bn_mode_sets_the_mode_the_attack_sees_and_the_running_statistics(mode, kind, attack_passes):
    """In eval mode the attack normalises with the running statistics and leaves them alone: after the step
    they hold exactly one momentum update, from the training pass on the adversarial batch. In train mode
    every attack pass is normalised with its batch's statistics and folded into the running ones. Either way
    the model is
    back in train mode after the step."""
    gen = torch.Generator().manual_seed(0)
    x, y = torch.rand(8, 1, 28, 28, generator=gen), torch.randint(0, 10, (8,), generator=gen)
    model = _bn_model()
    norm = next(module for module in model.modules() if isinstance(module, torch.nn.BatchNorm2d))
    seen = []
    norm.register_forward_pre_hook(
        lambda module, inputs: seen.append((module.training, inputs[0].detach().clone()))
    )
    spec = {"kind": kind, "eps": 0.1, "step": 0.05, "steps": attack_passes, "attack_bn_mode": mode}
    trainer = training.Trainer(model, x, y, batch_size=8, optimizer="sgd", lr=0.01, adversarial=spec, seed=0)
    assert trainer.attack_bn_mode == mode
    trainer.step()
    assert [flag for flag, _ in seen] == [mode == "train"] * attack_passes + [True]
    assert model.training and all(module.training for module in model.modules())
    assert int(norm.num_batches_tracked) == (1 if mode == "eval" else 1 + attack_passes)
    trained_on = seen[-1][1]  # the BN input of the training pass
    one_update = 0.1 * trained_on.mean(dim=(0, 2, 3))  # momentum 0.1 from the initial mean 0
    variance = trained_on.var(dim=(0, 2, 3), unbiased=True)
    if mode == "eval":
        assert torch.allclose(norm.running_mean, one_update, atol=1e-6)
        assert torch.allclose(norm.running_var, 0.9 + 0.1 * variance, atol=1e-6)
    else:
        assert not torch.allclose(norm.running_mean, one_update, atol=1e-6)


def test_attack_bn_mode_defaults_to_eval_and_the_shipped_recipes_keep_train():
    from core.experiments import recipe

    x, y = _blobs(n=8)
    trainer = training.Trainer(models.feed_forward(2, [4], 2), x, y, adversarial={"kind": "pgd", "eps": 0.1})
    assert trainer.attack_bn_mode == training.DEFAULT_ATTACK_BN_MODE == "eval"
    assert training.Trainer(models.feed_forward(2, [4], 2), x, y).attack_bn_mode is None
    for name in (
        "mnist-adversarial",
        "cifar10-adversarial",
    ):  # trained by the code before the setting existed
        assert recipe(name)["adversarial"]["attack_bn_mode"] == training.LEGACY_ATTACK_BN_MODE == "train"


@pytest.mark.parametrize("mode", ["batch", None, True, 1, "Eval"])
def test_a_bad_attack_bn_mode_is_refused_in_one_sentence(mode):
    import re

    from core.experiments import override_recipe, recipe

    x, y = _blobs(n=8)
    with pytest.raises(ValueError, match="attack_bn_mode") as error:
        training.Trainer(
            models.feed_forward(2, [4], 2),
            x,
            y,
            adversarial={"kind": "pgd", "eps": 0.1, "attack_bn_mode": mode},
        )
    assert len(re.findall(r"[.!?](?:\s|$)", str(error.value))) == 1
    with pytest.raises(ValueError, match="attack_bn_mode"):  # a recipe study is refused before any training
        override_recipe(
            recipe("mnist-adversarial"), '{"adversarial": {"attack_bn_mode": %s}}' % json.dumps(mode)
        )
