"""Scene 11 (take-home): the four messages' computations, their shipped defaults and computed captions."""

import dataclasses
import json
import math

import numpy as np
import pytest
import scipy.stats
import torch

from core.scenes import take_home as T


@pytest.fixture(scope="module")
def result():
    return T.take_home()


def test_the_four_messages_are_the_talks_and_the_last_is_room_for_improvement():
    assert [m.number for m in T.MESSAGES] == [1, 2, 3, 4]
    last = T.MESSAGES[3].title
    for words in (
        "Room for improvement",
        "bigger α*",
        "more distributions",
        "more sophisticated randomized settings",
    ):
        assert words in last
    assert "hard to mitigate" in T.MESSAGES[2].title


@pytest.mark.parametrize(
    "arguments",
    [dict(eps=0.03), dict(eps=True), dict(eps="0.08"), dict(sigma=0.3), dict(seed=-1), dict(seed=1.5)],
)
def test_bad_arguments_raise_one_sentence(arguments):
    with pytest.raises(ValueError):
        T.take_home(**arguments)


def test_defaults_are_the_shipped_seed_level_results(result):
    """tests/scenes/test_shipped.py compares each shipped result with a live run."""
    assert result.shipped
    assert result.defenses.standard == T.curves(seed=0).standard
    assert result.defenses.smoothed == T.smoothed_curve(sigma=T.DEFAULTS["sigma"], seed=0).accuracy
    assert result.certificates.radius.tolist() == list(
        T.certify_toy(sigma=T.DEFAULTS["sigma"], seed=0).radius
    )
    assert result.certificates.labels.shape == (T.SMOOTH_RESOLUTION, T.SMOOTH_RESOLUTION)
    assert set(np.unique(result.certificates.labels)) <= {0, 1}
    np.testing.assert_array_equal(result.certificates.x, T.certified_points(0)[0])


def test_toy_attack_stays_in_the_ball_and_counts_what_the_network_says(result):
    attack = result.attack
    model = T._model("standard", 0)
    assert np.abs(attack.x_adv - attack.x_clean).max() <= attack.eps + 1e-6
    assert attack.x_adv.min() >= 0 and attack.x_adv.max() <= 1
    with torch.inference_mode():
        fooled = model(torch.from_numpy(attack.x_adv)).argmax(1).numpy() != attack.y_clean
        clean = model(torch.from_numpy(attack.x_clean)).argmax(1).numpy()
    assert (clean == attack.y_clean).all()
    assert (fooled == attack.fooled).all()
    assert attack.success_rate == pytest.approx(fooled.mean())
    assert f"**{int(fooled.sum())} of {len(fooled)}**" in result.captions[1]


def test_toy_attack_is_seeded_by_its_stream(monkeypatch):
    first = T.toy_attack_live(eps=0.04, seed=0)
    again = T.toy_attack_live(eps=0.04, seed=0)
    np.testing.assert_array_equal(first.x_adv, again.x_adv)
    # Same network and data, another demo seed: only the random start's stream changes.
    monkeypatch.setattr(T, "_model", lambda kind, seed, sigma=None: T.toys.model(T.toy_spec(kind, 0, sigma)))
    monkeypatch.setattr(T, "_split", lambda seed: T.toys.split(T.toy_spec("standard", 0)))
    other = T.toy_attack_live(eps=0.04, seed=1)
    assert not np.array_equal(first.x_adv, other.x_adv)


def test_certificates_follow_cohens_formula_and_the_ceiling(result):
    c = result.certificates
    assert c.radius_at_099 == pytest.approx(T.DEFAULTS["sigma"] * scipy.stats.norm.ppf(0.99), abs=1e-9)
    ceiling = T.DEFAULTS["sigma"] * scipy.stats.norm.ppf(T.ALPHA ** (1 / T.N_CERTIFY))
    assert c.ceiling == pytest.approx(ceiling, rel=1e-9)
    assert (c.radius <= ceiling + 1e-9).all()
    assert c.certified == int(c.correct.sum())
    assert c.at_ceiling == int(np.sum(c.correct & np.isclose(c.radius, ceiling)))
    assert c.median_radius == pytest.approx(np.median(np.where(c.correct, c.radius, 0)))
    assert ((c.predict == -1) <= (c.radius == 0)).all()


def test_limits_agree_with_certified_accuracy_and_the_l2_size_of_the_linf_ball(result):
    bounds = result.limits
    assert bounds.linf_l2["8/255"] == pytest.approx(8 / 255 * math.sqrt(3072))
    assert bounds.ceiling_100k == pytest.approx(0.25 * scipy.stats.norm.ppf(0.001**1e-5), rel=1e-9)
    for sigma, curve in bounds.curves.items():
        assert all(a >= b for a, b in zip(curve, curve[1:]))  # non-increasing in r
        rows = T.certify_toy(sigma=sigma, seed=0)
        hits = [c and r >= 0.1 for c, r in zip(rows.correct, rows.radius)]
        assert curve[T.RADII.index(0.1)] == pytest.approx(np.mean(hits))
    assert bounds.table["σ"] == list(T.SIGMAS)
    column = f"certified accuracy, r = {T.TRADEOFF_RADIUS}"
    for sigma, value in zip(T.SIGMAS, bounds.table[column]):  # never a number from beyond the ceiling
        assert (value is None) == (T.TRADEOFF_RADIUS > bounds.toy_ceilings[sigma])
    if bounds.headline is not None:
        assert bounds.headline["radius"] <= bounds.linf_l2["8/255"]


