"""Scene 7 · noise injection: F̃_ε's draws, the running estimates of F_rob, the four readings."""
import dataclasses

import numpy as np
import pytest
import torch

from core import models, noise as noises, smoothing, toys
from core.scenes import noise_injection as scene
from core.seeds import stream_generator, stream_seed

MNIST = "mnist-gaussian-0.25"
TOY = dict(x1=0.45, x2=0.55, layer=0, noise="gaussian", scale=0.1, num=100)


def toy_base(seed=0):
    return toys.model(scene.toy_spec(seed))


def test_toy_draws_are_seeded_and_independent_per_seed():
    first = scene.toy_draws_live(**TOY, seed=0)
    again = scene.toy_draws_live(**TOY, seed=0)
    other = scene.toy_draws_live(**TOY, seed=1)
    np.testing.assert_array_equal(first.probabilities, again.probabilities)
    assert not np.array_equal(first.probabilities, other.probabilities)


def test_toy_draws_agree_with_a_direct_computation_at_the_input():
    result = scene.toy_draws_live(**TOY, seed=0)
    x = torch.tensor([0.45, 0.55])
    eps = noises.make("gaussian", 0.1).sample((100, 2), generator=stream_generator(0, "noise"))
    with torch.no_grad():
        expected = torch.softmax(toy_base()(x + eps).double(), dim=1).float().numpy()
    np.testing.assert_allclose(result.probabilities, expected, atol=1e-6)
    np.testing.assert_allclose(result.shown, (x + eps)[:scene.DRAWS_SHOWN].numpy(), atol=1e-6)
    top = int(expected.mean(0).argmax())
    assert result.top == top
    assert result.soft[-1] == pytest.approx(expected[:, top].mean(), abs=1e-6)
    assert result.votes[-1] == pytest.approx((expected.argmax(1) == top).mean())
    np.testing.assert_allclose(result.vote_shares, np.bincount(expected.argmax(1), minlength=2) / 100)
    assert result.hard == int(np.argmax(result.vote_shares))
    # The Clopper–Pearson band holds the vote share it was computed from, and narrows with the draws.
    assert np.all(result.lower <= result.votes[result.grid - 1] + 1e-12)
    assert np.all(result.votes[result.grid - 1] <= result.upper + 1e-12)
    assert result.upper[-1] - result.lower[-1] < result.upper[0] - result.lower[0]
    # The independent core.smoothing estimate agrees up to Monte Carlo error.
    assert abs(result.reference[top] - result.soft[-1]) < 0.1
    assert result.kernel_pdf.max() == pytest.approx(1 / (0.1 * np.sqrt(2 * np.pi)), rel=1e-3)


def test_hidden_layer_noise_equals_core_models_inject_noise():
    """suffix(i)(prefix(i)(x) + ε) with the scene's stream is F̃_ε as core.models.inject_noise builds it."""
    result = scene.toy_draws_live(**{**TOY, "layer": 2, "scale": 0.3}, seed=0)
    noisy = models.inject_noise(toy_base(), 2, noises.make("gaussian", 0.3), seed=stream_seed(0, "noise"))
    with torch.no_grad():
        expected = torch.softmax(noisy(torch.tensor([[0.45, 0.55]]).expand(100, 2)).double(), dim=1).float().numpy()
    np.testing.assert_allclose(result.probabilities, expected, atol=1e-6)
    assert result.shown.size == 0 and result.noise_ratio > 0
    assert result.layer == 2 and result.layers == scene.TOY_LAYERS


def test_toy_maps_plain_is_f_and_the_smoothed_map_follows_the_noise():
    quiet = scene.toy_maps_live(layer=0, noise="gaussian", scale=0.01, seed=0)
    loud = scene.toy_maps_live(layer=0, noise="gaussian", scale=0.5, seed=0)
    points = torch.stack(torch.meshgrid(torch.tensor(quiet.xs), torch.tensor(quiet.ys), indexing="xy"), -1)
    with torch.no_grad():
        expected = torch.softmax(toy_base()(points.reshape(-1, 2)), dim=1)[:, 1].reshape(quiet.plain.shape)
    np.testing.assert_allclose(quiet.plain, expected.numpy(), atol=1e-5)
    assert np.abs(quiet.smoothed - quiet.plain).mean() < 0.05      # tiny noise: F_rob ≈ F
    assert np.abs(loud.smoothed - loud.plain).mean() > np.abs(quiet.smoothed - quiet.plain).mean()
    assert loud.x_train.shape[1] == 2 and set(np.unique(loud.y_train)) == {0, 1}


