"""Scene 8 · noise → a distribution over decision regions: the attack, the two vote distributions,
their total variation, the F-independent bound 2Φ(‖τ‖₂/2σ) − 1, a caption that says what was computed, and
Pinot et al.'s divergence view (Rényi divergence → radius)."""

import dataclasses
import math

import numpy as np
import pytest
import scipy.integrate
import scipy.stats
import torch

from core import divergence, geometry, smoothing, toys
from core import noise as noises
from core.scenes import decision_distribution as scene
from core.scenes import noise_injection
from core.scenes import shipped as shipped_kit
from core.seeds import stream_seed

TOY = dict(x1=0.45, x2=0.55, sigma=0.15, eps=0.05)


def toy_base(seed=0):
    return toys.model(noise_injection.toy_spec(seed))


def outcome(label, adv_label, p, q, sigma=0.25, distance=0.1, draws=1000):
    p, q = np.array(p), np.array(q)
    return scene.Outcome(
        label=label,
        adv_label=adv_label,
        p=p,
        q=q,
        tv=0.5 * float(np.abs(p - q).sum()),
        distance=distance,
        sigma=sigma,
        draws=draws,
    )


@pytest.mark.parametrize(
    "case, flipped, kept, close",
    [
        (outcome(0, 1, [0.7, 0.3], [0.65, 0.35]), True, True, True),
        (outcome(0, 1, [0.7, 0.3], [0.3, 0.7]), True, False, False),
        (outcome(0, 0, [0.9, 0.1], [0.6, 0.4]), False, True, False),
        (outcome(1, 1, [0.45, 0.55], [0.52, 0.48]), False, False, True),
    ],
)
def test_the_caption_states_what_was_computed(case, flipped, kept, close):
    assert (case.flipped, case.kept, case.close) == (flipped, kept, close)
    text = scene.caption(case, ["cat", "dog"])
    assert ("flips F" in text) == flipped and ("does not flip F" in text) == (not flipped)
    assert ("F_rob keeps its answer" in text) == kept and ("F_rob changes its answer" in text) == (not kept)
    assert ("almost the same" in text) == close and ("differ" in text) == (not close)
    assert f"{case.tv:.3f}" in text
    # The vote counts behind F_rob's answers are in the caption.
    assert f"{round(case.p[case.rob_label] * 1000)}/1000 for {['cat', 'dog'][case.rob_label]} at x" in text


def test_the_caption_changes_when_f_rob_changes_its_answer():
    kept = scene.caption(outcome(0, 1, [0.7, 0.3], [0.6, 0.4]), ["cat", "dog"])
    changed = scene.caption(outcome(0, 1, [0.7, 0.3], [0.4, 0.6]), ["cat", "dog"])
    assert kept != changed
    assert "F_rob keeps its answer (cat)" in kept and "F_rob changes its answer (cat → dog)" in changed


@pytest.mark.parametrize(
    "distance, sigma, p, guaranteed",
    [
        (0.05, 0.25, [0.9, 0.1], True),  # bound 0.080: margin 0.8 > 0.16
        (0.5, 0.25, [0.9, 0.1], False),  # bound 0.683: margin 0.8 ≤ 1.37
        (0.05, 0.25, [0.52, 0.48], False),  # a close vote: the bound cannot keep it
    ],
)
def test_the_bound_caption_follows_the_bound(distance, sigma, p, guaranteed):
    case = outcome(0, 0, p, p, sigma=sigma, distance=distance)
    bound = 2 * scipy.stats.norm.cdf(distance / (2 * sigma)) - 1
    assert case.tv_bound == pytest.approx(bound) and case.guaranteed == guaranteed
    text = scene.bound_caption(case)
    assert f"= {bound:.3f}" in text and ("guarantees nothing" in text) == (not guaranteed)
    assert ("keeps F_rob's answer" in text) == guaranteed
    over = outcome(0, 0, [0.9, 0.1], [0.5, 0.5], sigma=sigma, distance=distance)  # measured TV 0.4
    assert ("exceeds it" in scene.bound_caption(over)) == (0.4 > bound)
    assert "is for Gaussian noise" in scene.bound_caption(outcome(0, 0, p, p, sigma=None))


