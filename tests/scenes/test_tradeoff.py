"""Scene 10 (trade-off & best attacks): the live trade-off and the bounds follow their definitions
(PREDICT and CERTIFY on counts are core.smoothing's, tested there), shipped results match a
recomputation, captions follow the computed facts, bad arguments raise ValueError."""

import dataclasses
import json
import math

import numpy as np
import pytest
import scipy.stats

from core import noise as noises
from core import results, smoothing, toys
from core.scenes import shipped
from core.scenes import tradeoff as scene


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
    assert large == again  # deterministic for a seed
    assert [row.std for row in large.rows] == list(scene.TOY_STDS)
    for a, b in zip(small.rows, large.rows):
        assert a.clean_accuracy == b.clean_accuracy  # r only selects certificates
        assert b.certified_accuracy <= a.certified_accuracy == a.certified_accuracy_at_0
        assert b.beyond_ceiling == (0.2 > b.ceiling)
        if b.beyond_ceiling:
            assert b.certified_accuracy == 0
    facts = large.facts[0]
    best = max(row.clean_accuracy for row in large.rows)
    assert facts.most_accurate == tuple(row.std for row in large.rows if row.clean_accuracy == best)
    assert (facts.compared is None) == bool(set(facts.most_accurate) & set(facts.most_certified))
    if facts.compared is not None:  # a verdict needs both gaps beyond sampling error (paired exact test)
        assert facts.tradeoff == (max(facts.clean_p, facts.certified_p) < scene.VERDICT_LEVEL)
        assert facts.clean_counts[0] == round(best * scene.TOY_POINTS)
    else:
        assert not facts.tradeoff and facts.verdict == "none"


def test_paired_difference_p_is_mcnemars_exact_test():
    a = np.array([True] * 50 + [False] * 10)
    b = np.array(
        [True] * 45 + [False] * 5 + [True] * 3 + [False] * 7
    )  # 5 points right for a only, 3 for b only
    expected = scipy.stats.binomtest(3, 8, 0.5).pvalue
    assert scene.paired_difference_p(a, b) == pytest.approx(expected)
    assert scene.paired_difference_p(a, b) == scene.paired_difference_p(b, a)
    assert scene.paired_difference_p(a, a) == 1.0
    assert scene.standard_error(53, 60) == pytest.approx(math.sqrt(53 / 60 * 7 / 60 / 60))
    with pytest.raises(ValueError):
        scene.paired_difference_p(a, b[:10])


def _hits(clean: dict, certified: dict, points: int = 60) -> dict:
    """Per-point outcomes with the given counts; the first points are right for every std (nested sets)."""
    return {std: (np.arange(points) < clean[std], np.arange(points) < certified[std]) for std in clean}


def test_a_one_point_lead_is_no_verdict_and_a_large_one_is():
    # the shipped toy's default (Gaussian, r = 0.1): clean 58 / 56, certified 52 / 53 of 60 points
    close = scene.noise_facts("gaussian", _hits({0.05: 58, 0.1: 56, 0.25: 53}, {0.05: 52, 0.1: 53, 0.25: 47}))
    assert (
        close.compared == (0.05, 0.1)
        and close.clean_counts == (58, 56)
        and close.certified_counts == (53, 52)
    )
    assert close.verdict == "undecided" and not close.tradeoff
    assert close.certified_p == pytest.approx(1.0) and close.clean_p == pytest.approx(0.5)
    text = scene.noise_sentence(close, 0.1)
    assert "within sampling error" in text and "no verdict" in text and "paid in accuracy" not in text
    assert "53/60 at std 0.1 vs 52/60" in text and "p = 1" in text
    far = scene.noise_facts("gaussian", _hits({0.05: 59, 0.1: 56, 0.25: 45}, {0.05: 0, 0.1: 20, 0.25: 40}))
    assert far.compared == (0.05, 0.25) and far.verdict == "tradeoff" and far.tradeoff
    assert "robustness is paid in accuracy" in scene.noise_sentence(far, 0.2)
    same = scene.noise_facts("gaussian", _hits({0.05: 59, 0.1: 56, 0.25: 45}, {0.05: 50, 0.1: 40, 0.25: 30}))
    assert same.compared is None and same.verdict == "none"
    assert "no trade-off shows" in scene.noise_sentence(same, 0.05)