def test_no_shipped_radius_above_its_files_ceiling_goes_unflagged(result):
    bounds = result.limits
    assert bounds.shipped
    for point in bounds.shipped:
        record = T.results.read("certify", point.model)
        spec = record["noise"]
        top = T.smoothing.certify_ceiling(
            T.noises.make(spec["name"], spec["scale"]), record["alpha"], record["n"]
        )
        if spec.get("layer", 0):
            top /= record["lipschitz_bound"]
        assert point.ceiling == pytest.approx(top)
        assert point.beyond_ceiling == (point.radius > top)
    h = bounds.headline
    assert h is not None and h["radius"] <= h["ceiling"] and h["radius"] <= bounds.linf_l2["8/255"]
    own = [p for p in bounds.shipped if p.model == h["model"]]
    assert h["radius"] == max(
        p.radius for p in own if not p.beyond_ceiling and p.radius <= bounds.linf_l2["8/255"]
    )
    assert h["beyond"] == tuple(p.radius for p in own if p.beyond_ceiling)
    text = T.headline_sentence(bounds)
    assert f"certified at r = {h['radius']:g}" in text and f"ceiling {h['ceiling']:.2f}" in text
    if h["beyond"]:
        assert "beyond that ceiling" in text and "forced by n" in text
        assert f"r = {h['beyond'][0]:g}" in text
    assert "beyond" not in T.headline_sentence(dataclasses.replace(bounds, headline=dict(h, beyond=())))


def test_defenses_read_their_curves_at_the_chosen_budget(result):
    d = result.defenses
    k = T.BUDGETS.index(T.DEFAULTS["eps"])
    assert list(d.at_eps.values()) == [d.standard[k], d.adversarial[k], d.smoothed[k]]
    assert d.clean_cost == pytest.approx(d.standard[0] - d.adversarial[0])
    assert d.best_at_max[1] == max(d.standard[-1], d.adversarial[-1], d.smoothed[-1])


def test_captions_follow_the_outcomes(result):
    c = result.certificates
    assert "None reaches" in T.certificates_caption(dataclasses.replace(c, at_ceiling=0))
    assert "**3** of them reach" in T.certificates_caption(dataclasses.replace(c, at_ceiling=3))
    d = result.defenses
    assert "costs no clean accuracy" in T.defenses_caption(dataclasses.replace(d, clean_cost=-0.02))
    assert "costs **20%**" in T.defenses_caption(dataclasses.replace(d, clean_cost=0.2))
    bounds = result.limits
    flat = dict(bounds.table, **{"certified accuracy, r = 0": [0.5, 0.6, 0.7, 0.8]})
    assert "does not show the trade-off" in T.limits_caption(dataclasses.replace(bounds, table=flat))
    steep = dict(
        bounds.table,
        **{"certified accuracy, r = 0": [0.9, 0.8, 0.7, 0.6], "largest radius": [0.05, 0.1, 0.2, 0.4]},
    )
    counts = {0.02: 54, 0.05: 48, 0.1: 42, 0.2: 36}
    shown = T.limits_caption(dataclasses.replace(bounds, table=steep, toy_counts=counts, toy_cost_p=0.001))
    assert shown.startswith("Trade-off on the toy") and "36 vs 54 of 60 points" in shown
    close = T.limits_caption(dataclasses.replace(bounds, table=steep, toy_counts=counts, toy_cost_p=0.5))
    assert "within sampling error" in close and not close.startswith("Trade-off on the toy")
    # the shipped numbers: the verdict follows the paired test on the same 60 points
    assert result.limits.toy_counts[T.SIGMAS[-1]] == round(
        result.limits.table["certified accuracy, r = 0"][-1] * 60
    )
    assert T.limits_caption(bounds).startswith("Trade-off on the toy") == (
        bounds.toy_cost_p < T.tradeoff.VERDICT_LEVEL
        and bounds.table["certified accuracy, r = 0"][-1] < bounds.table["certified accuracy, r = 0"][0]
        and bounds.table["largest radius"][-1] > bounds.table["largest radius"][0]
    )
    size = bounds.linf_l2["8/255"]
    assert (f"below {size:.2f}" in T.limits_caption(bounds)) == (bounds.ceiling_100k < size)
    assert f"which reaches {size:.2f}" in T.limits_caption(dataclasses.replace(bounds, ceiling_100k=2.0))


