"""Scene 2 (a network is a composition): layers, sweep and approximation on tiny settings; the
shipped results agree with a live computation."""

import json

import numpy as np
import pytest
import torch

from core import geometry, toys
from core.scenes import composition


@pytest.fixture(autouse=True)
def fresh_caches():
    composition._fit.cache_clear()
    composition._read.cache_clear()
    yield
    composition._fit.cache_clear()
    composition._read.cache_clear()


@pytest.mark.parametrize(
    "call",
    [
        lambda: composition.layers(dataset="mnist", depth=2, width=2, activation="relu", seed=0),
        lambda: composition.layers(dataset="moons", depth=0, width=2, activation="relu", seed=0),
        lambda: composition.layers(dataset="moons", depth=2, width=2, activation="swish", seed=0),
        lambda: composition.layers(dataset="moons", depth=2, width=2, activation="relu", seed=-1),
        lambda: composition.sweep(dataset="moons", seed=0, full="yes"),
        lambda: composition.sweep_network(dataset="moons", width=0, depth=1, epochs=1, seed=0),
        lambda: composition.approximation(function="cosine", max_width=2, seed=0),
        lambda: composition.approximation(function="sine", max_width=3, seed=0),
        lambda: composition.summarise([], dataset="moons", full=False),
    ],
)
def test_bad_arguments_raise_one_sentence(call):
    with pytest.raises(ValueError):
        call()


def test_plane_is_the_data_in_2d_and_a_deterministic_pca_beyond():
    generator = np.random.default_rng(0)
    z2 = generator.normal(size=(50, 2))
    assert np.array_equal(composition.plane(z2)[0], z2) and composition.plane(z2)[1] == "coordinates"
    one, how = composition.plane(z2[:, :1])
    assert how == "coordinate" and np.array_equal(one[:, 0], z2[:, 0]) and not one[:, 1].any()
    z = generator.normal(size=(80, 5)) * np.array([5.0, 3.0, 1.0, 0.5, 0.1])
    projected, how = composition.plane(z)
    assert how == "PCA" and projected.shape == (80, 2)
    assert np.array_equal(projected, composition.plane(z.copy())[0])
    # An independent PCA (eigen-decomposition of the covariance) gives the same axes up to sign.
    centred = z - z.mean(0)
    values, vectors = np.linalg.eigh(centred.T @ centred)
    reference = centred @ vectors[:, ::-1][:, :2]
    assert np.allclose(np.abs(projected), np.abs(reference), atol=1e-8)
    assert np.allclose((projected**2).sum(0), values[::-1][:2])
    assert np.allclose(composition.plane(-z)[0], -projected)  # the sign rule: no flipped view


def test_the_opening_network_and_its_neighbours_are_shipped():
    default = composition.toy_spec(**composition.NETWORK_DEFAULTS, seed=0)
    assert default in composition.SHIPPED_TOYS
    assert (
        composition.toy_spec(**(composition.NETWORK_DEFAULTS | {"width": 8}), seed=0)
        in composition.SHIPPED_TOYS
    )
    assert toys.shipped(default) is not None


def test_layers_follow_the_network(monkeypatch):
    monkeypatch.setattr(composition, "EPOCHS", 2)
    values = dict(dataset="circles", depth=2, width=8, activation="tanh", seed=3)
    result = composition.layers(**values)
    spec = composition.toy_spec(**values)
    model, parts = toys.model(spec), toys.split(spec)
    x = torch.cat([parts.x_train, parts.x_test])
    with torch.no_grad():
        hidden = model.representations(x)[2].numpy()
        train_acc = float((model(parts.x_train).argmax(1) == parts.y_train).float().mean())
    assert result.names == ("input x", "φ(1)(x)", "φ(2)∘…∘φ(1)(x)", "logits F(x)")
    assert result.dims == (2, 8, 8, 2) and result.projections == ("coordinates", "PCA", "PCA", "coordinates")
    assert np.allclose(result.planes[2], composition.plane(hidden)[0], atol=1e-5)
    assert result.train_acc == pytest.approx(train_acc)
    assert result.parameters == 2 * 8 + 8 + 8 * 8 + 8 + 8 * 2 + 2
    assert result.separated == (result.train_acc == 1.0)
    assert f"{result.train_acc:.1%}" in result.caption
    assert ("linearly separable" in result.caption) == result.separated
    again = composition.layers(**values)
    assert np.array_equal(again.planes[1], result.planes[1])