def test_toy_certificates_agree_with_a_direct_count_and_change_with_the_seed(monkeypatch):
    real = toys.model
    monkeypatch.setattr(toys, "model", lambda spec: real(dataclasses.replace(spec, seed=0)))  # no training
    certificates = scene._toy_certificates.__wrapped__
    zero = certificates(0, "gaussian", 0.1, 30, 10, 100, 0.001)
    one = certificates(1, "gaussian", 0.1, 30, 10, 100, 0.001)
    assert not np.array_equal(zero["radius"], one["radius"])
    # the PREDICT votes of seed 0 recounted by core.smoothing with the same named stream
    spec = scene.toy_spec("gaussian", 0.1, 0)
    x = toys.split(spec).x_test[:30]
    votes = smoothing.sample_counts_many(
        real(spec),
        x,
        noise=noises.make("gaussian", 0.1),
        num=100,
        batch_size=999,
        generator=scene.stream_generator(0, "toy gaussian 0.1 predict"),
    ).numpy()
    assert np.array_equal(zero["predict"], smoothing.predict_counts(votes, 0.001))


def test_tradeoff_caption_follows_the_facts():
    result = scene.toy_tradeoff(seed=0, noises_chosen=("gaussian",), radius=0.1)
    row = result.rows[0]
    fake = [
        dataclasses.replace(row, std=s, clean_accuracy=c, certified_accuracy=r, beyond_ceiling=False)
        for s, c, r in [(0.05, 0.9, 0.1), (0.25, 0.8, 0.5)]
    ]
    trade = dataclasses.replace(
        result,
        rows=tuple(fake),
        facts=(
            scene.NoiseFacts(
                "gaussian", (0.05,), (0.25,), 60, (0.05, 0.25), (54, 48), (30, 6), 0.01, 0.001, "tradeoff"
            ),
        ),
    )
    none = dataclasses.replace(trade, facts=(scene.NoiseFacts("gaussian", (0.05,), (0.05,)),))
    undecided = dataclasses.replace(
        trade,
        facts=(
            scene.NoiseFacts(
                "gaussian", (0.05,), (0.25,), 60, (0.05, 0.25), (54, 53), (30, 6), 1.0, 0.001, "undecided"
            ),
        ),
    )
    assert "robustness is paid in accuracy" in scene.tradeoff_caption(trade)
    assert "no trade-off shows" in scene.tradeoff_caption(none)
    assert "the clean gap is within sampling error" in scene.tradeoff_caption(undecided)
    assert "paid in accuracy" not in scene.tradeoff_caption(undecided)
    capped = dataclasses.replace(trade, rows=(dataclasses.replace(fake[0], beyond_ceiling=True),))
    assert "Beyond the ceiling" in scene.tradeoff_caption(capped) and "Beyond" not in scene.tradeoff_caption(
        trade
    )
    # the shipped default rests on 53 vs 52 of 60 certified points: no verdict is stated
    facts = result.facts[0]
    if facts.compared is not None and max(facts.clean_p, facts.certified_p) >= scene.VERDICT_LEVEL:
        assert "no verdict" in scene.tradeoff_caption(result)


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


def test_cohens_published_points_name_their_source_and_their_ceiling():
    table = scene.shipped_tradeoff(dataset="cifar10")
    for (sigma, _), top in zip(table.cohen, table.cohen_ceilings):  # their n = 100,000 at α = 0.001
        assert top == pytest.approx(sigma * scipy.stats.norm.ppf(0.001 ** (1 / 100_000)))
    assert set(table.cohen_beyond(1.0)) == {
        s for (s, _), top in zip(table.cohen, table.cohen_ceilings) if top < 1.0
    }
    assert 0.25 in table.cohen_beyond(1.0) and 0.5 not in table.cohen_beyond(1.0)  # ceilings 0.95 and 1.91
    text = scene.shipped_caption(table, 1.0)
    assert "Table 3" in text and "full CIFAR-10 test set" in text and "100,000" in text
    assert "as the talk" not in text and "500 images" not in text
    assert "σ = " + ", ".join(f"{s:g}" for s in table.cohen_beyond(1.0)) in text
    beyond = [
        row.model
        for row in table.rows
        if row.ceiling is not None and row.ceiling < 1.0 and row.at(1.0) is not None
    ]
    assert all(model in text for model in beyond) and ("forced by n" in text) == bool(
        beyond or table.cohen_beyond(1.0)
    )
    assert "beyond the ceiling" not in scene.shipped_caption(table, 0.0)