def test_gaussian_tv_bound_against_scipy_and_monte_carlo():
    """TV(N(0, σ²I), N(τ, σ²I)) = 2Φ(‖τ‖/2σ) − 1: the 1-D integral of |p − q|/2 along τ (scipy), and a
    Monte Carlo estimate of E_P[(1 − q/p)₊] in 5 dimensions."""
    generator = np.random.default_rng(0)
    for sigma, tau in (
        (0.25, np.array([0.1, 0.2, 0.0, 0.05, 0.1])),
        (0.5, np.array([0.6, -0.4, 0.3, 0.0, 0.2])),
    ):
        distance = float(np.linalg.norm(tau))
        bound = smoothing.gaussian_tv_bound(distance, sigma)
        integral, _ = scipy.integrate.quad(
            lambda t: abs(scipy.stats.norm.pdf(t, 0, sigma) - scipy.stats.norm.pdf(t, distance, sigma)) / 2,
            -10,
            10,
            points=[distance / 2],
        )
        assert bound == pytest.approx(integral, abs=1e-8)
        z = generator.normal(0, sigma, size=(200_000, 5))
        log_ratio = ((z**2).sum(1) - ((z - tau) ** 2).sum(1)) / (2 * sigma**2)  # log q/p
        estimate = np.clip(1 - np.exp(log_ratio), 0, None)
        assert abs(estimate.mean() - bound) < 4 * estimate.std() / np.sqrt(len(z))
    assert smoothing.gaussian_tv_bound(0.0, 0.3) == 0.0
    with pytest.raises(ValueError, match="distance"):
        smoothing.gaussian_tv_bound(-1.0, 0.3)


@pytest.mark.parametrize("eps", [0.05, 0.2])
def test_measured_tv_stays_within_the_bound_up_to_sampling_error(eps):
    result = scene.toy_scene_live(**{**TOY, "eps": eps}, seed=0)
    assert result.sigma == TOY["sigma"] and result.draws == scene.TOY_VOTES
    assert result.tv_bound == pytest.approx(smoothing.gaussian_tv_bound(result.distance, TOY["sigma"]))
    # Two independent estimates of two shares: the difference's standard error is ≤ √(2 · 0.25 / draws).
    assert result.tv <= result.tv_bound + 4 * math.sqrt(0.5 / result.draws)


def test_toy_scene_follows_the_base_network_and_the_noise():
    result = scene.toy_scene_live(**TOY, seed=0)
    model = toy_base()
    x, x_adv = torch.tensor(result.x), torch.tensor(result.x_adv)
    with torch.no_grad():
        assert result.label == int(model(x[None]).argmax(1)) and result.adv_label == int(
            model(x_adv[None]).argmax(1)
        )
        np.testing.assert_array_equal(result.cloud_votes, model(torch.tensor(result.cloud)).argmax(1).numpy())
    assert result.distance <= TOY["eps"] + 1e-5
    assert result.tv == pytest.approx(0.5 * np.abs(result.p - result.q).sum())
    assert result.p.sum() == pytest.approx(1) and result.q.sum() == pytest.approx(1)
    assert result.rob_label == int(np.argmax(result.p)) and result.flipped == (
        result.label != result.adv_label
    )
    # The clouds are N(x, σ²I) and N(x_adv, σ²I): their means sit within 4 standard errors.
    tolerance = 4 * TOY["sigma"] / np.sqrt(scene.CLOUD_POINTS)
    assert np.abs(result.cloud.mean(0) - np.array(result.x)).max() < tolerance
    assert np.abs(result.cloud_adv.mean(0) - np.array(result.x_adv)).max() < tolerance
    # p agrees with an independent Monte Carlo estimate (another stream) up to sampling error.
    independent = geometry.class_distribution(
        model,
        x,
        noise=noises.make("gaussian", TOY["sigma"]),
        num=4000,
        seed=stream_seed(0, "test"),
        num_classes=2,
    ).numpy()
    assert np.abs(independent - result.p).max() < 0.05


def test_toy_scene_is_seeded():
    first, again = scene.toy_scene_live(**TOY, seed=0), scene.toy_scene_live(**TOY, seed=0)
    other = scene.toy_scene_live(**TOY, seed=1)
    np.testing.assert_array_equal(first.cloud, again.cloud)
    assert first.p.tolist() == again.p.tolist()
    assert not np.array_equal(first.cloud, other.cloud)