def test_sweep_network_is_core_geometry_sweep_and_seeded():
    parts = toys.split(composition.sweep_spec(dataset="moons", seed=0))
    ours = composition._fit_network(parts, width=4, depth=1, epochs=5, init_seed=7, order_seed=7)
    theirs = geometry.width_depth_sweep(
        parts.x_train,
        parts.y_train,
        parts.x_test,
        parts.y_test,
        widths=[4],
        depths=[1],
        epochs=5,
        seed=7,
        lr=composition.SWEEP_LR,
        batch_size=len(parts.x_train),
    )[0]
    assert ours.train_loss == pytest.approx(theirs["train_loss"], rel=1e-6)
    assert ours.test_acc == theirs["test_acc"] and ours.parameters == theirs["parameters"]
    first, again, other = (
        composition.sweep_network(dataset="moons", width=4, depth=1, epochs=5, seed=s) for s in (0, 0, 1)
    )
    assert first == again and first != other


def row(width, depth, train_acc, test_acc):
    return composition.SweepRow(
        width=width,
        depth=depth,
        parameters=10 * width,
        train_loss=0.1,
        train_acc=train_acc,
        test_loss=0.2,
        test_acc=test_acc,
    )


def test_sweep_caption_states_what_was_computed():
    memorised = composition.summarise(
        [row(4, 2, 0.8, 0.7), row(256, 2, 1.0, 0.74)], dataset="moons", full=False
    )
    assert memorised.widest.width == 256 and memorised.memorised
    assert memorised.gap == pytest.approx(-0.26)
    assert "memorised" in memorised.caption and "26% below" in memorised.caption
    not_memorised = composition.summarise(
        [row(256, 2, 0.9, 0.92), row(256, 3, 0.95, 0.9)], dataset="moons", full=True
    )
    assert not_memorised.widest.depth == 3 and not not_memorised.memorised
    assert "memorised" not in not_memorised.caption and "95%" in not_memorised.caption
    assert not_memorised.epochs == composition.FULL_SWEEP["epochs"]


@pytest.mark.parametrize("seed", [toys.SHIPPED_SEEDS[0], toys.SHIPPED_SEEDS[-1]])
def test_shipped_sweep_and_fit_agree_with_a_live_computation(seed):
    """The parts of the shipped file that are the same on every x86 CPU and thread count, recomputed: the
    narrowest sweep network and a small fit of a smooth target, at the first and the last shipped seed."""
    content = json.loads(composition.SHIPPED_PATH.read_text())
    assert content["command"] == composition.BUILD_COMMAND and composition._shipped()
    dataset = composition.DEFAULTS["dataset"]
    shipped = composition.sweep(dataset=dataset, seed=seed)
    assert len(shipped.rows) == len(composition.sweep_pairs(False))
    width, depth = composition.sweep_pairs(False)[0]
    live = composition.sweep_network(
        dataset=dataset, width=width, depth=depth, epochs=composition.QUICK_SWEEP["epochs"], seed=seed
    )
    # Trained in float32: its accuracies are equal under other vector kernels, its losses within float32
    # rounding (seed 9's differ by < 1e-6 under the scalar kernels, tests/scenes/test_across_cpus.py).
    row = shipped.rows[0]
    assert (row.width, row.depth, row.parameters, row.train_acc, row.test_acc) == (
        live.width,
        live.depth,
        live.parameters,
        live.train_acc,
        live.test_acc,
    )
    assert (row.train_loss, row.test_loss) == pytest.approx((live.train_loss, live.test_loss), rel=1e-5)
    # The fit trains in float64 and is stored in float32: on any x86 CPU and thread count, vector width
    # changes float64 rounding (~1e-16) that this smooth, small fit does not amplify past one float32 ulp.
    # (Discontinuous targets at large widths are chaotic: they are equal only on the same CPU kind.)
    function = "bump" if seed == 0 else composition.FUNCTIONS[0]
    fit, mse = composition.fit_width(function=function, width=2, seed=seed)
    from_file = composition.approximation(function=function, max_width=2, seed=seed)
    np.testing.assert_allclose(from_file.fits[1], fit, rtol=2.5e-7, atol=0)
    assert from_file.mse[1] == pytest.approx(mse, rel=1e-9)