# ----------------------------------------------------------------------- bounds: the same F_rob on both sides


def test_toy_bounds_shipped_for_seed_0_match_a_recomputed_certify_part_and_are_sound():
    result = scene.toy_bounds(seed=0, std=0.1)
    assert result.shipped
    part = scene._toy_bounds_parts(**scene._toy_bounds_call(0, 0.1), parts=("certify",))
    np.testing.assert_allclose(result.radius, part["radius"], rtol=1e-9)
    assert np.array_equal(result.certified_correct, part["correct"])
    assert np.all(np.diff(result.certified) <= 0) and np.all(np.diff(result.empirical) <= 0)
    assert np.all(result.radii <= result.ceiling + 1e-9)
    assert result.ceiling == pytest.approx(
        smoothing.certify_ceiling(noises.make("gaussian", 0.1), scene.TOY_ALPHA, scene.TOY_BOUNDS_N)
    )
    assert result.ceiling > np.max(result.radii)  # n is large enough not to cap the radii
    assert result.facts["beaten"] == 0  # no attack inside a certified ball
    assert result.facts["ordered"]


def test_bounds_follow_their_definitions_from_the_parts():
    parts = {
        "radius": [0.0, 0.1, 0.3, 0.25],
        "correct": [False, True, True, True],
        "attack_distance": [0.0, 0.12, None, 0.4],
    }
    b = scene._assemble(
        parts,
        noise=noises.make("gaussian", 0.25),
        eps_list=(0.0, 0.1, 0.2, 0.5),
        n0=10,
        n=10_000,
        alpha=0.001,
        votes=100,
        attack=scene.TOY_ATTACK,
        title="t",
    )
    assert b.certified.tolist() == [0.75, 0.75, 0.5, 0.0]  # correct and α* ≥ ε
    assert b.empirical.tolist() == [0.75, 0.75, 0.5, 0.25]  # no vote change found within ε (None = ∞)
    assert b.radii.tolist() == [0.1, 0.3, 0.25] and np.isinf(b.distances[1])
    assert b.facts["not_found"] == 1 and b.facts["paired"] == 2 and b.facts["beaten"] == 0
    assert b.facts["median_ratio"] == pytest.approx(np.median([0.1 / 0.12, 0.25 / 0.4]))


def test_the_attack_part_is_seeded_and_inside_its_ball():
    spec = scene.toy_spec("gaussian", 0.1, 0)
    split = toys.split(spec)
    x, y = split.x_test[:6], split.y_test[:6]
    tiny = {"eps_max": 0.4, "search_steps": 2, "steps": 3, "draws": 4, "restarts": 1}
    run = lambda seed: scene._attack_part(
        toys.model(spec),
        x,
        y,
        noise=noises.make("gaussian", 0.1),
        votes=50,
        attack=tiny,
        seed=seed,
        stream="test",
    )["attack_distance"]
    a, b = run(0), run(0)
    assert np.array_equal(a, b)
    assert np.all((a <= 0.4 + 1e-6) | np.isinf(a))


def _bounds(**parts):
    base = {"eps": (0.0, 0.5), "radius": [0.1, 0.6], "correct": [True, True], "attack_distance": [0.3, 0.9]}
    base.update(parts)
    eps = base.pop("eps")
    return scene._assemble(
        base,
        noise=noises.make("gaussian", 0.25),
        eps_list=eps,
        n0=10,
        n=10_000,
        alpha=0.001,
        votes=100,
        attack=scene.IMAGE_ATTACK,
        title="t",
        linf=8 / 255,
        linf_l2=1.74,
    )


