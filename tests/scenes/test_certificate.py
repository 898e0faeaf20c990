"""Scene 9 (core.scenes.certificate): CERTIFY on the toy and on gallery images, radius curves, hidden layers."""
import math

import numpy as np
import pytest
import scipy.stats
import torch

from core import evaluation, noise as noises, results, smoothing, toys, zoo
from core.scenes import certificate as C
from core.scenes import common
from core.seeds import stream_generator

SMALL = dict(x1=0.25, x2=0.70, sigma=0.1, n0=10, n=200, alpha=0.001)


def test_certify_point_is_cohens_certify_on_the_toy_with_its_named_stream():
    point = C.certify_point(**SMALL, seed=0)
    again = C.certify_point.__wrapped__(**SMALL, seed=0)          # a fresh computation, not the cached one
    assert again.certificate == point.certificate
    np.testing.assert_array_equal(again.inside, point.inside)
    np.testing.assert_array_equal(again.verdicts, point.verdicts)
    np.testing.assert_array_equal(again.labels, point.labels)
    model = toys.model(C.toy_spec(0.1, 0))
    expected = smoothing.certify_details(model, torch.tensor([0.25, 0.70]), noise=noises.make("gaussian", 0.1), n0=10, n=200,
                                         alpha=0.001, batch_size=C.TOY_BATCH, generator=stream_generator(0, "certify"))
    assert point.certificate == expected
    c = point.certificate
    p_lower = scipy.stats.binomtest(c.count_a, 200).proportion_ci(confidence_level=1 - 0.002, method="exact").low
    assert c.p_a_lower == pytest.approx(p_lower, rel=1e-9)
    assert point.certified and c.radius == pytest.approx(0.1 * scipy.stats.norm.ppf(p_lower), rel=1e-9)
    assert c.radius <= point.ceiling == pytest.approx(0.1 * scipy.stats.norm.ppf(0.001 ** (1 / 200)))
    # The sampled points lie in the certified disc, one PREDICT verdict each.
    assert point.inside.shape == (C.BALL_POINTS, 2) and len(point.verdicts) == C.BALL_POINTS
    assert np.all(np.linalg.norm(point.inside - np.array(point.x), axis=1) <= c.radius + 1e-6)
    assert point.same + point.abstain + point.other == C.BALL_POINTS
    assert point.labels.shape == (C.REGION_RESOLUTION, C.REGION_RESOLUTION)


def test_the_ball_caption_follows_the_outcome():
    def certificate(count_a, n=1000):
        p = smoothing.clopper_pearson_lower(count_a, n, 0.001)
        radius = smoothing.gaussian_radius(p, 0.1) if p >= 0.5 else 0.0
        return smoothing.Certificate(0 if p >= 0.5 else smoothing.ABSTAIN, radius, p, (count_a, n - count_a),
                                     (10, 0), 0, count_a, 10, n, 0.001, "l2")
    clean = C.ball_caption(certificate(990), 40, 0, 0, 0.3)
    assert clean.startswith("**No adversarial point") and "40 of 40" in clean
    found = C.ball_caption(certificate(990), 37, 1, 2, 0.3)
    assert "No adversarial point" not in found and "2 sampled points got another class" in found
    assert "abstains" in C.ball_caption(certificate(510), 0, 0, 0, 0.3)
    point = C.certify_point(**SMALL, seed=0)
    assert point.adversarial_inside == (point.other > 0)
    assert point.caption.startswith("**No adversarial point") == (point.other == 0)


