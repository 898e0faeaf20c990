"""Scene 7 · noise injection: F̃_ε's draws, the running estimates of F_rob, the four readings."""

import numpy as np
import pytest
import scipy.stats
import torch

from core import models, smoothing, toys
from core import noise as noises
from core.scenes import noise_injection as scene
from core.scenes import shipped
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
    np.testing.assert_allclose(result.shown, (x + eps)[: scene.DRAWS_SHOWN].numpy(), atol=1e-6)
    top = int(expected.mean(0).argmax())
    assert result.top == top
    assert result.soft[-1] == pytest.approx(expected[:, top].mean(), abs=1e-6)
    assert result.votes[-1] == pytest.approx((expected.argmax(1) == top).mean())
    np.testing.assert_allclose(result.vote_shares, np.bincount(expected.argmax(1), minlength=2) / 100)
    assert result.hard == int(np.argmax(result.vote_shares))
    # The band is the confidence sequence of the top class's vote counts at α/K (K = 2 classes), at every n;
    # it holds the vote share it was computed from, and narrows with the draws.
    hits = (expected.argmax(1) == top).cumsum()
    np.testing.assert_array_equal(result.grid, np.arange(1, 101))
    np.testing.assert_allclose(
        np.stack([result.lower, result.upper]),
        np.stack(scene.confidence_sequence(hits, scene.BAND_ALPHA / 2)),
    )
    assert np.all(result.lower <= result.votes[result.grid - 1] + 1e-12)
    assert np.all(result.votes[result.grid - 1] <= result.upper + 1e-12)
    assert result.upper[-1] - result.lower[-1] < result.upper[0] - result.lower[0]
    # The independent core.smoothing estimate agrees up to Monte Carlo error.
    assert abs(result.reference[top] - result.soft[-1]) < 0.1
    assert result.kernel_pdf.max() == pytest.approx(1 / (0.1 * np.sqrt(2 * np.pi)), rel=1e-3)


def test_the_band_holds_at_every_draw_count_and_for_the_class_the_draws_chose():
    """Coverage on repeated seeds, near a tie (the chosen class flips between runs): the true P(F̃(x) = top)
    leaves the band at some n in at most α of the runs; a pointwise 95 % Clopper–Pearson band along the same
    sequence
    would leave it far more often, which is why the page does not show one."""
    truth, runs, alpha = np.array([0.45, 0.45, 0.10]), 200, scene.BAND_ALPHA
    band_misses = pointwise_misses = 0
    for seed in range(runs):
        labels = np.random.default_rng(seed).choice(3, size=1000, p=truth)
        running = scene._running(np.eye(3)[labels])
        p = truth[running["top"]]
        band_misses += np.any((running["lower"] > p) | (running["upper"] < p))
        n, k = running["grid"], np.round(running["votes"] * running["grid"])
        lower = np.where(k > 0, scipy.stats.beta.ppf(alpha / 2, k, n - k + 1), 0.0)
        upper = np.where(k < n, scipy.stats.beta.ppf(1 - alpha / 2, k + 1, n - k), 1.0)
        pointwise_misses += np.any((lower > p) | (upper < p))
    assert band_misses / runs <= alpha
    assert pointwise_misses / runs > 4 * alpha


def test_confidence_sequence_is_an_interval_around_the_share_and_checks_its_input():
    hits = np.array([1, 2, 2, 3, 4, 5, 5, 6, 6, 7])
    lower, upper = scene.confidence_sequence(hits, 0.05)
    share = hits / np.arange(1, 11)
    assert np.all((0 <= lower) & (lower <= share) & (share <= upper) & (upper <= 1))
    # One draw, one success: M_1(p) = B(2, 1) / p = 1/(2p) stays below 1/α for p > α/2; no failure yet, so p =
    # 1 stays.
    assert lower[0] == pytest.approx(0.025, rel=1e-9) and upper[:2].tolist() == [1.0, 1.0]
    assert scene.confidence_sequence(np.array([0]), 0.05)[0][0] == 0.0
    # At its ends, M_n(p) = B(S + 1, n − S + 1) / (p^S (1 − p)^(n − S)) reaches 1/α (Ville's inequality).
    n, k = 10, 7
    edge = lower[-1]
    log_m = scipy.special.betaln(k + 1, n - k + 1) - k * np.log(edge) - (n - k) * np.log1p(-edge)
    assert log_m == pytest.approx(np.log(1 / 0.05), abs=1e-6)
    wider, _ = scene.confidence_sequence(hits, 0.01)
    assert np.all(wider <= lower)
    for bad in ([0, 2], [], [[0, 1]]):
        with pytest.raises(ValueError):
            scene.confidence_sequence(bad, 0.05)
    with pytest.raises(ValueError):
        scene.confidence_sequence(hits, 1.5)


