"""core.scenes.geometry (scene 5): the toy's regions and default point, the PGD path and the stretch
ratios, checked against core.geometry called directly and against the model itself."""

import numpy as np
import pytest
import torch

from core import geometry, toys
from core.scenes import geometry as scene
from core.seeds import stream_seed
from ui.figures import geometry as figures

DEFAULT = dict(dataset="moons", eps=0.1, norm="l2", steps=10, output="probabilities", seed=0)


@pytest.fixture(scope="module")
def toy():
    return scene.toy(dataset="moons", seed=0)


@pytest.fixture(scope="module")
def attacked(toy):
    x1, x2 = toy.default_point
    return scene.attack(x1=x1, x2=x2, **DEFAULT)


def test_shipped_specs_are_the_scene_defaults():
    assert scene.spec("moons", 0) in scene.SHIPPED_TOYS
    assert {spec.dataset for spec in scene.SHIPPED_TOYS} == set(scene.EPOCHS)
    assert all(spec.epochs == scene.EPOCHS[spec.dataset] and spec.seed == 0 for spec in scene.SHIPPED_TOYS)


def test_toy_regions_are_the_model_on_the_grid_and_the_default_point_is_near_the_boundary(toy):
    model = toys.model(scene.spec("moons", 0))
    assert toy.labels.shape == (scene.RESOLUTION, scene.RESOLUTION) and toy.classes == 2
    with torch.no_grad():
        corner = model(torch.tensor([[float(toy.xs[3]), float(toy.ys[7])]])).softmax(1)[0]
    assert toy.labels[7, 3] == int(corner.argmax())
    assert toy.boundary[7, 3] == pytest.approx(float(corner[1]), abs=1e-6)
    # The default point is the least confident training point with confidence ≥ 0.75.
    with torch.no_grad():
        confidence = model(torch.from_numpy(toy.x_train)).softmax(1).amax(1).numpy()
    eligible = confidence[confidence >= scene.DEFAULT_CONFIDENCE]
    picked = np.argmin(np.abs(toy.x_train - np.array(toy.default_point)).sum(1))
    assert confidence[picked] == pytest.approx(eligible.min(), abs=1e-3)


def test_attack_path_stays_in_the_ball_and_its_labels_are_the_models(toy, attacked):
    model = toys.model(scene.spec("moons", 0))
    assert attacked.path.shape == (DEFAULT["steps"] + 1, 2)
    assert np.allclose(attacked.path[0], toy.default_point)
    assert np.linalg.norm(attacked.path - attacked.path[0], axis=1).max() <= 0.1 + 1e-5
    assert attacked.distance == pytest.approx(
        float(np.linalg.norm(attacked.path[-1] - attacked.path[0])), abs=1e-6
    )
    with torch.no_grad():
        labels = model(torch.from_numpy(attacked.path)).argmax(1).numpy()
    assert (labels == attacked.path_labels).all() and attacked.label == labels[0]
    crossed = np.nonzero(labels != labels[0])[0]
    assert attacked.crossing == (int(crossed[0]) if len(crossed) else None)
    assert attacked.flipped == (attacked.final != attacked.label)
    assert attacked.flipped  # the default point and budget cross the boundary


def test_stretch_ratios_come_from_named_streams(attacked, toy):
    model = toys.model(scene.spec("moons", 0))
    softmax = lambda z: torch.softmax(model(z), dim=1)  # noqa: E731
    direct = geometry.stretch_ratios(
        softmax,
        torch.tensor(toy.default_point),
        radius=0.1,
        num=scene.DIRECTIONS_AT_POINT,
        seed=stream_seed(0, "stretch at the point"),
    )
    assert np.allclose(attacked.at_point, direct.flatten().numpy(), atol=1e-6)
    assert attacked.on_data.size == scene.DIRECTIONS_PER_DATUM * len(toy.x_train)
    assert attacked.on_data_median == pytest.approx(float(np.median(attacked.on_data)))
    assert attacked.on_data_stretched == pytest.approx(
        float((attacked.on_data > attacked.identity_on_data).mean())
    )