def test_message_4_states_the_alpha_star_argument_from_the_shipped_certificates(result):
    argument = result.limits.argument
    assert argument is not None and argument.needed == pytest.approx(result.limits.linf_l2["8/255"])
    assert T.tradeoff.limits_caption(argument) in result.captions[4]
    if argument.measured is not None:
        assert f"**{argument.best_certified_at_needed:.0%}**" in result.captions[4]
    without = dataclasses.replace(result.limits, argument=None)
    assert "Madry" not in T.limits_caption(without)
    if argument.measured is None:  # no file reaches 1.74: not shown as a measured 0 %
        assert "not measured" in result.captions[4] and T.tradeoff.MEASURE_COMMAND in result.captions[4]
        assert f"Certified accuracy at {argument.needed:.2f}: **" not in result.captions[4]
    small = result.limits.small
    if small is not None and T.tradeoff.what_is_small_caption(small):
        assert T.tradeoff.what_is_small_caption(small) in result.captions[4]
    assert "how tight the certificate is, not how large" in T.MESSAGES[3].text


def test_smoothed_pgd_accuracy_is_seeded_and_scores_by_the_majority_vote():
    parts = T._split(0)
    base = T._model("noise", 0, 0.05)
    x, y = parts.x_test[:20], parts.y_test[:20]
    once = T.smoothed_pgd_accuracy(base, x, y, sigma=0.05, eps=0.06, seed=0)
    assert once == T.smoothed_pgd_accuracy(base, x, y, sigma=0.05, eps=0.06, seed=0)
    # eps = 0: the vote of VOTES draws from the stream "vote/σ/ε", recomputed by hand.
    generator = T.stream_generator(0, "vote/0.05/0.0")
    noise = T.noises.make("gaussian", 0.05).sample((len(x) * T.VOTES, 2), generator=generator, device="cpu")
    with torch.inference_mode():
        votes = base(x.repeat_interleave(T.VOTES, 0) + noise).argmax(1).view(len(x), T.VOTES)
    majority = (votes == 1).sum(1) > (votes == 0).sum(1)
    expected = float((majority.long() == y).float().mean())
    assert T.smoothed_pgd_accuracy(base, x, y, sigma=0.05, eps=0.0, seed=0) == pytest.approx(expected)


def test_message_4_shows_certified_accuracy_at_the_l_inf_size_only_from_a_file_that_reaches_it(
    tmp_path, monkeypatch
):
    """Both states of the tagged n = 100,000 run, in a results folder the scene reads instead of
    assets/results."""
    import json

    for name in {*T.SHIPPED_CERTIFIED, "cifar10-gaussian-0.12", "cifar10-gaussian-0.50"}:
        source = T.results.path("certify", name)
        (tmp_path / source.name).write_text(source.read_text())
    monkeypatch.setattr(T.results, "RESULTS_DIR", tmp_path)
    before = T.limits(0)
    assert before.argument.measured is None
    text = T.limits_caption(before)
    assert (
        "not measured" in text
        and T.tradeoff.MEASURE_COMMAND in text
        and "Certified accuracy at 1.74: **" not in text
    )

    top = T.smoothing.certify_ceiling(T.noises.make("gaussian", 0.5), 0.001, 100_000)
    rows = [
        {"index": 100 * k, "label": 0, "predict": 0, "correct": 1, "radius": top if k < 12 else 1.0}
        for k in range(100)
    ]
    record = {
        "command": T.tradeoff.MEASURE_COMMAND,
        "model": "cifar10-gaussian-0.50",
        "dataset": "cifar10",
        "noise": {"name": "gaussian", "scale": 0.5, "layer": 0},
        "n": 100_000,
        "alpha": 0.001,
        "every": 100,
        "examples": 100,
        "radii": [0.0],
        "certified_accuracy": [1.0],
        "rows": rows,
    }
    (tmp_path / "certify_cifar10-gaussian-0.50@n100000.json").write_text(json.dumps(record))
    after = T.limits(0)  # a new file in the folder: recomputed, not the cached `before`
    assert after.argument.measured.subject == "cifar10-gaussian-0.50@n100000"
    text = T.limits_caption(after)
    assert "Certified accuracy at 1.74: **12%** (12 of 100 test images" in text
    assert "No shipped file can certify" not in text and T.tradeoff.MEASURE_COMMAND not in text


def test_every_network_a_shipped_seed_can_ask_for_is_shipped():
    """take_home asks for toys only through _model(kind, seed, σ), σ one of SIGMAS (message 4 certifies
    each)."""
    for seed in (0, 3):
        every = {T.toy_spec("standard", seed), T.toy_spec("adversarial", seed)} | {
            T.toy_spec("noise", seed, sigma) for sigma in T.SIGMAS
        }
        assert set(T.opening_toys(seed)) == every and every <= set(T.SHIPPED_TOYS)
        assert all(T.toys.shipped(spec) is not None for spec in every)
    # each shipped result names its own seed's weights only: shipping more seeds keeps the others valid
    for key, record in T.shipped.records(T).items():
        seed = dict(json.loads(key)[1])["seed"]
        assert set(record["depends"]) - set(T.IMAGE_MODELS) <= {spec.key() for spec in T.opening_toys(seed)}