def test_bounds_caption_follows_the_facts():
    ordered = _bounds()
    assert ordered.facts["ordered"] and "Certified ≤ empirical at every ε" in scene.bounds_caption(ordered)
    broken = _bounds(attack_distance=[0.3, 0.4])  # an attack inside the ball of radius 0.6
    assert not broken.facts["ordered"] and "Certified exceeds empirical at ε = 0.5" in scene.bounds_caption(
        broken
    )
    assert broken.facts[
        "beaten"
    ] == 1 and "On 1 point(s) the attack found a vote change" in scene.bounds_caption(broken)
    assert "No attack got inside a certified ball" in scene.bounds_caption(ordered)
    assert "p_A, not n, limits α*" in scene.bounds_caption(ordered)
    capped = _bounds(radius=[0.1, ordered.ceiling], attack_distance=[0.3, 1.0])
    assert capped.facts[
        "at_ceiling"
    ] == 1 and "1 of 2 certified radii sit at the ceiling" in scene.bounds_caption(capped)
    assert "beyond every certified radius" in scene.bounds_caption(ordered)
    assert "within reach of the largest" in scene.bounds_caption(
        _bounds(radius=[0.1, 1.8], attack_distance=[0.3, 1.9])
    )
    assert f"median {np.median([0.1 / 0.3, 0.6 / 0.9]):.0%} of the distance" in scene.bounds_caption(ordered)
    assert "no vote change was found" in scene.bounds_caption(_bounds(attack_distance=[0.3, None]))
    assert "no vote change was found" not in scene.bounds_caption(ordered)


def test_verdict_compares_alpha_star_with_the_attack_on_the_same_classifier():
    close = _bounds(radius=[0.5, 0.5], attack_distance=[0.55, 0.55])
    far = _bounds(radius=[0.1, 0.1], attack_distance=[0.5, 0.5])
    assert close.facts["median_attack"] == pytest.approx(0.55)
    assert scene.verdict(close).correct == (False, True, False)
    assert scene.verdict(far).correct == (True, False, False)


# ------------------------------------------------------------------- CIFAR-10: shipped certificates, attacked


def test_cifar_bounds_pair_the_shipped_certificates_with_the_attack():
    result = scene.cifar_bounds()
    if result is None:
        pytest.skip("no CIFAR-10 record in assets/scenes/tradeoff.json for today's model")
    shipped = results.read("certify", scene.CIFAR_MODEL)["rows"][: result.examples]
    record = json.loads(scene.SCENE_FILE.read_text())["cifar"]
    for k, row in enumerate(shipped):
        if record["n"][k] == results.read("certify", scene.CIFAR_MODEL)["n"]:  # not recertified
            assert result.radius[k] == pytest.approx(row["radius"] if row["correct"] else 0.0)
    assert np.all(result.radii <= result.ceiling + 1e-9)
    assert result.facts["beaten"] == 0
    assert result.linf_l2 == pytest.approx(8 / 255 * math.sqrt(3072))


# ---------------------------------------------------------------------------- is α* too small? the numbers


def test_alpha_star_limits_are_computed_from_the_shipped_rows():
    limits = scene.alpha_star_limits(dataset="cifar10")
    assert limits.needed == pytest.approx(8 / 255 * math.sqrt(3072)) and limits.dim == 3072
    assert [row.sigma for row in limits.rows] == sorted(row.sigma for row in limits.rows)
    assert not any(row.tagged for row in limits.rows) and all(row.tagged for row in limits.tagged_rows)
    for row in limits.rows + limits.tagged_rows:
        rows = results.read("certify", row.subject)["rows"]
        hits = [r["correct"] and r["radius"] >= limits.needed for r in rows]
        noise = noises.make("gaussian", row.sigma)
        assert row.ceiling == pytest.approx(smoothing.certify_ceiling(noise, limits.alpha, row.n))
        if row.ceiling < limits.needed:  # above the ceiling nothing is measured: None, never 0 %
            assert row.certified_at_needed is None and row in limits.capped
        else:
            assert row.certified_at_needed == pytest.approx(np.mean(hits))
        assert row.certified_count == sum(hits)
        assert smoothing.certify_ceiling(noise, limits.alpha, row.n_needed) >= limits.needed * (1 - 1e-9)
        p_a = scipy.stats.norm.cdf([r["radius"] / row.sigma for r in rows if r["correct"]])
        assert row.median_p_a == pytest.approx(np.median(p_a))
    p_a = [row.median_p_a for row in limits.rows]
    assert limits.p_a_falls == all(a > b for a, b in zip(p_a, p_a[1:]))
    assert limits.largest_radius_linf == pytest.approx(limits.largest_radius / math.sqrt(3072))
    assert limits.madry_pgd == scene.evaluation.MADRY_CIFAR10["adversarial_training"]["pgd"]
    assert limits.can_certify_needed == (limits.measured is not None)