def test_the_smoothing_reading_follows_the_layer():
    """At the input it is F * p_ε at x; after layer i it is the head smoothed in layer-i space at h(x), and a
    pixel
    radius needs the prefix's Lipschitz bound."""
    at_input = scene.smoothing_reading(0, 7)
    assert r"\int F(x + e)" in at_input and "layer-" not in at_input
    hidden = scene.smoothing_reading(2, 7)
    assert r"\int F(x + e)" not in hidden and r"h = \phi^{(2)}\circ\phi^{(1)}" in hidden
    assert r"g = \phi^{(7)}\circ\dots\circ\phi^{(3)}" in hidden and "layer-2 space" in hidden
    assert "Lipschitz" in hidden and "R / L" in hidden
    assert r"g = \mathrm{id}" in scene.smoothing_reading(7, 7)
    assert r"g = \phi^{(7)}$" in scene.smoothing_reading(6, 7)
    with pytest.raises(ValueError):
        scene.smoothing_reading(8, 7)


def test_hidden_layer_noise_equals_core_models_inject_noise():
    """suffix(i)(prefix(i)(x) + ε) with the scene's stream is F̃_ε as core.models.inject_noise builds it."""
    result = scene.toy_draws_live(**{**TOY, "layer": 2, "scale": 0.3}, seed=0)
    noisy = models.inject_noise(toy_base(), 2, noises.make("gaussian", 0.3), seed=stream_seed(0, "noise"))
    with torch.no_grad():
        expected = (
            torch.softmax(noisy(torch.tensor([[0.45, 0.55]]).expand(100, 2)).double(), dim=1).float().numpy()
        )
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
    assert np.abs(quiet.smoothed - quiet.plain).mean() < 0.05  # tiny noise: F_rob ≈ F
    assert np.abs(loud.smoothed - loud.plain).mean() > np.abs(quiet.smoothed - quiet.plain).mean()
    assert loud.x_train.shape[1] == 2 and set(np.unique(loud.y_train)) == {0, 1}


def test_image_draws_on_mnist():
    result = scene.image_draws_live(
        model=MNIST, index=3, layer=0, noise="laplace", scale=0.2, num=100, seed=0
    )
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
    assert alone.accuracy == result.standard_accuracy  # same stream, same draws, same model


def test_game_plays_the_non_adaptive_the_adaptive_and_the_pure_best_responses_within_the_budget():
    result = scene.game_live(model=MNIST, index=0, layer=0, noise="gaussian", scale=0.25, eps=1.0, seed=0)
    assert result.distance <= 1.0 + 1e-4 and result.adaptive_distance <= 1.0 + 1e-4
    for share in (result.fooled_draws, result.adaptive_fooled_draws, result.clean_errors):
        assert 0 <= share <= 1 and (share * result.draws) == pytest.approx(round(share * result.draws))
    assert isinstance(result.fooled_base, bool) and result.draws == scene.ATTACK_VOTES
    assert result.eot == scene.GAME_EOT and result.pure == scene.PURE_STRATEGIES
    assert result.pure_fooled.shape == (scene.PURE_STRATEGIES,) * 2 and result.pure_fooled.dtype == bool
    assert 0 <= result.pure_broken <= result.pure_right <= result.pure
    # The defenders f_k = suffix(prefix(·) + ε_k) on the clean x, from the stream "pure strategies".
    base = scene._base(MNIST)
    x, label = scene._image(MNIST, 0)
    shifts = noises.make("gaussian", 0.25).sample(
        (scene.PURE_STRATEGIES, *x.shape), generator=stream_generator(0, "pure strategies")
    )
    with torch.no_grad():
        clean = base(x.unsqueeze(0) + shifts).argmax(1).numpy() == label
    np.testing.assert_array_equal(result.pure_clean_right, clean)
    # When most draws answer the label, the vote does.
    for wrong_share, vote_wrong in (
        (result.fooled_draws, result.vote_wrong),
        (result.adaptive_fooled_draws, result.adaptive_vote_wrong),
    ):
        if wrong_share < 0.5:
            assert not vote_wrong
    # Topological reading: TV between vote distributions, under the input-space Gaussian bound 2Φ(‖τ‖/2σ) − 1.
    assert result.tv_bound_adaptive == pytest.approx(
        smoothing.gaussian_tv_bound(result.adaptive_distance, 0.25)
    )
    assert 0 <= result.tv_nonadaptive <= 1 and 0 <= result.tv_adaptive <= 1
    again = scene.game_live(model=MNIST, index=0, layer=0, noise="gaussian", scale=0.25, eps=1.0, seed=0)
    assert shipped.encode(again) == shipped.encode(result)
    back = shipped.decode(shipped.encode(result), scene)
    assert shipped.encode(back) == shipped.encode(result) and back.pure_fooled.dtype == bool
    rows = scene.game_rows(result)
    assert [row["attack"].split(":")[0] for row in rows] == ["non-adaptive", "adaptive", "none (clean x)"]
    laplace = scene.game_live(model=MNIST, index=0, layer=0, noise="laplace", scale=0.2, eps=1.0, seed=0)
    assert laplace.tv_bound_adaptive is None and "needs Gaussian noise" in scene.topology_caption(laplace)