def test_the_two_clouds_and_vote_counts_use_separate_streams():
    result = scene.toy_scene_live(x1=0.45, x2=0.55, sigma=0.15, eps=0.02, seed=0)
    offsets = result.cloud - np.array(result.x)
    offsets_adv = result.cloud_adv - np.array(result.x_adv)
    assert not np.allclose(offsets, offsets_adv)


def test_toy_regions_are_the_base_and_the_smoothed_classifier():
    result = scene.toy_regions_live(sigma=0.3, seed=0)
    plain = geometry.decision_regions(toy_base(), resolution=scene.PLAIN_RESOLUTION)
    np.testing.assert_array_equal(result.labels, plain.labels.numpy())
    assert result.smooth_labels.shape == (scene.SMOOTH_RESOLUTION, scene.SMOOTH_RESOLUTION)
    assert set(np.unique(result.smooth_labels)) <= {0, 1}
    assert result.sigma == 0.3 and result.draws == scene.SMOOTH_DRAWS


def test_image_scene_on_mnist():
    result = scene.image_scene_live(
        model="mnist-gaussian-0.25", index=0, scale=0.25, eps=2.0, votes=100, seed=0
    )
    assert result.distance <= 2.0 + 1e-4
    assert result.p.shape == (10,) and result.p.sum() == pytest.approx(1)
    assert result.x.shape == (28, 28, 3) and result.x_adv.dtype == np.uint8
    assert result.tv == pytest.approx(0.5 * np.abs(result.p - result.q).sum())
    assert result.noise_label.startswith("Gaussian") and result.votes == result.draws == 100
    assert result.sigma == 0.25 and result.tv_bound == pytest.approx(
        smoothing.gaussian_tv_bound(result.distance, 0.25)
    )


@pytest.mark.parametrize("change", [dict(sigma=0.13), dict(eps=0.07), dict(x1=-0.5), dict(seed=-1)])
def test_bad_toy_arguments_raise(change):
    with pytest.raises(ValueError):
        scene.toy_scene(**{**TOY, "seed": 0, **change})


@pytest.mark.parametrize(
    "change",
    [dict(model="mnist-standard"), dict(model="no-such-model"), dict(votes=7), dict(index=20), dict(eps=0.3)],
)
def test_bad_image_arguments_raise(change):
    with pytest.raises(ValueError):
        scene.image_scene(**{"model": "mnist-gaussian-0.25", "eps": 2.0, "votes": 100, **change})


# ---------------------------------------------------------------------------- Pinot et al.: divergence →
# radius


def test_divergence_view_meets_the_closed_forms_and_its_own_curves():
    view = scene.divergence_view(p_a=0.95, beta=1.5, order=3.0, std=0.25)
    assert view.norms == ("l2", "l1", "l1") and view.reproduced == (True, True)
    assert view.radii[0] == pytest.approx(smoothing.renyi_radius(0.95, 0.25), abs=1e-4)
    assert view.radii[1] == pytest.approx(smoothing.laplace_radius(0.95, 0.25 / math.sqrt(2)), abs=1e-4)
    assert (
        view.tight[0] == pytest.approx(smoothing.gaussian_radius(0.95, 0.25))
        and view.radii[0] < view.tight[0]
    )
    assert math.isinf(view.best_orders[1])  # Laplace: the λ → ∞ limit is Teng et al.'s radius
    gennorm = noises.make(
        "generalized_normal", noises.scale_for_std("generalized_normal", 0.25, beta=1.5), beta=1.5
    )
    assert view.radii[2] == pytest.approx(smoothing.exponential_family_radius(gennorm, 0.95))
    assert view.bound == pytest.approx(divergence.li_renyi_bound(0.95, order=3.0))
    for curve, radius in zip(view.divergences, view.order_radii):
        assert np.all(np.diff(curve) >= 0) and curve[0] == 0.0
        # r_λ is where the curve meets the bound: below it before, above it after.
        assert np.interp(radius, view.distances, curve) == pytest.approx(view.bound, rel=0.05)
    # The certificate is the sup over λ: no grid order does better.
    assert np.all(view.radii_by_order.max(axis=1) <= np.array(view.radii) + 1e-9)
    text = scene.divergence_caption(view)
    assert "meets Li et al.’s Gaussian radius" in text and "meets Teng et al.’s Laplace radius" in text
    assert f"{view.radii[2]:.4f}" in text