def test_the_measuring_command_is_the_tagged_run_that_reaches_the_l_inf_balls_size():
    assert scene.MEASURE_COMMAND == (
        "python -m core.experiments certify --name cifar10-gaussian-0.50 --n 100000 "
        "--every 100 --limit 100 --tag n100000 --resume --data-dir ../shared/data"
    )
    needed = 8 / 255 * math.sqrt(3072)
    ceiling = smoothing.certify_ceiling(noises.make("gaussian", 0.5), 0.001, scene.MEASURE_N)
    assert ceiling >= needed and ceiling == pytest.approx(1.9057, abs=1e-3)
    assert smoothing.certify_ceiling(noises.make("gaussian", 0.5), 0.001, 10_000) < needed
    assert results.subject(scene.MEASURE_MODEL, scene.MEASURE_TAG) == "cifar10-gaussian-0.50@n100000"


@pytest.fixture
def results_folder(tmp_path, monkeypatch):
    """A results folder holding copies of the shipped CIFAR-10 Gaussian certify files (no tagged run), which
    the scene reads instead of assets/results."""
    for name in ("cifar10-gaussian-0.12", "cifar10-gaussian-0.25", "cifar10-gaussian-0.50"):
        source = results.path("certify", name)
        (tmp_path / source.name).write_text(source.read_text())
    monkeypatch.setattr(results, "RESULTS_DIR", tmp_path)
    return tmp_path


def _tagged_file(folder, *, certified: int, examples: int = 100) -> dict:
    """A fake certify_cifar10-gaussian-0.50@n100000.json: σ = 0.5 at n = 100,000, ``certified`` of
    ``examples`` images correct with α* between 1.74 and the ceiling, the others below 1.74 or wrong."""
    sigma, n, alpha = 0.5, 100_000, 0.001
    top = smoothing.certify_ceiling(noises.make("gaussian", sigma), alpha, n)
    rows = [
        {
            "index": 100 * k,
            "label": 0,
            "predict": 0,
            "correct": 1,
            "radius": (1.75 + (top - 1.75) * k / examples) if k < certified else 0.5 * (k % 3),
        }
        for k in range(examples)
    ]
    for row in rows[certified::5]:
        row.update(predict=-1, correct=0, radius=0.0)
    record = {
        "kind": "certify",
        "subject": "cifar10-gaussian-0.50@n100000",
        "command": scene.MEASURE_COMMAND,
        "model": "cifar10-gaussian-0.50",
        "dataset": "cifar10",
        "noise": {"name": "gaussian", "scale": sigma, "layer": 0},
        "norm": "l2",
        "n0": 100,
        "n": n,
        "alpha": alpha,
        "every": 100,
        "seed": 0,
        "examples": examples,
        "radii": [0.0, 1.0, 1.74],
        "certified_accuracy": [0.0, 0.0, certified / examples],
        "rows": rows,
    }
    (folder / "certify_cifar10-gaussian-0.50@n100000.json").write_text(json.dumps(record))
    return record


