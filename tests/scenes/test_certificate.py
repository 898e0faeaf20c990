"""Scene 9 (core.scenes.certificate): CERTIFY on the toy and on gallery images, radius curves, hidden
layers."""

import math

import numpy as np
import pytest
import scipy.stats
import torch

from core import evaluation, experiments, results, smoothing, toys, zoo
from core import noise as noises
from core.scenes import certificate as C
from core.scenes import common
from core.seeds import stream_generator

SMALL = dict(x1=0.25, x2=0.70, sigma=0.1, n0=10, n=200, alpha=0.001)


def test_certify_point_is_cohens_certify_on_the_toy_with_its_named_stream():
    point = C.certify_point(**SMALL, seed=0)
    again = C.certify_point(**SMALL, seed=0)  # a fresh computation (the page caches, the scene does not)
    assert again.certificate == point.certificate
    np.testing.assert_array_equal(again.inside, point.inside)
    np.testing.assert_array_equal(again.verdicts, point.verdicts)
    np.testing.assert_array_equal(again.labels, point.labels)
    model = toys.model(C.toy_spec(0.1, 0))
    expected = smoothing.certify_details(
        model,
        torch.tensor([0.25, 0.70]),
        noise=noises.make("gaussian", 0.1),
        n0=10,
        n=200,
        alpha=0.001,
        batch_size=C.TOY_BATCH,
        generator=stream_generator(0, "certify"),
    )
    assert point.certificate == expected
    c = point.certificate
    p_lower = (
        scipy.stats.binomtest(c.count_a, 200).proportion_ci(confidence_level=1 - 0.002, method="exact").low
    )
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
        return smoothing.Certificate(
            0 if p >= 0.5 else smoothing.ABSTAIN,
            radius,
            p,
            (count_a, n - count_a),
            (10, 0),
            0,
            count_a,
            10,
            n,
            0.001,
            "l2",
        )

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
    assert curves.ceiling_large == pytest.approx(std * scipy.stats.norm.ppf(0.001**1e-5))
    assert curves.linf_ball_l2 == pytest.approx(8 / 255 * math.sqrt(3072))
    assert set(curves.norms.values()) == {"l1", "l2"}
    for values in curves.curves.values():
        assert np.all(np.diff(values) >= -1e-9)  # radii grow with p_A
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
        row = evaluation.certify_example(
            zoo.shared_base(mnist_model),
            images[index],
            int(labels[index]),
            index=index,
            noise=common.zoo_noise(mnist_model)[0],
            batch_size=C.IMAGE_BATCH,
            seed=seed,
            **settings,
        )
        assert (picture.certificate.prediction, picture.radius) == (row["predict"], row["radius"])
        assert not picture.shipped and picture.layer == 0 and picture.lipschitz == 1.0
        assert picture.pixels.shape == (28, 28, 3)
    first = C.certify_image(
        model=mnist_model, index=8, seed=0, **settings
    ).certificate  # votes split: 92 / 7 / 1
    other = C.certify_image(model=mnist_model, index=8, seed=5, **settings).certificate
    assert (first.selection_counts, first.counts) != (other.selection_counts, other.counts)


def test_image_caption_names_what_limits_the_radius(mnist_model):
    picture = C.certify_image(model=mnist_model, index=0, n0=10, n=100, alpha=0.01, seed=0)
    c = picture.certificate
    if picture.limited_by == "ceiling":
        assert (
            c.count_a == c.n
            and picture.radius == pytest.approx(picture.ceiling)
            and "n limits α*" in picture.caption
        )
    elif picture.limited_by in ("statistics", "rate"):
        assert (
            c.count_a < c.n
            and picture.radius < picture.ceiling
            and picture.gap.dominant == picture.limited_by
        )
    else:
        assert c.p_a_lower < 0.5 and "abstains" in picture.caption
    names = ("zero", "one")
    unanimous = smoothing.Certificate(1, 0.5, 0.95, (0, 100), (0, 10), 1, 100, 10, 100, 0.01, "l2")
    assert C.radius_gap(unanimous, noises.make("gaussian", 0.25)) is None
    assert "n limits α*" in C.image_caption(unanimous, names, radius=0.5, ceiling=0.5)