def test_divergence_caption_says_when_a_closed_form_is_missed():
    view = dataclasses.replace(scene.divergence_view(), radii=(0.1, 0.2, 0.3))
    text = scene.divergence_caption(view)
    assert (
        "differs from Li et al.’s Gaussian radius" in text
        and "differs from Teng et al.’s Laplace radius" in text
    )


def test_the_renyi_order_is_lambda_on_the_divergence_view_never_alpha():
    """α is the confidence level elsewhere in the course; the Rényi order is λ in every text the view
    shows."""
    from ui.figures import decision_distribution as fig

    view = scene.divergence_view()
    texts = [
        scene.DIVERGENCE_EXPLANATION,
        scene.divergence_caption(view),
        *fig.divergence_table(view)[0],
        fig.divergence_curves(view).layout.title.text,
        fig.radius_by_order(view).layout.title.text,
        fig.radius_by_order(view).layout.xaxis.title.text,
        fig.divergence_curves(view).layout.yaxis.title.text,
    ]
    assert not [text for text in texts if "α" in text or r"\alpha" in text]
    assert "Rényi order λ* = 2.45" in scene.divergence_caption(view)
    with pytest.raises(ValueError, match="Rényi order λ"):
        scene.divergence_view(order=1.0)


def test_shift_radius_is_the_one_dimensional_neyman_pearson_radius():
    view = scene.divergence_view(p_a=0.9, beta=1.5, order=2.0, std=0.25)
    # Gaussian and Laplace: the tight radii of Cohen et al. and Teng et al.
    assert view.shift_radii[0] == pytest.approx(view.tight[0]) and view.shift_radii[1] == pytest.approx(
        view.tight[1]
    )
    # Generalized normal: the half-space {t_1 ≤ G⁻¹(p_A)} holds p_A of the noise and flips once moved past it.
    gennorm = scipy.stats.gennorm(1.5, scale=noises.scale_for_std("generalized_normal", 0.25, beta=1.5))
    assert gennorm.cdf(view.shift_radii[2]) == pytest.approx(0.9)
    assert gennorm.cdf(view.shift_radii[2] - 1.001 * view.shift_radii[2]) < 0.5 < gennorm.cdf(0.001)
    # The numbers: the route is sound but below the 1-D radius, and the caption says so from them.
    assert (round(view.radii[2], 4), round(view.shift_radii[2], 4)) == (0.2750, 0.3095)
    text = scene.divergence_caption(view)
    assert (
        "G⁻¹(p_A) = 0.3095 is larger than the route's 0.2750: the route is sound but possibly loose" in text
    )
    assert "[0.2750, 0.3095]" in text and "from this route only" not in text
    assert "σΦ⁻¹(p_A) = 0.3204 is larger than the route's 0.2580: the route is sound but loose" in text
    # Every choice: a sound route never exceeds the 1-D Neyman–Pearson radius.
    for beta in (1.0, 1.25, 2.0):
        other = scene.divergence_view(p_a=0.99, beta=beta, order=2.0, std=0.5)
        assert all(radius <= shift + 1e-4 for radius, shift in zip(other.radii, other.shift_radii))


def test_divergence_caption_orders_the_route_and_the_one_dimensional_radius_as_computed():
    view = scene.divergence_view()
    equal = scene.divergence_caption(dataclasses.replace(view, shift_radii=(0.4, 0.4, view.radii[2] + 5e-5)))
    assert (
        "equals the route's 0.2750 to 1e-4: here the route is tight" in equal
        and "possibly loose" not in equal
    )
    below = scene.divergence_caption(dataclasses.replace(view, shift_radii=(0.4, 0.4, 0.2)))
    assert "G⁻¹(p_A) = 0.2000 is smaller than the route's 0.2750" in below and "possibly loose" not in below
    assert scene.ordering(0.3, 0.31) == "larger" and scene.ordering(0.3, 0.29) == "smaller"