@pytest.mark.parametrize("seed", toys.SHIPPED_SEEDS)
def test_every_shipped_seed_opens_with_a_shipped_sweep_and_shipped_fits(seed, monkeypatch):
    """A seed change on p02 trains nothing: what the page opens with at every shipped seed is read."""

    def refuse(**_):
        raise AssertionError(f"trained live at seed {seed}: rebuild with {composition.BUILD_COMMAND}")

    composition._fit.cache_clear()
    monkeypatch.setattr(composition, "sweep_network", refuse)
    monkeypatch.setattr(composition, "fit_width", refuse)
    sweep = composition.sweep(dataset=composition.DEFAULTS["dataset"], seed=seed)
    fits = composition.approximation(
        function=composition.FUNCTIONS[0], max_width=composition.DEFAULTS["max_width"], seed=seed
    )
    assert len(sweep.rows) == len(composition.sweep_pairs(False))
    assert fits.widths[-1] == composition.DEFAULTS["max_width"]
    composition._fit.cache_clear()


def test_build_writes_what_the_scene_reads_and_is_dropped_when_settings_change(monkeypatch, tmp_path):
    monkeypatch.setattr(composition, "QUICK_SWEEP", {"widths": (2, 3), "depths": (1,), "epochs": 2})
    monkeypatch.setattr(composition, "APPROXIMATION_WIDTHS", (1, 2))
    monkeypatch.setattr(composition, "APPROXIMATION_STEPS", 3)
    monkeypatch.setattr(composition, "SHIPPED_PATH", tmp_path / "composition.json")
    composition.build()
    rows = json.loads((tmp_path / "composition.json").read_text())["sweeps"]["0"]["spirals"]
    result = composition.sweep(dataset="spirals", seed=0)
    assert [composition.SweepRow(**r) for r in rows] == list(result.rows)
    assert result.rows[1] == composition.sweep_network(dataset="spirals", width=3, depth=1, epochs=2, seed=0)
    monkeypatch.setattr(composition, "SWEEP_LR", 0.5)
    composition._read.cache_clear()
    assert composition._shipped() == {}


def test_approximation_numbers_and_caption(monkeypatch):
    monkeypatch.setattr(composition, "APPROXIMATION_STEPS", 40)
    result = composition.approximation(function="sine", max_width=8, seed=15)  # not shipped: fitted here
    assert result.widths == (1, 2, 4, 8)
    for fit, mse in zip(result.fits, result.mse):
        assert mse == pytest.approx(float(((fit - result.target) ** 2).mean()), rel=1e-4)
    assert result.decreasing == all(b < a for a, b in zip(result.mse, result.mse[1:]))
    assert f"{result.mse[0]:.2e}" in result.caption and f"{result.mse[-1]:.2e}" in result.caption
    assert ("not at every step" in result.caption) == (not result.decreasing)
    composition._fit.cache_clear()
    again = composition.approximation(function="sine", max_width=8, seed=15)
    assert all(np.array_equal(a, b) for a, b in zip(again.fits, result.fits))
    composition._fit.cache_clear()
    other = composition.approximation(function="sine", max_width=8, seed=16)
    assert not np.array_equal(other.fits[-1], result.fits[-1])


def test_warm_loads_what_the_page_opens_with():
    composition.warm()
    assert composition._shipped() and composition._fit.cache_info().currsize >= 1


def test_a_shipped_seed_opens_with_shipped_networks(asked_toys):
    asked = asked_toys
    composition.layers(**composition.NETWORK_DEFAULTS, seed=3)
    assert asked and set(asked) <= set(composition.opening_toys(3)) <= set(composition.SHIPPED_TOYS)