def test_image_draws_on_mnist():
    result = scene.image_draws_live(model=MNIST, index=3, layer=0, noise="laplace", scale=0.2, num=100, seed=0)
    assert result.probabilities.shape == (100, 10)
    np.testing.assert_allclose(result.probabilities.sum(1), 1, atol=1e-5)
    assert result.shown.shape == (scene.DRAWS_SHOWN, 28, 28, 3) and result.shown.dtype == np.uint8
    assert result.noise_label.startswith("Laplace")
    again = scene.image_draws_live(model=MNIST, index=3, layer=0, noise="laplace", scale=0.2, num=100, seed=0)
    np.testing.assert_array_equal(result.probabilities, again.probabilities)


def test_augmentation_compares_with_the_standard_model():
    result = scene.augmentation_live(model=MNIST, layer=0, noise="gaussian", scale=0.5, seed=0)
    assert result.standard == "mnist-standard"
    assert result.predictions == scene.GALLERY_REPEATS * 20
    for accuracy in (result.accuracy, result.standard_accuracy):
        assert 0 <= accuracy <= 1 and (accuracy * result.predictions) == pytest.approx(round(accuracy * 160))
    alone = scene.augmentation_live(model="mnist-standard", layer=0, noise="gaussian", scale=0.5, seed=0)
    assert alone.standard is None and alone.standard_accuracy is None
    assert alone.accuracy == result.standard_accuracy      # same stream, same draws, same model


def test_game_plays_the_non_adaptive_the_adaptive_and_the_pure_best_responses_within_the_budget():
    result = scene.game_live(model=MNIST, index=0, layer=0, noise="gaussian", scale=0.25, eps=1.0, seed=0)
    assert result.distance <= 1.0 + 1e-4 and result.adaptive_distance <= 1.0 + 1e-4
    for share in (result.fooled_draws, result.adaptive_fooled_draws, result.clean_errors):
        assert 0 <= share <= 1 and (share * result.draws) == pytest.approx(round(share * result.draws))
    assert isinstance(result.fooled_base, bool) and result.draws == scene.ATTACK_VOTES
    assert result.eot == scene.GAME_EOT and result.pure == scene.PURE_STRATEGIES
    assert 0 <= result.pure_escapes <= result.pure_broken <= result.pure
    # When most draws answer the label, the vote does.
    for wrong_share, vote_wrong in ((result.fooled_draws, result.vote_wrong),
                                    (result.adaptive_fooled_draws, result.adaptive_vote_wrong)):
        if wrong_share < 0.5:
            assert not vote_wrong
    # Topological reading: TV between vote distributions, under the input-space Gaussian bound 2Φ(‖τ‖/2σ) − 1.
    assert result.tv_bound_adaptive == pytest.approx(smoothing.gaussian_tv_bound(result.adaptive_distance, 0.25))
    assert 0 <= result.tv_nonadaptive <= 1 and 0 <= result.tv_adaptive <= 1
    assert result == scene.game_live(model=MNIST, index=0, layer=0, noise="gaussian", scale=0.25, eps=1.0, seed=0)
    rows = scene.game_rows(result)
    assert [row["attack"].split(":")[0] for row in rows] == ["non-adaptive", "adaptive", "none (clean x)"]
    laplace = scene.game_live(model=MNIST, index=0, layer=0, noise="laplace", scale=0.2, eps=1.0, seed=0)
    assert laplace.tv_bound_adaptive is None and "needs Gaussian noise" in scene.topology_caption(laplace)


def test_total_variation_is_half_the_l1_distance():
    assert scene.total_variation([0.5, 0.5, 0.0], [0.0, 0.5, 0.5]) == pytest.approx(0.5)
    assert scene.total_variation([1.0, 0.0], [1.0, 0.0]) == 0.0


def _game(**change):
    base = dict(eps=1.0, distance=1.0, fooled_base=True, fooled_draws=0.3, clean_errors=0.0, draws=200,
                vote_wrong=False, adaptive_distance=1.0, adaptive_fooled_draws=0.6, adaptive_vote_wrong=True, eot=8,
                clean_vote_wrong=False, pure=5, pure_broken=5, pure_escapes=5, pure_clean_wrong=0,
                tv_nonadaptive=0.3, tv_adaptive=0.6, tv_bound_nonadaptive=0.95, tv_bound_adaptive=0.95)
    return scene.Game(**{**base, **change})