@pytest.mark.parametrize(
    "change", [dict(p_a=0.3), dict(beta=0.5), dict(order=1.0), dict(std=7.0), dict(p_a=True)]
)
def test_bad_divergence_arguments_raise(change):
    with pytest.raises(ValueError):
        scene.divergence_view(**change)


# ---------------------------------------------------------------------------- the whole gallery

MNIST_GALLERY = dict(model="mnist-gaussian-0.25", scale=0.25, eps=3.0, votes=100, seed=0)


@pytest.fixture(scope="module")
def mnist_gallery():
    return scene.gallery_outcomes(**MNIST_GALLERY)


def same_row(a, b) -> bool:
    return (
        (a.index, a.true_label, a.label, a.adv_label, a.draws)
        == (b.index, b.true_label, b.label, b.adv_label, b.draws)
        and np.array_equal(a.p, b.p)
        and np.array_equal(a.q, b.q)
        and a.distance == b.distance
    )


def test_gallery_counts_are_the_rows(mnist_gallery):
    from core.scenes import common

    _, labels = common.gallery("mnist")
    rows = mnist_gallery.rows
    assert [row.index for row in rows] == list(range(len(labels))) and mnist_gallery.images == len(labels)
    assert [row.true_label for row in rows] == labels.tolist()
    assert mnist_gallery.flipped == sum(row.label != row.adv_label for row in rows)
    assert mnist_gallery.changed == sum(int(np.argmax(row.p)) != int(np.argmax(row.q)) for row in rows)
    assert mnist_gallery.flipped_kept == sum(
        row.label != row.adv_label and np.argmax(row.p) == np.argmax(row.q) for row in rows
    )
    assert all(
        row.distance <= 3.0 + 1e-4 and row.draws == 100 and row.p.sum() == pytest.approx(1) for row in rows
    )
    # Each image draws from its own streams: no two rows share their noise (same votes everywhere would).
    assert len({row.p.tobytes() for row in rows}) > 1


def test_gallery_rows_do_not_depend_on_which_images_ran(mnist_gallery):
    followed = []
    subset = scene.gallery_outcomes(
        **MNIST_GALLERY, indices=(7, 2), progress=lambda *done: followed.append(done)
    )
    assert [row.index for row in subset.rows] == [7, 2]
    assert followed == [(0, 2), (1, 2), (2, 2)]  # progress: before the first image, then after each
    assert same_row(subset.rows[0], mnist_gallery.rows[7]) and same_row(subset.rows[1], mnist_gallery.rows[2])
    # … and a row is what the one-image view shows for that image at the same settings and seed.
    single = scene.image_scene_live(index=7, **MNIST_GALLERY)
    assert same_row(
        scene.GalleryRow(**scene._outcome_fields(single), index=7, true_label=subset.rows[0].true_label),
        subset.rows[0],
    )


def test_gallery_rows_follow_the_seed():
    first = scene.gallery_outcomes(**{**MNIST_GALLERY, "seed": 1}, indices=(0,))
    other = scene.gallery_outcomes(**{**MNIST_GALLERY, "seed": 2}, indices=(0,))
    # Another seed, another random start and other draws (p alone may be one-hot at both seeds).
    assert first.rows[0].distance != other.rows[0].distance and not np.array_equal(
        first.rows[0].q, other.rows[0].q
    )


def gallery_of(outcomes) -> scene.GalleryOutcomes:
    rows = tuple(
        scene.GalleryRow(**scene._outcome_fields(case), index=k, true_label=case.label)
        for k, case in enumerate(outcomes)
    )
    return scene.GalleryOutcomes(
        model="m",
        noise_label="Gaussian σ=0.25",
        eps=0.5,
        votes=1000,
        seed=0,
        rows=rows,
        flipped=sum(row.flipped for row in rows),
        changed=sum(not row.kept for row in rows),
        flipped_kept=sum(row.flipped and row.kept for row in rows),
    )


STILL = outcome(0, 0, [0.9, 0.1], [0.85, 0.15])  # F and F_rob keep their answers
FLIP_KEPT = outcome(0, 1, [0.7, 0.3], [0.6, 0.4])  # F flips, F_rob keeps (Cohen et al.'s picture)
FLIP_CHANGED = outcome(0, 1, [0.7, 0.3], [0.3, 0.7])  # both change