def test_radius_curves_and_ceilings_match_the_closed_forms():
    std, alpha, n = 0.25, 0.001, 1000
    curves = C.radius_curves(std=std, alpha=alpha, n=n)
    best = alpha ** (1 / n)
    assert curves.best_p_a == pytest.approx(best)
    assert curves.ceilings["gaussian"] == pytest.approx(std * scipy.stats.norm.ppf(best))
    assert curves.ceilings["laplace"] == pytest.approx(-(std / math.sqrt(2)) * math.log(2 * (1 - best)))
    assert curves.ceilings["uniform"] == pytest.approx(2 * std * math.sqrt(3) * (best - 0.5))
    assert curves.ceiling_large == pytest.approx(std * scipy.stats.norm.ppf(0.001 ** 1e-5))
    assert curves.linf_ball_l2 == pytest.approx(8 / 255 * math.sqrt(3072))
    assert set(curves.norms.values()) == {"l1", "l2"}
    for values in curves.curves.values():
        assert np.all(np.diff(values) >= -1e-9)      # radii grow with p_A
    assert C.radius_curves(std=std, alpha=alpha, n=10_000).ceilings["gaussian"] > curves.ceilings["gaussian"]


@pytest.fixture(scope="module")
def mnist_model():
    if "mnist-gaussian-0.50" not in zoo.names():
        pytest.skip("needs the shipped MNIST models")
    return "mnist-gaussian-0.50"


def test_certify_image_is_the_certify_row_of_seed_plus_index(mnist_model):
    settings = dict(n0=10, n=100, alpha=0.01)
    for seed, index in ((0, 8), (5, 8)):
        picture = C.certify_image(model=mnist_model, index=index, seed=seed, **settings)
        images, labels = common.gallery("mnist")
        row = evaluation.certify_example(zoo.shared_base(mnist_model), images[index], int(labels[index]), index=index,
                                         noise=common.zoo_noise(mnist_model)[0], batch_size=C.IMAGE_BATCH, seed=seed,
                                         **settings)
        assert (picture.certificate.prediction, picture.radius) == (row["predict"], row["radius"])
        assert not picture.shipped and picture.layer == 0 and picture.lipschitz == 1.0
        assert picture.pixels.shape == (28, 28, 3)
    first = C.certify_image(model=mnist_model, index=8, seed=0, **settings).certificate   # votes split: 92 / 7 / 1
    other = C.certify_image(model=mnist_model, index=8, seed=5, **settings).certificate
    assert (first.selection_counts, first.counts) != (other.selection_counts, other.counts)


def test_image_caption_names_what_limits_the_radius(mnist_model):
    picture = C.certify_image(model=mnist_model, index=0, n0=10, n=100, alpha=0.01, seed=0)
    c = picture.certificate
    if picture.limited_by == "n":
        assert c.count_a == c.n and picture.radius == pytest.approx(picture.ceiling) and "n limits α*" in picture.caption
    elif picture.limited_by == "p_a":
        assert c.count_a < c.n and picture.radius < picture.ceiling and "not n, limits α*" in picture.caption
    else:
        assert c.p_a_lower < 0.5 and "abstains" in picture.caption
    names = ("zero", "one")
    unanimous = smoothing.Certificate(1, 0.5, 0.95, (0, 100), (0, 10), 1, 100, 10, 100, 0.01, "l2")
    split = smoothing.Certificate(1, 0.3, 0.9, (8, 92), (0, 10), 1, 92, 10, 100, 0.01, "l2")
    assert "n limits α*" in C.image_caption(unanimous, names, 0.5, 0.5, 0, 1.0, 0.5)
    assert "not n, limits α*" in C.image_caption(split, names, 0.3, 0.5, 0, 1.0, 0.3)


def test_shipped_image_certificates_equal_a_live_run():
    if not C.SCENE_FILE.exists():
        pytest.skip("assets/scenes/certificate.json is not built")
    model = "mnist-gaussian-0.25"
    request = dict(model=model, index=1, n0=C.DEFAULTS["n0"], n=C.DEFAULTS["image_n"], alpha=C.DEFAULTS["alpha"],
                   seed=0)
    assert C.image_is_shipped(**request)
    shipped = C.certify_image(**request)
    assert shipped.shipped
    assert shipped.certificate == C._certify_gallery_image(model, 1, request["n0"], request["n"], request["alpha"], 0)
    assert not C.image_is_shipped(**{**request, "seed": 1})
    # The shipped Lipschitz bounds are those core.lipschitz computes now (same weights, same code).
    assert C.layer_bounds(model) == pytest.approx(C._layer_bounds_live(model), rel=1e-6)