def _split_vote(count_a, n=200, alpha=0.001, sigma=0.25):
    p_lower = smoothing.clopper_pearson_lower(count_a, n, alpha)
    return smoothing.Certificate(
        1,
        smoothing.gaussian_radius(p_lower, sigma),
        p_lower,
        (n - count_a, count_a),
        (0, 100),
        1,
        count_a,
        100,
        n,
        alpha,
        "l2",
    )


@pytest.mark.parametrize("count_a,dominant", [(190, "statistics"), (150, "rate")])
def test_the_gap_to_the_ceiling_splits_into_statistics_and_the_vote_rate(count_a, dominant):
    """ceiling − α* = (σΦ⁻¹(n_A/n) capped at the ceiling − σΦ⁻¹(p̲_A)) + (ceiling − the capped one): at n =
    200, 190 votes of 200 lose more to Clopper–Pearson's slack than to the rate, 150 votes the other way
    round; the
    caption says which, from those numbers."""
    sigma, n, alpha = 0.25, 200, 0.001
    certificate = _split_vote(count_a, n, alpha, sigma)
    gap = C.radius_gap(certificate, noises.make("gaussian", sigma))
    ceiling = sigma * scipy.stats.norm.ppf(alpha ** (1 / n))
    rate_radius = sigma * scipy.stats.norm.ppf(count_a / n)
    assert gap.ceiling == pytest.approx(ceiling) and gap.rate_radius == pytest.approx(rate_radius)
    assert gap.statistical == pytest.approx(min(rate_radius, ceiling) - certificate.radius)
    assert gap.rate == pytest.approx(ceiling - min(rate_radius, ceiling))
    assert gap.statistical + gap.rate == pytest.approx(ceiling - certificate.radius)
    assert gap.dominant == dominant
    # The same vote rate with n = 10 000 draws: what a larger n recovers.
    larger = smoothing.clopper_pearson_lower(round(count_a / n * 10_000), 10_000, alpha)
    assert gap.larger_n == 10_000 and gap.at_larger_n == pytest.approx(sigma * scipy.stats.norm.ppf(larger))
    caption = C.image_caption(
        certificate, ("zero", "one"), radius=certificate.radius, ceiling=ceiling, gap=gap
    )
    assert (
        f"{gap.statistical:.4f} is Clopper–Pearson's slack" in caption
        and f"{gap.rate:.4f} is left" in caption
    )
    assert ("here n, more than p_A, limits α*" in caption) == (dominant == "statistics")
    assert ("here p_A (the noise level and the model), more than n, limits α*" in caption) == (
        dominant == "rate"
    )
    assert f"n = 10 000 would certify {gap.at_larger_n:.4f}" in caption


def test_hidden_layer_images_carry_the_feature_scale_caveat():
    model = "mnist-layer1-gaussian-0.25"
    if model not in zoo.names():
        pytest.skip("needs the shipped MNIST hidden-layer model")
    picture = C.certify_image(model=model, index=3, n0=10, n=100, alpha=0.01, seed=0)
    x = common.gallery("mnist")[0][3]
    with torch.no_grad():
        z = zoo.shared_base(model).prefix(1)(x.unsqueeze(0))[0]
    assert picture.layer == 1 and picture.feature_rms == pytest.approx(
        (float(x.pow(2).mean().sqrt()), float(z.pow(2).mean().sqrt())), rel=1e-5
    )
    assert (
        "Caveat: a noise of scale 0.25 in layer 1's space is not the same noise as 0.25 in pixels"
        in picture.caption
    )
    assert f"{picture.feature_rms[1]:.3g} against {picture.feature_rms[0]:.3g}" in picture.caption
    assert "may be loose" in picture.caption and f"L = {picture.lipschitz:.3g}" in picture.caption
    # Computed here, timed: the page states the forward passes and the seconds they took.
    assert not picture.shipped and picture.seconds > 0 and "computed here on cpu" in picture.source
    assert "n₀ + n = 110 noisy copies" in picture.cost and f"{picture.seconds:.2f} s here" in picture.cost