@pytest.mark.parametrize(
    "cases, flips, changes, kept_where_flipped",
    [
        ((STILL, STILL, STILL), "none of the 3 images", "none of the 3", None),
        ((FLIP_KEPT, STILL, STILL), "1 of 3 images (a minority)", "none of the 3", "all 1"),
        (
            (FLIP_KEPT, FLIP_CHANGED, STILL, STILL),
            "2 of 4 images (half)",
            "1 of 4 (a minority)",
            "1 of 2 (half)",
        ),
        ((FLIP_CHANGED, FLIP_CHANGED), "all 2 images", "all 2", "none of the 2"),
    ],
)
def test_gallery_caption_follows_the_counts(cases, flips, changes, kept_where_flipped):
    text = scene.gallery_caption(gallery_of(cases))
    assert f"the attack flips F on {flips};" in text
    assert f"F_rob changes its answer on {changes}." in text
    assert ("Where F flips" in text) == (kept_where_flipped is not None)
    if kept_where_flipped:
        assert f"F_rob keeps its answer on {kept_where_flipped}." in text


@pytest.mark.skipif(scene.DEFAULT_MODEL not in scene.models(), reason="needs the shipped default zoo model")
def test_shipped_gallery_is_what_the_scene_computes(monkeypatch):
    """The defaults' gallery-wide run is shipped (a full recompute takes minutes on 2 cores): the file records
    the build command, its counts are its rows', and its rows 0 and 7 are what a fresh run computes."""
    import json

    arguments = shipped_kit.defaults(scene.gallery_outcomes)
    content = json.loads(shipped_kit.scene_file(scene).read_text())
    assert content["command"] == shipped_kit.build_command(scene)
    record = content["results"][shipped_kit.call_key("gallery_outcomes", arguments)]
    shipped = shipped_kit.decode(record["result"], scene)
    assert shipped is not None and [row.index for row in shipped.rows] == list(range(20))
    assert (shipped.flipped, shipped.changed, shipped.flipped_kept) == (
        sum(row.flipped for row in shipped.rows),
        sum(not row.kept for row in shipped.rows),
        sum(row.flipped and row.kept for row in shipped.rows),
    )
    opening = scene.image_scene()  # the shipped one-image view at the same defaults
    assert same_row(
        scene.GalleryRow(**scene._outcome_fields(opening), index=0, true_label=shipped.rows[0].true_label),
        shipped.rows[0],
    )
    fresh = scene.gallery_outcomes_live(**{**arguments, "indices": (0, 7)})
    for row in fresh.rows:
        kept = shipped.rows[row.index]
        assert (kept.label, kept.adv_label, kept.true_label, kept.draws) == (
            row.label,
            row.adv_label,
            row.true_label,
            row.draws,
        )
        np.testing.assert_allclose(kept.p, row.p, atol=1e-6)
        np.testing.assert_allclose(kept.q, row.q, atol=1e-6)
        assert kept.distance == pytest.approx(row.distance, abs=1e-5)
    # At the defaults the scene reads the file, with or without a progress callback: nothing runs.
    monkeypatch.setattr(
        scene, "gallery_outcomes_live", lambda **_: pytest.fail("recomputed the shipped gallery")
    )
    opened = scene.gallery_outcomes(progress=lambda *done: None)
    assert (opened.flipped, opened.changed, opened.flipped_kept) == (
        shipped.flipped,
        shipped.changed,
        shipped.flipped_kept,
    )
    assert [row.q.tolist() for row in opened.rows] == [row.q.tolist() for row in shipped.rows]


@pytest.mark.parametrize("indices", [(20,), (1, 1), (), "3", (-1,), (0.5,)])
def test_bad_gallery_indices_raise(indices):
    with pytest.raises(ValueError):
        scene.gallery_outcomes(**MNIST_GALLERY, indices=indices)


def test_a_shipped_seed_opens_with_shipped_networks(asked_toys):
    asked = asked_toys
    scene.toy_scene_live(
        x1=scene.TOY_POINT[0], x2=scene.TOY_POINT[1], sigma=scene.TOY_SIGMA, eps=scene.TOY_EPS, seed=3
    )
    assert set(asked) == set(scene.opening_toys(3)) and set(asked) <= set(scene.SHIPPED_TOYS)