def test_game_caption_states_what_was_computed():
    complete = scene.game_caption(_game())
    assert "No pure equilibrium" in complete and "5/5" in complete and "overstates" in complete
    partial = scene.game_caption(_game(pure_broken=3, pure_escapes=2, adaptive_fooled_draws=0.1))
    assert "No pure equilibrium" not in partial and "fools 3" in partial and "need not win" in partial
    assert "for 2 of the 5 fixed draws" in partial and "1 best responses fool every fixed draw" in partial
    universal = scene.game_caption(_game(pure_escapes=3))
    assert "2 best responses fool every fixed draw" in universal and "PGD finds no x_adv" not in universal
    assert "Both attacks" in scene.game_caption(_game(adaptive_fooled_draws=0.3))
    assert "Monte Carlo error" in scene.topology_caption(_game(tv_adaptive=0.99, tv_bound_adaptive=0.5))


def _generalization(**change):
    base = dict(std=0.3, train_examples=359, test_examples=1438, plain_train=1.0, plain_test=0.95,
                noisy_train=0.98, noisy_test=0.96)
    return scene.Generalization(**{**base, **change})


def test_generalization_caption_follows_the_gaps():
    assert "narrowed the train/held-out gap from 5.0% to 2.0%" in scene.generalization_caption(_generalization())
    assert "widened" in scene.generalization_caption(_generalization(noisy_train=1.0, noisy_test=0.90))
    assert "lowered held-out accuracy" in scene.generalization_caption(_generalization(noisy_test=0.94, noisy_train=0.95))


def test_generalization_trains_both_networks_on_the_digits(monkeypatch):
    monkeypatch.setattr(scene, "GAP_EPOCHS", 2)
    result = scene.generalization_live(std=0.3, seed=0)
    assert (result.train_examples, result.test_examples) == (359, 1438)
    for value in (result.plain_train, result.plain_test, result.noisy_train, result.noisy_test):
        assert 0.1 < value <= 1          # trained: better than chance on ten classes
    assert result.plain_gap == result.plain_train - result.plain_test
    assert result == scene.generalization_live(std=0.3, seed=0)
    assert scene.generalization_live(std=0.0, seed=0).noisy_test == result.plain_test      # σ = 0 is ERM


@pytest.mark.parametrize("change", [dict(noise="cauchy"), dict(scale=-0.1), dict(scale=5.0), dict(layer=4),
                                    dict(num=0), dict(x1=1.5), dict(seed=-1)])
def test_bad_toy_arguments_raise_one_sentence(change):
    with pytest.raises(ValueError):
        scene.toy_draws(**{**TOY, "seed": 0, **change})


@pytest.mark.parametrize("change", [dict(model="no-such-model"), dict(index=20), dict(layer=99), dict(num=10**6)])
def test_bad_image_arguments_raise(change):
    with pytest.raises(ValueError):
        scene.image_draws(**{"model": MNIST, "num": 100, **change})


def test_shipped_defaults_are_what_the_scene_computes():
    for name in ("toy_draws", "toy_maps"):
        arguments = scene.defaults(getattr(scene, name))
        shipped = scene._shipped(name, arguments)
        assert shipped is not None, f"{name}'s default is not shipped: run {scene.BUILD_COMMAND}"
        live = getattr(scene, f"{name}_live")(**arguments)
        for field in dataclasses.fields(live):
            a, b = getattr(shipped, field.name), getattr(live, field.name)
            if isinstance(b, np.ndarray):
                np.testing.assert_allclose(a, b, atol=1e-6, err_msg=field.name)
            else:
                assert a == b, field.name


def test_a_shipped_result_is_ignored_when_its_model_changed(monkeypatch):
    arguments = scene.defaults(scene.toy_maps)
    assert scene._shipped("toy_maps", arguments) is not None
    monkeypatch.setattr(scene, "model_dependencies", lambda arguments: {"retrained": "other sha256"})
    assert scene.shipped_result(scene.SCENE_FILE, "toy_maps", arguments, scene.RESULT_TYPES,
                                scene.model_dependencies) is None
    assert scene._shipped("toy_maps", {**arguments, "seed": 1}) is None      # other arguments: computed live


def test_encode_decode_round_trip():
    result = scene.toy_draws_live(**TOY, seed=0)
    back = scene.decode(scene.encode(result), scene.RESULT_TYPES)
    for field in dataclasses.fields(result):
        a, b = getattr(back, field.name), getattr(result, field.name)
        if isinstance(b, np.ndarray):
            assert a.dtype == b.dtype
            np.testing.assert_array_equal(a, b)
        else:
            assert a == b