def test_total_variation_is_half_the_l1_distance():
    assert scene.total_variation([0.5, 0.5, 0.0], [0.0, 0.5, 0.5]) == pytest.approx(0.5)
    assert scene.total_variation([1.0, 0.0], [1.0, 0.0]) == 0.0


def _game(clean=(True,) * 5, fooled=None, **change):
    """A Game with the pure strategies' table: ``clean`` f_k(x) = y; ``fooled`` [j, k] = f_k(x'_j) ≠ y
    (default: each
    best response fools its own draw only)."""
    base = dict(
        eps=1.0,
        distance=1.0,
        fooled_base=True,
        fooled_draws=0.3,
        clean_errors=0.0,
        draws=200,
        vote_wrong=False,
        adaptive_distance=1.0,
        adaptive_fooled_draws=0.6,
        adaptive_vote_wrong=True,
        eot=8,
        clean_vote_wrong=False,
        pure=5,
        tv_nonadaptive=0.3,
        tv_adaptive=0.6,
        tv_bound_nonadaptive=0.95,
        tv_bound_adaptive=0.95,
        pure_clean_right=np.array(clean, dtype=bool),
        pure_fooled=np.eye(5, dtype=bool) if fooled is None else np.array(fooled, dtype=bool),
    )
    return scene.Game(**{**base, **change})


def test_game_caption_states_what_was_computed():
    complete = scene.game_caption(_game())
    assert complete.startswith("The adaptive attack fools more draws") and "overstates" in complete
    assert "5 answer x correctly." in complete and "fools 5 of these 5" in complete
    assert "the most one x'_j fools is 1" in complete and "no pure pair found is an equilibrium" in complete
    assert _game().no_pure_equilibrium
    held = np.eye(5, dtype=bool)
    held[[2, 3], [2, 3]] = False
    partial = scene.game_caption(_game(fooled=held, adaptive_fooled_draws=0.1))
    assert "no pure pair found is an equilibrium" not in partial and "fools 3 of these 5" in partial
    assert "need not win" in partial and "no x' within ε that fools 2 of them" in partial
    assert "one x' fools all" not in partial
    assert "Both attacks" in scene.game_caption(_game(adaptive_fooled_draws=0.3))
    assert "Monte Carlo error" in scene.topology_caption(_game(tv_adaptive=0.99, tv_bound_adaptive=0.5))