def test_a_shipped_image_certificate_says_where_it_comes_from():
    """tests/scenes/test_shipped.py compares every shipped certificate, bound and region with a live run."""
    request = dict(
        model="mnist-gaussian-0.25",
        index=1,
        n0=C.DEFAULTS["n0"],
        n=C.DEFAULTS["image_n"],
        alpha=C.DEFAULTS["alpha"],
        seed=0,
    )
    assert C.image_is_shipped(**request) and not C.image_is_shipped(**{**request, "seed": 1})
    shipped = C.certify_image(**request)
    assert shipped.shipped and shipped.certificate == C.gallery_certificate(**request)
    # It says where it comes from and how it was computed (the CPU generator, IEEE fp32), and its forward
    # passes.
    assert (
        shipped.source.startswith("Noise: ")
        and "shipped in assets/scenes/certificate.json, computed on" in shipped.source
    )
    assert (
        "noise from the CPU generator, the IEEE fp32 classifier" in shipped.source and shipped.seconds is None
    )
    assert f"n₀ + n = {request['n0'] + request['n']} noisy copies" in shipped.cost
    assert set(np.unique(C._toy_regions(0.1, 0)[2])) == {0, 1}


def test_hidden_layers_pull_the_ceiling_back_through_the_lipschitz_bounds():
    layers = C.hidden_layers(model=None, sigma=0.1, n=1000, alpha=0.001, seed=0)
    best = smoothing.radius_ceiling(0.1, 0.001, 1000)
    assert layers.best_radius == pytest.approx(best)
    radii, bounds = layers.radii["2-D toy network"], layers.bounds["2-D toy network"]
    assert radii[0] == pytest.approx(best)  # L_0 = 1: the input itself
    np.testing.assert_allclose(radii, best / np.array(bounds))
    assert len(bounds) == len(toys.model(C.toy_spec(0.1, 0)).layers)
    # Beside them, the caveat: σ in a layer's space is not σ in pixels, with the features' computed scale.
    toy = toys.model(C.toy_spec(0.1, 0))
    with torch.no_grad():
        features = toy.representations(toys.split(C.toy_spec(0.1, 0)).x_test)
    rms = layers.feature_rms["2-D toy network"]
    assert len(rms) == len(bounds)
    np.testing.assert_allclose(
        rms, [float(z.pow(2).mean().sqrt()) for z in features[: len(bounds)]], rtol=1e-5
    )
    assert layers.caveat == C.layer_caveat(0.1, layers.feature_rms)
    assert "σ = 0.1 added in layer i's space is not comparable with σ = 0.1 in pixels" in layers.caveat
    assert (
        f"{rms[0]:.3g} at the input, {min(rms[1:]):.3g}–{max(rms[1:]):.3g} at layers 1–{len(rms) - 1}"
        in layers.caveat
    )
    assert "may be loose" in layers.caveat


def test_certify_point_states_its_forward_passes():
    point = C.certify_point(**SMALL, seed=0)
    assert point.seconds > 0
    assert f"n₀ + n = {SMALL['n0'] + SMALL['n']} noisy copies ({point.seconds:.2f} s here" in point.cost
    assert "computationally efficient" in point.cost
    assert ("The ball check adds 40 × 1 000 = 40 000 passes" in point.cost) == point.certified