@pytest.mark.parametrize("norm", ["l2", "linf"])
def test_the_identity_reference_is_the_identity_ratio_on_the_same_draws(toy, norm):
    """The reference line and the help text state the identity map's ratio on the scene's own draws: 1 in ℓ2,
    ‖τ‖₂/‖τ‖∞ (median ≈ 1.08, up to √2) in ℓ∞ — never a fixed "ratio 1"."""
    x1, x2 = toy.default_point
    result = scene.attack(x1=x1, x2=x2, **{**DEFAULT, "norm": norm})
    x_train = toys.split(scene.spec("moons", 0)).x_train
    point = geometry.stretch_ratios(
        lambda z: z,
        torch.tensor(toy.default_point),
        radius=0.1,
        norm=norm,
        num=scene.DIRECTIONS_AT_POINT,
        seed=stream_seed(0, "stretch at the point"),
    )
    data = geometry.stretch_ratios(
        lambda z: z,
        x_train,
        radius=0.1,
        norm=norm,
        num=scene.DIRECTIONS_PER_DATUM,
        seed=stream_seed(0, "stretch on the data"),
    )
    assert np.allclose(result.identity_at_point, point.flatten().numpy())
    assert np.allclose(result.identity_on_data, data.flatten().numpy())
    assert result.identity_at_point_median == pytest.approx(float(np.median(point.numpy())), abs=1e-6)
    assert result.identity_on_data_median == pytest.approx(float(np.median(data.numpy())), abs=1e-6)
    both = torch.cat([point.flatten(), data.flatten()])
    assert (result.identity_low, result.identity_high) == pytest.approx(
        (float(both.min()), float(both.max()))
    )
    if norm == "l2":
        assert result.identity_on_data_median == pytest.approx(1.0, abs=1e-5)
        assert scene.identity_text(result) == "1"
    else:
        assert result.identity_on_data_median == pytest.approx(1.08, abs=0.02)
        assert result.identity_high == pytest.approx(np.sqrt(2), abs=0.01)
        assert f"{result.identity_on_data_median:.3g} in the median" in scene.identity_text(result)
    assert f"{result.identity_at_point_median:.3g} on the same draws" in scene.median_help(result)
    assert scene.identity_text(result) in scene.stretch_caption(result)
    figure = figures.stretch(result)
    (line,) = [shape for shape in figure.layout.shapes if shape.type == "line"]
    assert line.x0 == pytest.approx(np.log10(result.identity_on_data_median))
    assert figure.layout.annotations[0].text == f"identity map: ratio {scene.identity_text(result)}"


def test_deterministic_for_a_seed_and_different_seeds_differ(attacked, toy):
    x1, x2 = toy.default_point
    again = scene.attack(x1=x1, x2=x2, **DEFAULT)
    assert np.array_equal(again.at_point, attacked.at_point) and np.array_equal(again.path, attacked.path)
    other = scene.attack(x1=x1, x2=x2, **{**DEFAULT, "seed": 1})
    assert not np.allclose(other.at_point, attacked.at_point)


def test_captions_follow_the_computed_outcome(toy, attacked):
    assert f"step {attacked.crossing} of" in scene.path_caption(attacked)
    far = scene.attack(x1=0.05, x2=0.95, **{**DEFAULT, "eps": 0.01})  # a corner far from the boundary
    assert far.crossing is None and "no adversarial point was found" in scene.path_caption(far)
    text = scene.stretch_caption(attacked)
    assert ("squashed" in text) == (attacked.on_data_median < attacked.identity_on_data_median)
    assert ("over 10×" in text) == (attacked.on_data_max > 10 * attacked.identity_high)


@pytest.mark.parametrize(
    "change",
    [
        dict(dataset="swirls"),
        dict(x1=1.5),
        dict(eps=0.0),
        dict(eps=2.0),
        dict(norm="l1"),
        dict(steps=0),
        dict(output="votes"),
        dict(seed=-1),
    ],
)
def test_bad_arguments_raise_one_sentence(change):
    arguments = dict(DEFAULT, x1=0.5, x2=0.5)
    arguments.update(change)
    with pytest.raises(ValueError):
        scene.attack(**arguments)