def test_the_pure_check_leaves_clean_wrong_draws_out_and_looks_for_one_x_fooling_every_draw():
    """The old pairwise check counted draws already wrong on x and never tried each x'_j on every f_k; here
    f_1 and f_2 are right on x, x'_1 fools both, and f_3 (wrong on x) answers x'_1 correctly: pairwise, every
    best response met
    a draw answering y, yet one x' beats every defender in the game — no claim of a missing equilibrium."""
    fooled = np.eye(5, dtype=bool)
    fooled[0, 1] = True  # x'_1 fools f_1 and f_2; f_3 … f_5 answer it correctly
    game = _game(clean=(True, True, False, False, False), fooled=fooled)
    assert (game.pure_right, game.pure_clean_wrong, game.pure_broken) == (2, 3, 2)
    assert game.pure_most_fooled == 2 and game.pure_universal and not game.no_pure_equilibrium
    text = scene.game_caption(game)
    assert "2 answer x correctly (3 already wrong on x, left out)" in text and "fools 2 of these 2" in text
    assert "one x' fools all 2" in text and "no pure pair found is an equilibrium" not in text
    # Without x'_1's double hit, no x' fools both: now (and only now) no pure pair found is an equilibrium.
    alone = _game(clean=(True, True, False, False, False), fooled=np.eye(5, dtype=bool))
    assert alone.no_pure_equilibrium and "no pure pair found is an equilibrium" in scene.game_caption(alone)
    # Clean-wrong draws count nowhere: every x' fooling them changes nothing.
    noisy = np.eye(5, dtype=bool)
    noisy[:, 2:] = True
    assert _game(clean=(True, True, False, False, False), fooled=noisy).no_pure_equilibrium
    nobody = _game(clean=(False,) * 5)
    assert not nobody.no_pure_equilibrium and "no game to play" in scene.game_caption(nobody)
    rows = scene.pure_rows(game)
    assert rows[0]["f_3 (wrong on x: left out)"] == "wrong" and rows[1]["f_2"] == "fooled" and len(rows) == 6


def _generalization(**change):
    base = dict(
        std=0.3,
        train_examples=359,
        test_examples=1438,
        plain_train=1.0,
        plain_test=0.95,
        noisy_train=0.98,
        noisy_test=0.96,
    )
    return scene.Generalization(**{**base, **change})


def test_generalization_caption_follows_the_gaps():
    assert "narrowed the train/held-out gap from 5.0% to 2.0%" in scene.generalization_caption(
        _generalization()
    )
    assert "widened" in scene.generalization_caption(_generalization(noisy_train=1.0, noisy_test=0.90))
    assert "lowered held-out accuracy" in scene.generalization_caption(
        _generalization(noisy_test=0.94, noisy_train=0.95)
    )


def test_generalization_trains_both_networks_on_the_digits(monkeypatch):
    monkeypatch.setattr(scene, "GAP_EPOCHS", 2)
    result = scene.generalization_live(std=0.3, seed=0)
    assert (result.train_examples, result.test_examples) == (359, 1438)
    for value in (result.plain_train, result.plain_test, result.noisy_train, result.noisy_test):
        assert 0.1 < value <= 1  # trained: better than chance on ten classes
    assert result.plain_gap == result.plain_train - result.plain_test
    assert result == scene.generalization_live(std=0.3, seed=0)
    assert scene.generalization_live(std=0.0, seed=0).noisy_test == result.plain_test  # σ = 0 is ERM


@pytest.mark.parametrize(
    "change",
    [
        dict(noise="cauchy"),
        dict(scale=-0.1),
        dict(scale=5.0),
        dict(layer=4),
        dict(num=0),
        dict(x1=1.5),
        dict(seed=-1),
    ],
)
def test_bad_toy_arguments_raise_one_sentence(change):
    with pytest.raises(ValueError):
        scene.toy_draws(**{**TOY, "seed": 0, **change})


@pytest.mark.parametrize(
    "change", [dict(model="no-such-model"), dict(index=20), dict(layer=99), dict(num=10**6)]
)
def test_bad_image_arguments_raise(change):
    with pytest.raises(ValueError):
        scene.image_draws(**{"model": MNIST, "num": 100, **change})


def test_a_shipped_seed_opens_with_shipped_networks(asked_toys):
    asked = asked_toys
    scene.toy_maps_live(layer=0, noise="gaussian", scale=scene.TOY_SCALE[2], seed=3)
    scene.toy_draws_live(
        x1=scene.TOY_POINT[0],
        x2=scene.TOY_POINT[1],
        layer=0,
        noise="gaussian",
        scale=scene.TOY_SCALE[2],
        num=scene.DEFAULT_SAMPLES,
        seed=3,
    )
    assert set(asked) == set(scene.opening_toys(3)) and set(asked) <= set(scene.SHIPPED_TOYS)