def test_without_a_file_that_reaches_1_74_nothing_is_shown_as_measured(results_folder):
    limits = scene.alpha_star_limits(dataset="cifar10")
    assert limits.tagged_rows == () and limits.measured is None and limits.best_certified_at_needed is None
    assert not limits.can_certify_needed and all(row.certified_at_needed is None for row in limits.rows)
    assert [row.ceiling < limits.needed for row in limits.rows] == [True] * len(limits.rows)
    text = scene.limits_caption(limits)
    assert "not measured" in text and "forced by their n" in text and scene.MEASURE_COMMAND in text
    assert f"ceiling {limits.measure_ceiling:.2f}" in text and limits.measure_ceiling >= limits.needed
    assert "**0%**" not in text and f"Certified accuracy at {limits.needed:.2f}: **" not in text
    for row in limits.rows:  # the ceilings, computed, in the caption
        assert f"{row.ceiling:.2f} (σ = {row.sigma:g}, n = {row.n:,})" in text
    sentence = scene.measured_sentence(limits)
    assert "No shipped file can certify 1.74" in sentence and all(
        f"{r.ceiling:.2f}" in sentence for r in limits.rows
    )


def test_the_tagged_n_100000_file_gives_the_certified_accuracy_at_1_74(results_folder):
    record = _tagged_file(results_folder, certified=30)
    limits = scene.alpha_star_limits(dataset="cifar10")
    assert [row.subject for row in limits.tagged_rows] == ["cifar10-gaussian-0.50@n100000"]
    m = limits.measured
    assert m is limits.tagged_rows[0] and m.n == 100_000 and m.examples == 100 and m.every == 100
    assert m.ceiling == pytest.approx(1.9057, abs=1e-3) and m.ceiling >= limits.needed
    hits = [r["correct"] and r["radius"] >= limits.needed for r in record["rows"]]
    assert (
        m.certified_at_needed == pytest.approx(np.mean(hits)) == pytest.approx(0.3)
        and m.certified_count == 30
    )
    assert limits.best_certified_at_needed == pytest.approx(0.3) and limits.can_certify_needed
    assert [row.model for row in limits.rows] == [
        "cifar10-gaussian-0.12",
        "cifar10-gaussian-0.25",
        "cifar10-gaussian-0.50",
    ]  # the main files, unchanged
    text = scene.limits_caption(limits)
    assert "Certified accuracy at 1.74: **30%** (30 of 100 test images, one test image in 100" in text
    assert "cifar10-gaussian-0.50@n100000 (σ = 0.5, n = 100,000, ceiling 1.91 ≥ 1.74)" in text
    assert "below the **45.8%**" in text and "not measured" not in text and scene.MEASURE_COMMAND not in text
    main = limits.rows[-1]  # the main σ = 0.5 file's ceiling is still stated
    assert f"{main.ceiling:.2f} (σ = 0.5, n = {main.n:,})" in text
    _tagged_file(results_folder, certified=60)
    assert "at or above the **45.8%**" in scene.limits_caption(scene.alpha_star_limits(dataset="cifar10"))


def test_limits_caption_follows_the_numbers():
    limits = scene.alpha_star_limits(dataset="cifar10")
    text = scene.limits_caption(limits)
    assert f"**{limits.needed:.2f}**" in text
    reachable = dataclasses.replace(
        limits, rows=tuple(dataclasses.replace(r, ceiling=2.0) for r in limits.rows), tagged_rows=()
    )
    assert ("cannot return that radius" in text) == any(r.ceiling < limits.needed for r in limits.rows)
    assert "cannot return that radius" not in scene.limits_caption(reachable)
    assert "falls as σ grows" in scene.limits_caption(dataclasses.replace(limits, p_a_falls=True))
    assert "does not fall monotonically" in scene.limits_caption(dataclasses.replace(limits, p_a_falls=False))
    assert scene.count_label(27_313) == "27,313" and scene.count_label(3_928_976_459_948) == "3.9·10^12"
    assert "beyond double precision" in scene.count_label(None)