def test_shipped_regions_equal_a_live_run():
    if not C.SCENE_FILE.exists():
        pytest.skip("assets/scenes/certificate.json is not built")
    xs, ys, labels = C._toy_regions(0.1, 0)
    live = C._toy_regions_live(0.1, 0)
    np.testing.assert_allclose(xs, live[0], atol=1e-6)
    np.testing.assert_array_equal(labels, live[2])
    assert set(np.unique(labels)) == {0, 1}


def test_hidden_layers_pull_the_ceiling_back_through_the_lipschitz_bounds():
    layers = C.hidden_layers(model=None, sigma=0.1, n=1000, alpha=0.001, seed=0)
    best = smoothing.radius_ceiling(0.1, 0.001, 1000)
    assert layers.best_radius == pytest.approx(best)
    radii, bounds = layers.radii["2-D toy network"], layers.bounds["2-D toy network"]
    assert radii[0] == pytest.approx(best)                      # L_0 = 1: the input itself
    np.testing.assert_allclose(radii, best / np.array(bounds))
    assert len(bounds) == len(toys.model(C.toy_spec(0.1, 0)).layers)


def test_certified_curves_are_the_shipped_files():
    curves = C.certified_curves()
    for dataset in curves.datasets:
        for curve in curves.curves[dataset]:
            record = results.read("certify", curve.name)
            assert record["dataset"] == dataset and list(curve.accuracy) == record["certified_accuracy"]
            # Each curve carries its own noise's ceiling (in its norm, pulled back by its Lipschitz bound) …
            noise = noises.make(record["noise"]["name"], record["noise"]["scale"])
            expected = smoothing.certify_ceiling(noise, record["alpha"], record["n"]) / record["lipschitz_bound"]
            assert curve.ceiling == pytest.approx(expected) and curve.norm == noise.certified_norm
            # … and no shipped row is certified beyond it.
            assert max(row["radius"] for row in record["rows"]) <= curve.ceiling * (1 + 1e-9)
    assert curves.published_radii == tuple(evaluation.COHEN_RADII)


def test_certified_accuracy_figure_has_one_panel_per_norm():
    from ui.figures import certificate as figures

    curves = C.certified_curves()
    for dataset in curves.datasets:
        figure = figures.certified_accuracy(curves, dataset)
        norms = sorted({c.norm for c in curves.curves[dataset]})
        titles = sorted(a.text for a in figure.layout.annotations)
        assert titles == sorted(f"{C.NORM_LABELS[n]} radii" for n in norms)
        for curve in curves.curves[dataset]:
            axis = next(t.xaxis for t in figure.data if t.name and t.name.startswith(curve.name + ",") and "this code" in t.name)
            ceiling = next(t for t in figure.data if t.name == f"{curve.name}: ceiling {curve.ceiling:.3g}")
            assert ceiling.xaxis == axis                         # the ceiling sits in its curve's panel
            assert list(ceiling.x) == [curve.ceiling] * 2


@pytest.mark.parametrize("call,match", [
    (lambda: C.certify_point(**{**SMALL, "sigma": 0.7}, seed=0), "σ must be one of"),
    (lambda: C.certify_point(**{**SMALL, "x1": 1.5}, seed=0), "x₁ must be"),
    (lambda: C.certify_point(**{**SMALL, "alpha": 0.0}, seed=0), "α must be"),
    (lambda: C.certify_point(**{**SMALL, "n": 0}, seed=0), "n must be"),
    (lambda: C.certify_point(**SMALL, seed=-1), "seed"),
    (lambda: C.radius_curves(std=0.3, alpha=0.001, n=100), "standard deviation must be one of"),
    (lambda: C.certify_image(model="cifar10-standard", index=0, n0=10, n=10, alpha=0.01, seed=0), "not a noise-trained"),
    (lambda: C.certify_image(model="mnist-gaussian-0.25", index=25, n0=10, n=10, alpha=0.01, seed=0), "gallery image"),
])
def test_bad_arguments_raise_one_sentence(call, match):
    with pytest.raises(ValueError, match=match):
        call()
