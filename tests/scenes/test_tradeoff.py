"""Scene 10 (trade-off & best attacks): batched PREDICT/CERTIFY agree with core.smoothing, the live
trade-off and the bounds follow their definitions, shipped results match a recomputation, captions
follow the computed facts, bad arguments raise ValueError."""
import dataclasses
import json
import math

import numpy as np
import pytest
import scipy.stats

from core import noise as noises, results, smoothing, toys
from core.scenes import tradeoff as scene


# ---------------------------------------------------------------------------- batched PREDICT / CERTIFY

def test_predict_many_is_scipys_binomial_test_row_by_row():
    rng = np.random.default_rng(0)
    counts = np.vstack([rng.integers(0, 60, size=(200, 3)), [[10, 10, 0], [0, 0, 0], [7, 0, 0], [50, 49, 1]]])
    got = scene.predict_many(counts, 0.01)
    for row, prediction in zip(counts, got):
        a, b = sorted(row, reverse=True)[:2]
        rejects = a + b > 0 and scipy.stats.binomtest(int(a), int(a + b), 0.5).pvalue <= 0.01
        assert prediction == (int(np.argmax(row)) if rejects else smoothing.ABSTAIN)


@pytest.mark.parametrize("name", ["gaussian", "laplace", "uniform"])
def test_certify_many_is_clopper_pearson_then_the_noises_radius(name):
    noise = noises.make(name, 0.3)
    n = 100
    estimation = np.array([[100, 0], [90, 10], [55, 45], [0, 100], [70, 30]])
    selection = np.array([[5, 0], [3, 2], [4, 1], [0, 5], [1, 4]])     # the last guesses the minority class
    prediction, radius, p_lower = scene.certify_many(selection, estimation, noise, 0.001, dim=2)
    for k in range(len(estimation)):
        guess = int(np.argmax(selection[k]))
        expected_p = smoothing.clopper_pearson_lower(int(estimation[k, guess]), n, 0.001)
        assert p_lower[k] == pytest.approx(expected_p, abs=1e-12)
        if expected_p < 0.5:
            assert prediction[k] == smoothing.ABSTAIN and radius[k] == 0
        else:
            assert prediction[k] == guess
            assert radius[k] == pytest.approx(smoothing.certified_radius(noise, expected_p, dim=2), rel=1e-9)
    assert prediction[-1] == smoothing.ABSTAIN                          # p_A_lower of class 1 from 30/100 < ½


def test_each_row_carries_its_noise_ceiling_and_no_certificate_exceeds_it():
    result = scene.toy_tradeoff(seed=0, noises_chosen=("gaussian",), radius=0.0)
    for row in result.rows:
        assert row.ceiling == pytest.approx(smoothing.radius_ceiling(row.scale, scene.TOY_ALPHA, scene.TOY_N))
        above = scene.toy_tradeoff(seed=0, noises_chosen=("gaussian",), radius=row.ceiling + 1e-6)
        assert [r.certified_accuracy for r in above.rows if r.std == row.std] == [0.0]


# ---------------------------------------------------------------------------- live trade-off

def test_toy_tradeoff_follows_its_definitions():
    small = scene.toy_tradeoff(seed=0, noises_chosen=("gaussian",), radius=0.0)
    large = scene.toy_tradeoff(seed=0, noises_chosen=("gaussian",), radius=0.2)
    again = scene.toy_tradeoff(seed=0, noises_chosen=("gaussian",), radius=0.2)
    assert large == again                                                       # deterministic for a seed
    assert [row.std for row in large.rows] == list(scene.TOY_STDS)
    for a, b in zip(small.rows, large.rows):
        assert a.clean_accuracy == b.clean_accuracy                             # r only selects certificates
        assert b.certified_accuracy <= a.certified_accuracy == a.certified_accuracy_at_0
        assert b.beyond_ceiling == (0.2 > b.ceiling)
        if b.beyond_ceiling:
            assert b.certified_accuracy == 0
    facts = large.facts[0]
    best = max(row.clean_accuracy for row in large.rows)
    assert facts.most_accurate == tuple(row.std for row in large.rows if row.clean_accuracy == best)
    assert facts.tradeoff == (not set(facts.most_accurate) & set(facts.most_certified))