def test_a_ratio_near_one_says_the_certificate_is_tight_not_that_alpha_star_is_small():
    tight = _bounds(radius=[0.5, 0.5], attack_distance=[0.55, 0.55])
    loose = _bounds(radius=[0.1, 0.1], attack_distance=[0.5, 0.5])
    assert (
        "nearly tight" in scene.verdict(tight).answer
        and "not that α* is large or small" in scene.verdict(tight).answer
    )
    assert "loose" in scene.verdict(loose).answer and "nearly tight" not in scene.verdict(loose).answer
    assert "nearly tight" in scene.bounds_caption(tight) and "nearly tight" not in scene.bounds_caption(loose)
    summary = scene.summarize(tight)
    assert (
        summary.tight and summary.median_attack == pytest.approx(0.55) and summary.flipped_within_linf_l2 == 2
    )
    small = scene.WhatIsSmall(scene.summarize(tight), scene.summarize(loose), 1.74)
    text = scene.what_is_small_caption(small)
    assert "not that α* is small or large" in text and "what is small is that robustness itself" in text
    assert "0.550 on the two-moons toy and 0.500 on the CIFAR-10 images" in text and "29% of the 1.74" in text
    far = scene.WhatIsSmall(
        None, scene.summarize(_bounds(radius=[1.8, 1.9], attack_distance=[2.0, 2.1])), 1.74
    )
    assert "a tighter certificate could reach it" in scene.what_is_small_caption(far)
    assert "what is small" not in scene.what_is_small_caption(far)


def test_what_is_small_is_computed_from_the_shipped_bounds():
    small = scene.what_is_small(seed=0, std=scene.DEFAULTS["bounds_std"], live=False)
    toy = scene.toy_bounds(seed=0, std=scene.DEFAULTS["bounds_std"])
    assert small.toy is not None and small.toy.median_attack == toy.facts["median_attack"]
    assert small.toy.tight == scene.nearly_tight(toy.facts["median_ratio"])
    assert small.needed == pytest.approx(8 / 255 * math.sqrt(3072))
    cifar = scene.cifar_bounds()
    if cifar is not None:
        assert small.cifar.median_attack == cifar.facts["median_attack"]
        assert small.cifar.flipped_within_linf_l2 == int(np.sum(cifar.attack_distance <= small.needed))
        text = scene.what_is_small_caption(small)
        assert f"{cifar.facts['median_attack']:.3f} on the CIFAR-10 images" in text
        assert f"{toy.facts['median_attack']:.3f} on the two-moons toy" in text
    assert scene.what_is_small(seed=1, live=False).toy is None  # never computed when not shipped


# ---------------------------------------------------------------------------- arguments


@pytest.mark.parametrize(
    "call",
    [
        lambda: scene.toy_tradeoff(seed=-1),
        lambda: scene.toy_tradeoff(noises_chosen=()),
        lambda: scene.toy_tradeoff(noises_chosen=("cauchy",)),
        lambda: scene.toy_tradeoff(radius=-0.1),
        lambda: scene.toy_bounds(std=0.2),
        lambda: scene.shipped_tradeoff(dataset="imagenet"),
        lambda: scene.image_bounds(model_name="cifar10-laplace-0.1768"),
        lambda: scene.image_part(model_name="cifar10-gaussian-0.25", part="everything"),
        lambda: scene.alpha_star_limits(dataset="imagenet"),
    ],
)
def test_bad_arguments_raise_value_error(call):
    with pytest.raises(ValueError):
        call()


def test_image_models_are_gaussian_noise_trained():
    names = scene.image_models()
    assert names and names[0] == "cifar10-gaussian-0.25"
    assert all("gaussian" in name and "layer1" not in name for name in names)


def test_the_scene_file_records_its_command():
    content = json.loads(scene.SCENE_FILE.read_text())
    assert content["command"] == scene.BUILD_COMMAND == shipped.build_command(scene)
    assert set(content["results"]) == {
        shipped.call_key("toy_bounds_parts", scene._toy_bounds_call(seed, s))
        for seed, s in scene.shipped_toy_bounds_keys()
    }
    assert {seed for seed, _ in scene.shipped_toy_bounds_keys()} == set(toys.SHIPPED_SEEDS)
    assert content["cifar"]["model"] == scene.CIFAR_MODEL  # kept beside the kit's results by build()