def test_certified_curves_are_the_shipped_files():
    curves = C.certified_curves()
    for dataset in curves.datasets:
        for curve in curves.curves[dataset]:
            record = results.read("certify", curve.name)
            assert record["dataset"] == dataset and list(curve.accuracy) == record["certified_accuracy"]
            # Each curve carries its own noise's ceiling (in its norm, pulled back by its Lipschitz bound) …
            noise = noises.make(record["noise"]["name"], record["noise"]["scale"])
            expected = (
                smoothing.certify_ceiling(noise, record["alpha"], record["n"]) / record["lipschitz_bound"]
            )
            assert curve.ceiling == pytest.approx(expected) and curve.norm == noise.certified_norm
            # … and no shipped row is certified beyond it.
            assert max(row["radius"] for row in record["rows"]) <= curve.ceiling * (1 + 1e-9)
            # Its caption says how it was computed, from the file (TF32 files: not the IEEE fp32 classifier).
            drawn = experiments.drawn_with(record)
            assert (
                f"computed on {record['device']}: noise from the {drawn['generator'].upper()}"
                in curve.caption
            )
            assert (C.TF32_TEXT in curve.caption) == (drawn["fp32_kernels"] == "tf32")
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
            axis = next(
                t.xaxis
                for t in figure.data
                if t.name and t.name.startswith(curve.name + ",") and "this code" in t.name
            )
            ceiling = next(t for t in figure.data if t.name == f"{curve.name}: ceiling {curve.ceiling:.3g}")
            assert ceiling.xaxis == axis  # the ceiling sits in its curve's panel
            assert list(ceiling.x) == [curve.ceiling] * 2