def test_toy_certificates_agree_with_a_direct_count_and_change_with_the_seed(monkeypatch):
    real = toys.model
    monkeypatch.setattr(toys, "model", lambda spec: real(dataclasses.replace(spec, seed=0)))   # no training
    certificates = scene._toy_certificates.__wrapped__
    zero = certificates(0, "gaussian", 0.1, 30, 10, 100, 0.001)
    one = certificates(1, "gaussian", 0.1, 30, 10, 100, 0.001)
    assert not np.array_equal(zero["radius"], one["radius"])
    # the PREDICT votes of seed 0 recounted by core.smoothing with the same named stream
    spec = scene.toy_spec("gaussian", 0.1, 0)
    x = toys.split(spec).x_test[:30]
    votes = smoothing.sample_counts_many(real(spec), x, noise=noises.make("gaussian", 0.1), num=100, batch_size=999,
                                         generator=scene.stream_generator(0, "toy gaussian 0.1 predict")).numpy()
    assert np.array_equal(zero["predict"], scene.predict_many(votes, 0.001))


def test_tradeoff_caption_follows_the_facts():
    result = scene.toy_tradeoff(seed=0, noises_chosen=("gaussian",), radius=0.1)
    row = result.rows[0]
    fake = [dataclasses.replace(row, std=s, clean_accuracy=c, certified_accuracy=r, beyond_ceiling=False)
            for s, c, r in [(0.05, 0.9, 0.1), (0.25, 0.8, 0.5)]]
    trade = dataclasses.replace(result, rows=tuple(fake), facts=(scene.NoiseFacts("gaussian", (0.05,), (0.25,), True),))
    none = dataclasses.replace(trade, facts=(scene.NoiseFacts("gaussian", (0.05,), (0.05,), False),))
    assert "robustness is paid in accuracy" in scene.tradeoff_caption(trade)
    assert "no trade-off shows" in scene.tradeoff_caption(none)
    capped = dataclasses.replace(trade, rows=(dataclasses.replace(fake[0], beyond_ceiling=True),))
    assert "Beyond the ceiling" in scene.tradeoff_caption(capped) and "Beyond" not in scene.tradeoff_caption(trade)


# ---------------------------------------------------------------------------- shipped table

def test_shipped_tradeoff_is_the_shipped_file():
    datasets = scene.shipped_datasets()
    assert datasets and datasets[0] == "cifar10"
    table = scene.shipped_tradeoff(dataset="cifar10")
    raw = results.read("tradeoff", "cifar10")
    assert [row.model for row in table.rows] == [row["model"] for row in raw["rows"]]
    assert list(table.rows[0].curve) == raw["rows"][0]["certified_accuracy"]
    assert table.default_radius == 0.5 and table.cohen
    assert not scene.shipped_tradeoff(dataset=datasets[-1]).cohen or datasets[-1] == "cifar10"


# ---------------------------------------------------------------------------- bounds: the same F_rob on both sides

def test_toy_bounds_shipped_for_seed_0_match_a_recomputed_certify_part_and_are_sound():
    result = scene.toy_bounds(seed=0, std=0.1)
    assert result.shipped
    part = scene._toy_bounds_parts(0, 0.1, parts=("certify",))
    np.testing.assert_allclose(result.radius, part["radius"], rtol=1e-9)
    assert np.array_equal(result.certified_correct, part["correct"])
    assert np.all(np.diff(result.certified) <= 0) and np.all(np.diff(result.empirical) <= 0)
    assert np.all(result.radii <= result.ceiling + 1e-9)
    assert result.ceiling == pytest.approx(smoothing.certify_ceiling(noises.make("gaussian", 0.1), scene.TOY_ALPHA,
                                                                     scene.TOY_BOUNDS_N))
    assert result.ceiling > np.max(result.radii)                    # n is large enough not to cap the radii
    assert result.facts["beaten"] == 0                              # no attack inside a certified ball
    assert result.facts["ordered"]


def test_bounds_follow_their_definitions_from_the_parts():
    parts = {"radius": [0.0, 0.1, 0.3, 0.25], "correct": [False, True, True, True],
             "attack_distance": [0.0, 0.12, None, 0.4]}
    b = scene._assemble(parts, noise=noises.make("gaussian", 0.25), eps_list=(0.0, 0.1, 0.2, 0.5), n0=10, n=10_000,
                        alpha=0.001, votes=100, attack=scene.TOY_ATTACK, title="t")
    assert b.certified.tolist() == [0.75, 0.75, 0.5, 0.0]             # correct and α* ≥ ε
    assert b.empirical.tolist() == [0.75, 0.75, 0.5, 0.25]            # no vote change found within ε (None = ∞)
    assert b.radii.tolist() == [0.1, 0.3, 0.25] and np.isinf(b.distances[1])
    assert b.facts["not_found"] == 1 and b.facts["paired"] == 2 and b.facts["beaten"] == 0
    assert b.facts["median_ratio"] == pytest.approx(np.median([0.1 / 0.12, 0.25 / 0.4]))