def test_toy_bounds_are_read_only_for_todays_settings_and_toy_weights(monkeypatch):
    assert scene.shipped_toy_bounds(0.25) is not None and scene._shipped_toy_parts(0, 0.25) is not None
    monkeypatch.setattr(scene, "TOY_ATTACK", {**scene.TOY_ATTACK, "steps": 21})
    assert scene._shipped_toy_parts(0, 0.25) is None  # the settings are part of the shipped key
    monkeypatch.setattr(scene, "toy_bounds_parts_live", lambda **_: pytest.fail("computed"))
    assert scene.shipped_toy_bounds(0.25) is None  # read only, never computed
    monkeypatch.undo()
    spec = scene.toy_spec("gaussian", 0.25, 0)
    manifest = toys.read_manifest()
    other = {
        **manifest,
        "toys": {**manifest["toys"], spec.key(): {**manifest["toys"][spec.key()], "sha256": "0"}},
    }
    monkeypatch.setattr(toys, "read_manifest", lambda: other)
    assert scene._shipped_toy_parts(0, 0.25) is None  # other weights: not read


def test_build_ships_the_toy_bounds_through_the_kit_and_keeps_the_cifar_record(tmp_path, monkeypatch):
    monkeypatch.setattr(shipped, "SCENES_DIR", tmp_path)
    (tmp_path / "tradeoff.json").write_text(scene.SCENE_FILE.read_text())
    fake = scene.ToyBoundsParts(np.array([0.1]), np.array([True]), np.array([math.inf]))
    monkeypatch.setattr(scene, "toy_bounds_parts_live", lambda **_: fake)
    try:
        scene.build(cifar=False, log=lambda _: None)
        content = json.loads((tmp_path / "tradeoff.json").read_text())
        assert content["cifar"] == json.loads(scene.SCENE_FILE.read_text())["cifar"]  # kept, not recomputed
        assert content["command"] == scene.BUILD_COMMAND
        assert len(content["results"]) == len(scene.shipped_toy_bounds_keys())
        call, toy = scene._toy_bounds_call(0, 0.1), scene.toy_spec("gaussian", 0.1, 0)
        back = shipped.read(scene.__name__, "toy_bounds_parts", call, [toy])
        assert back.radius.tolist() == [0.1] and np.isinf(back.attack_distance[0])  # no distance found
        assert shipped.read(scene.__name__, "toy_bounds_parts", call, []) is None  # only with its stamp
        monkeypatch.setattr(scene, "_cifar_record", lambda log: {"model": "recomputed"})
        scene.build(log=lambda _: None)
        assert json.loads((tmp_path / "tradeoff.json").read_text())["cifar"] == {"model": "recomputed"}
    finally:
        scene.toy_bounds_parts.cache_clear()  # the fake parts must not outlive the test


@pytest.fixture
def tiny_image_settings(monkeypatch):
    for name, value in {
        "IMAGE_EPS": (0.0, 0.5, 1.0),
        "IMAGE_N0": 5,
        "IMAGE_N": 20,
        "IMAGE_VOTES": 5,
        "IMAGE_ATTACK": {"eps_max": 1.0, "search_steps": 1, "steps": 1, "draws": 1, "restarts": 1},
        "IMAGE_CHUNK": 10,
    }.items():
        monkeypatch.setattr(scene, name, value)
    scene._image_part.cache_clear()
    yield
    scene._image_part.cache_clear()  # tiny results must not outlive the test


def test_image_bounds_assemble_their_parts_in_order(tiny_image_settings):
    assert scene.image_parts() == ("certify", "attack 0", "attack 10")
    result = scene.image_bounds(model_name="mnist-gaussian-0.25", seed=0)
    assert result.examples == 20 and len(result.empirical) == len(result.certified) == 3
    assert result.linf_l2 == pytest.approx(0.3 * 28)  # ℓ∞ 0.3 on 28×28 pixels
    second = scene.image_part(model_name="mnist-gaussian-0.25", seed=0, part="attack 10")["attack_distance"]
    np.testing.assert_array_equal(result.attack_distance[10:], second)
    assert np.all(np.diff(result.certified) <= 0) and np.all(result.radii <= result.ceiling + 1e-9)


def test_a_shipped_seed_opens_with_shipped_networks(asked_toys):
    asked = asked_toys
    scene.toy_tradeoff(seed=3)  # the page's default noise; the bounds use one of its stds
    assert set(asked) == set(scene.opening_toys(3)) and set(asked) <= set(scene.SHIPPED_TOYS)
    assert scene.toy_spec("gaussian", scene.DEFAULTS["bounds_std"], 3) in asked