@pytest.mark.parametrize(
    "call,match",
    [
        (lambda: C.certify_point(**{**SMALL, "sigma": 0.7}, seed=0), "σ must be one of"),
        (lambda: C.certify_point(**{**SMALL, "x1": 1.5}, seed=0), "x₁ must be"),
        (lambda: C.certify_point(**{**SMALL, "alpha": 0.0}, seed=0), "α must be"),
        (lambda: C.certify_point(**{**SMALL, "n": 0}, seed=0), "n must be"),
        (lambda: C.certify_point(**SMALL, seed=-1), "seed"),
        (lambda: C.radius_curves(std=0.3, alpha=0.001, n=100), "standard deviation must be one of"),
        (
            lambda: C.certify_image(model="cifar10-standard", index=0, n0=10, n=10, alpha=0.01, seed=0),
            "not a noise-trained",
        ),
        (
            lambda: C.certify_image(model="mnist-gaussian-0.25", index=25, n0=10, n=10, alpha=0.01, seed=0),
            "gallery image",
        ),
    ],
)
def test_bad_arguments_raise_one_sentence(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# ---------------------------------------------------------------------------- how shipped files were computed
def _certify_file(
    folder, name, *, device, counts, n=10_000, alpha=0.001, sigma=0.25, predictions=None, **extra
):
    """A certify result file as core.experiments writes it, one row per vote count (None: CERTIFY
    abstained)."""
    import json

    noise = noises.make("gaussian", sigma)
    rows = []
    for index, count in enumerate(counts):
        predict = smoothing.ABSTAIN if count is None else (predictions or {}).get(index, 3)
        radius = (
            0.0
            if count is None
            else float(smoothing.certified_radius(noise, smoothing.clopper_pearson_lower(count, n, alpha)))
        )
        rows.append(
            {
                "index": index,
                "label": 3,
                "predict": predict,
                "radius": radius,
                "correct": int(predict == 3),
                "seconds": 0.5,
            }
        )
    record = {
        "command": f"python -m core.experiments certify --name {name}",
        "model": name,
        "model_sha256": "abc",
        "dataset": "cifar10",
        "noise": {"name": "gaussian", "scale": sigma, "layer": 0},
        "norm": "l2",
        "n0": 100,
        "n": n,
        "alpha": alpha,
        "every": 20,
        "seed": 0,
        "noise_chunk": 1000,
        "precision": "fp32",
        "examples": len(rows),
        "lipschitz_bound": 1.0,
        "radii": [0.0, 0.25, 0.5, 0.75, 1.0],
        "certified_accuracy": evaluation.certified_accuracy_curve(rows, [0.0, 0.25, 0.5, 0.75, 1.0]),
        "seconds": 0.5 * len(rows),
        "rows": rows,
        "device": device,
        **extra,
    }
    (folder / f"certify_{name}.json").write_text(json.dumps(record))
    return results.read("certify", name, folder)


# The three kinds of certify files: TF32 on CUDA (before core.device.strict_fp32: no generator keys, an
# inference plan without fp32_kernels), IEEE fp32 on CUDA and on a CPU (the keys certify writes now).
KINDS = {
    "tf32": dict(device="cuda (NVIDIA H200)", inference={"device": "cuda", "precision": "fp32"}),
    "cuda": dict(device="cuda (NVIDIA H100)", generator="cuda", fp32_kernels="ieee"),
    "cpu": dict(device="cpu (2 threads, x86_64)", generator="cpu", fp32_kernels="ieee"),
}


@pytest.mark.parametrize("kind", KINDS)
def test_each_shipped_curve_says_how_it_was_computed(tmp_path, kind):
    from ui.figures import certificate as figures

    record = _certify_file(tmp_path, "cifar10-gaussian-0.25", counts=[9500, 9900, None], **KINDS[kind])
    curve = C.curve_from("cifar10-gaussian-0.25", record)
    made = curve.provenance
    assert (made.generator, made.fp32_kernels) == (("cuda", "tf32") if kind == "tf32" else (kind, "ieee"))
    assert curve.caption.startswith(
        f"cifar10-gaussian-0.25: computed on {KINDS[kind]['device']}: noise from the "
        f"{made.generator.upper()} generator, "
    )
    assert (C.TF32_TEXT in curve.caption) == (kind == "tf32")
    assert ("generator, the IEEE fp32 classifier;" in curve.caption) == (kind != "tf32")
    assert "10 100 forward passes per image (n₀ + n), 0.50 s per image there" in curve.caption
    assert curve.caption.endswith(f"`{record['command']}`")
    curves = C.CertifiedCurves(("cifar10",), {"cifar10": [curve]}, tuple(evaluation.COHEN_RADII), {})
    trace = next(
        t for t in figures.certified_accuracy(curves, "cifar10").data if "this code" in (t.name or "")
    )
    assert ("TF32 convolutions, being recertified" in trace.name) == (kind == "tf32")
    assert made.sentence in trace.hovertemplate


def test_a_hidden_layer_curve_carries_the_pull_back_caveat(tmp_path):
    record = _certify_file(
        tmp_path,
        "cifar10-layer1-gaussian-0.25",
        counts=[9900],
        lipschitz_bound=71.6,
        noise={"name": "gaussian", "scale": 0.25, "layer": 1},
        **KINDS["cpu"],
    )
    caption = C.curve_from("cifar10-layer1-gaussian-0.25", record).caption
    assert (
        "Noise after layer 1: its layer-space radii are divided by the Lipschitz bound L = 71.6, which may "
        "be loose, and a scale of 0.25 in that layer's space is not 0.25 in pixels." in caption
    )


@pytest.mark.parametrize(
    "noise", [noises.make("gaussian", 0.25), noises.make("laplace", 0.1768), noises.make("uniform", 0.433)]
)
def test_vote_counts_are_read_back_from_the_radius(noise):
    for count in (5200, 9137, 9999, 10_000):
        radius = float(
            smoothing.certified_radius(noise, smoothing.clopper_pearson_lower(count, 10_000, 0.001))
        )
        assert C.vote_count(radius, noise=noise, n=10_000, alpha=0.001) == count
    assert C.vote_count(0.0, noise=noise, n=10_000, alpha=0.001) is None
    assert C.vote_count(0.123456, noise=noise, n=10_000, alpha=0.001) is None  # no count gives that radius


def test_like_for_like_rows_must_repeat_exactly(tmp_path):
    counts = [9500, 9900, None, 10_000]
    (tmp_path / "a").mkdir(), (tmp_path / "b").mkdir()
    shipped = _certify_file(tmp_path / "a", "m", counts=counts, **KINDS["cpu"])
    again = _certify_file(tmp_path / "b", "m", counts=counts, **KINDS["cpu"])
    same = C.compare_certify_rows(again, shipped)
    assert same.exact and (same.agreeing, same.compared, same.differing) == (4, 4, ())
    assert same.label == "Rows identical to the shipped ones"
    assert (
        "must repeat exactly" in same.caption and "radius within 1e-09 relative): 4 of 4 do." in same.caption
    )
    # One vote more on image 1 (a radius 1e-5 relative away) breaks identity, though not CERTIFY's statistics.
    one_more = _certify_file(tmp_path / "b", "m", counts=[9500, 9901, None, 10_000], **KINDS["cpu"])
    changed = C.compare_certify_rows(one_more, shipped)
    assert changed.exact and changed.differing == (1,) and "Rows of images 1 do not." in changed.caption
    assert "1 of them differ by at most 2 votes" in changed.caption  # what rounding can flip, said so
    many_more = _certify_file(tmp_path / "b", "m", counts=[9500, 9950, None, 10_000], **KINDS["cpu"])
    assert "at most 2 votes" not in C.compare_certify_rows(many_more, shipped).caption
    # A radius within the float tolerance is the same row.
    nudged = {**again, "rows": [dict(row) for row in again["rows"]]}
    nudged["rows"][0]["radius"] *= 1 + 1e-12
    assert C.compare_certify_rows(nudged, shipped).differing == ()
    # Another model or other images: nothing to compare.
    assert C.compare_certify_rows({**again, "every": 10}, shipped) is None
    # A file from before noise_chunk drew its noise in its batches (its command's --batch-size): other draws.
    older = {key: value for key, value in shipped.items() if key != "noise_chunk"}
    older["command"] += " --batch-size 2000"
    drawn_otherwise = C.compare_certify_rows(again, older)
    assert (
        not drawn_otherwise.exact and "noise_chunk is 1000 here and 2000 shipped" in drawn_otherwise.caption
    )


def test_across_device_kinds_or_tf32_rows_agree_within_certifys_statistics(tmp_path):
    for folder in ("cuda", "tf32", "cpu"):
        (tmp_path / folder).mkdir()
    recomputed = _certify_file(
        tmp_path / "cpu", "m", counts=[9500, 9900, None, 10_000, 9000], predictions={4: 5}, **KINDS["cpu"]
    )
    for kind, reason in (
        ("cuda", "the shipped noise was drawn by the CUDA generator and this by the CPU one"),
        ("tf32", "the shipped file ran TF32 convolutions, not the IEEE fp32 classifier"),
    ):
        # Image 0: 9 500 against 9 520 votes (overlapping intervals); 1: 9 900 against 9 000 (disjoint);
        # 2: abstains here (agrees whatever the other says); 3: equal; 4: another class certified.
        shipped = _certify_file(tmp_path / kind, "m", counts=[9520, 9000, 9800, 10_000, 9000], **KINDS[kind])
        comparison = C.compare_certify_rows(recomputed, shipped)
        assert not comparison.exact and comparison.label == "Rows agreeing within CERTIFY's statistics"
        assert (comparison.agreeing, comparison.compared, comparison.differing) == (3, 5, (1, 4))
        assert comparison.caption.startswith("Not like for like — ") and reason in comparison.caption
        assert "must" not in comparison.caption and "Rows of images 1, 4 do not." in comparison.caption
        low, high = C.vote_interval(9500, 10_000, 0.001)
        assert (
            low == pytest.approx(smoothing.clopper_pearson_lower(9500, 10_000, 0.001)) and low < 0.95 < high
        )
    # The same device kind at another n is not like for like either.
    other_n = _certify_file(
        tmp_path / "cuda", "m", counts=[950, 990, None, 1000, 900], n=1000, **KINDS["cpu"]
    )
    comparison = C.compare_certify_rows(recomputed, other_n)
    assert not comparison.exact and "n is 10000 here and 1000 shipped" in comparison.caption
    assert comparison.differing == (4,)


def test_an_unreadable_shipped_file_is_said_not_silently_left_out(monkeypatch):
    def read(kind, subject, *args, **kwargs):
        raise results.ResultsUnavailable(
            f"The shipped file certify_{subject}.json does not hold a result; recompute it."
        )

    monkeypatch.setattr(results, "available", lambda kind, *args, **kwargs: ["cifar10-gaussian-0.25"])
    monkeypatch.setattr(results, "read", read)
    curves = C.certified_curves()
    assert curves.datasets == () and curves.unreadable == (
        "The shipped file certify_cifar10-gaussian-0.25.json does not hold a result; recompute it.",
    )