def test_the_attack_part_is_seeded_and_inside_its_ball():
    spec = scene.toy_spec("gaussian", 0.1, 0)
    split = toys.split(spec)
    x, y = split.x_test[:6], split.y_test[:6]
    tiny = {"eps_max": 0.4, "search_steps": 2, "steps": 3, "draws": 4, "restarts": 1}
    run = lambda seed: scene._attack_part(toys.model(spec), x, y, noise=noises.make("gaussian", 0.1), votes=50,
                                          attack=tiny, seed=seed, stream="test")["attack_distance"]
    a, b = run(0), run(0)
    assert np.array_equal(a, b)
    assert np.all((a <= 0.4 + 1e-6) | np.isinf(a))


def _bounds(**parts):
    base = {"eps": (0.0, 0.5), "radius": [0.1, 0.6], "correct": [True, True], "attack_distance": [0.3, 0.9]}
    base.update(parts)
    eps = base.pop("eps")
    return scene._assemble(base, noise=noises.make("gaussian", 0.25), eps_list=eps, n0=10, n=10_000, alpha=0.001,
                           votes=100, attack=scene.IMAGE_ATTACK, title="t", linf=8 / 255, linf_l2=1.74)


def test_bounds_caption_follows_the_facts():
    ordered = _bounds()
    assert ordered.facts["ordered"] and "Certified ≤ empirical at every ε" in scene.bounds_caption(ordered)
    broken = _bounds(attack_distance=[0.3, 0.4])                     # an attack inside the ball of radius 0.6
    assert not broken.facts["ordered"] and "Certified exceeds empirical at ε = 0.5" in scene.bounds_caption(broken)
    assert broken.facts["beaten"] == 1 and "On 1 point(s) the attack found a vote change" in scene.bounds_caption(broken)
    assert "No attack got inside a certified ball" in scene.bounds_caption(ordered)
    assert "p_A, not n, limits α*" in scene.bounds_caption(ordered)
    capped = _bounds(radius=[0.1, ordered.ceiling], attack_distance=[0.3, 1.0])
    assert capped.facts["at_ceiling"] == 1 and "1 of 2 certified radii sit at the ceiling" in scene.bounds_caption(capped)
    assert "beyond every certified radius" in scene.bounds_caption(ordered)
    assert "within reach of the largest" in scene.bounds_caption(_bounds(radius=[0.1, 1.8], attack_distance=[0.3, 1.9]))
    assert f"median {np.median([0.1 / 0.3, 0.6 / 0.9]):.0%} of the distance" in scene.bounds_caption(ordered)
    assert "no vote change was found" in scene.bounds_caption(_bounds(attack_distance=[0.3, None]))
    assert "no vote change was found" not in scene.bounds_caption(ordered)


def test_verdict_compares_alpha_star_with_the_attack_on_the_same_classifier():
    close = _bounds(radius=[0.5, 0.5], attack_distance=[0.55, 0.55])
    far = _bounds(radius=[0.1, 0.1], attack_distance=[0.5, 0.5])
    assert close.facts["median_attack"] == pytest.approx(0.55)
    assert scene.verdict(close).correct == (False, True, False)
    assert scene.verdict(far).correct == (True, False, False)


# ---------------------------------------------------------------------------- CIFAR-10: shipped certificates, attacked

def test_cifar_bounds_pair_the_shipped_certificates_with_the_attack():
    result = scene.cifar_bounds()
    if result is None:
        pytest.skip("no CIFAR-10 record in assets/scenes/tradeoff.json for today's model")
    shipped = results.read("certify", scene.CIFAR_MODEL)["rows"][:result.examples]
    record = json.loads(scene.SCENE_FILE.read_text())["cifar"]
    for k, row in enumerate(shipped):
        if record["n"][k] == results.read("certify", scene.CIFAR_MODEL)["n"]:   # not recertified
            assert result.radius[k] == pytest.approx(row["radius"] if row["correct"] else 0.0)
    assert np.all(result.radii <= result.ceiling + 1e-9)
    assert result.facts["beaten"] == 0
    assert result.linf_l2 == pytest.approx(8 / 255 * math.sqrt(3072))


# ---------------------------------------------------------------------------- is α* too small? the numbers

def test_alpha_star_limits_are_computed_from_the_shipped_rows():
    limits = scene.alpha_star_limits(dataset="cifar10")
    assert limits.needed == pytest.approx(8 / 255 * math.sqrt(3072)) and limits.dim == 3072
    assert [row.sigma for row in limits.rows] == sorted(row.sigma for row in limits.rows)
    for row in limits.rows:
        rows = results.read("certify", row.model)["rows"]
        hits = [r["correct"] and r["radius"] >= limits.needed for r in rows]
        assert row.certified_at_needed == pytest.approx(np.mean(hits))
        noise = noises.make("gaussian", row.sigma)
        assert row.ceiling == pytest.approx(smoothing.certify_ceiling(noise, limits.alpha, row.n))
        if row.ceiling < limits.needed:
            assert row.certified_at_needed == 0
        assert smoothing.certify_ceiling(noise, limits.alpha, row.n_needed) >= limits.needed * (1 - 1e-9)
        p_a = scipy.stats.norm.cdf([r["radius"] / row.sigma for r in rows if r["correct"]])
        assert row.median_p_a == pytest.approx(np.median(p_a))
    p_a = [row.median_p_a for row in limits.rows]
    assert limits.p_a_falls == all(a > b for a, b in zip(p_a, p_a[1:]))
    assert limits.largest_radius_linf == pytest.approx(limits.largest_radius / math.sqrt(3072))
    assert limits.madry_pgd == scene.evaluation.MADRY_CIFAR10["adversarial_training"]["pgd"]


def test_limits_caption_follows_the_numbers():
    limits = scene.alpha_star_limits(dataset="cifar10")
    text = scene.limits_caption(limits)
    assert f"**{limits.needed:.2f}**" in text
    reachable = dataclasses.replace(limits, rows=tuple(dataclasses.replace(r, ceiling=2.0) for r in limits.rows))
    assert ("cannot return that radius" in text) == any(r.ceiling < limits.needed for r in limits.rows)
    assert "cannot return that radius" not in scene.limits_caption(reachable)
    above = dataclasses.replace(limits, best_certified_at_needed=0.5)
    below = dataclasses.replace(limits, best_certified_at_needed=0.1)
    assert "at or above the **45.8%**" in scene.limits_caption(above)
    assert "below the **45.8%**" in scene.limits_caption(below)
    assert "falls as σ grows" in scene.limits_caption(dataclasses.replace(limits, p_a_falls=True))
    assert "does not fall monotonically" in scene.limits_caption(dataclasses.replace(limits, p_a_falls=False))
    assert scene.count_label(27_313) == "27,313" and scene.count_label(3_928_976_459_948) == "3.9·10^12"


# ---------------------------------------------------------------------------- arguments

@pytest.mark.parametrize("call", [
    lambda: scene.toy_tradeoff(seed=-1),
    lambda: scene.toy_tradeoff(noises_chosen=()),
    lambda: scene.toy_tradeoff(noises_chosen=("cauchy",)),
    lambda: scene.toy_tradeoff(radius=-0.1),
    lambda: scene.toy_bounds(std=0.2),
    lambda: scene.shipped_tradeoff(dataset="imagenet"),
    lambda: scene.image_bounds(model_name="cifar10-laplace-0.1768"),
    lambda: scene.image_part(model_name="cifar10-gaussian-0.25", part="everything"),
    lambda: scene.alpha_star_limits(dataset="imagenet"),
])
def test_bad_arguments_raise_value_error(call):
    with pytest.raises(ValueError):
        call()


def test_image_models_are_gaussian_noise_trained():
    names = scene.image_models()
    assert names and names[0] == "cifar10-gaussian-0.25"
    assert all("gaussian" in name and "layer1" not in name for name in names)


def test_the_scene_file_records_its_command():
    content = json.loads(scene.SCENE_FILE.read_text())
    assert content["command"] == scene.BUILD_COMMAND
    assert set(content["toy_bounds"]) == {f"0/{s:g}" for s in scene.TOY_STDS}


@pytest.fixture
def tiny_image_settings(monkeypatch):
    for name, value in {"IMAGE_EPS": (0.0, 0.5, 1.0), "IMAGE_N0": 5, "IMAGE_N": 20, "IMAGE_VOTES": 5,
                        "IMAGE_ATTACK": {"eps_max": 1.0, "search_steps": 1, "steps": 1, "draws": 1, "restarts": 1},
                        "IMAGE_CHUNK": 10}.items():
        monkeypatch.setattr(scene, name, value)
    scene._image_part.cache_clear()
    yield
    scene._image_part.cache_clear()       # tiny results must not outlive the test


def test_image_bounds_assemble_their_parts_in_order(tiny_image_settings):
    assert scene.image_parts() == ("certify", "attack 0", "attack 10")
    result = scene.image_bounds(model_name="mnist-gaussian-0.25", seed=0)
    assert result.examples == 20 and len(result.empirical) == len(result.certified) == 3
    assert result.linf_l2 == pytest.approx(0.3 * 28)                               # ℓ∞ 0.3 on 28×28 pixels
    second = scene.image_part(model_name="mnist-gaussian-0.25", seed=0, part="attack 10")["attack_distance"]
    np.testing.assert_array_equal(result.attack_distance[10:], second)
    assert np.all(np.diff(result.certified) <= 0) and np.all(result.radii <= result.ceiling + 1e-9)
