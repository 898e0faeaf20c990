"""Scene 8 · noise → a distribution over decision regions: the attack, the two vote distributions,
their total variation, and a caption that says what was computed."""
import dataclasses

import numpy as np
import pytest
import torch

from core import geometry, noise as noises, toys
from core.scenes import decision_distribution as scene
from core.scenes import noise_injection
from core.seeds import stream_seed

TOY = dict(x1=0.45, x2=0.55, sigma=0.15, eps=0.05)


def toy_base(seed=0):
    return toys.model(noise_injection.toy_spec(seed))


def outcome(label, adv_label, p, q):
    p, q = np.array(p), np.array(q)
    return scene.Outcome(label=label, adv_label=adv_label, p=p, q=q, tv=0.5 * float(np.abs(p - q).sum()), distance=0.1)


@pytest.mark.parametrize("case, flipped, kept, close", [
    (outcome(0, 1, [0.7, 0.3], [0.65, 0.35]), True, True, True),
    (outcome(0, 1, [0.7, 0.3], [0.3, 0.7]), True, False, False),
    (outcome(0, 0, [0.9, 0.1], [0.6, 0.4]), False, True, False),
    (outcome(1, 1, [0.45, 0.55], [0.52, 0.48]), False, False, True),
])
def test_the_caption_states_what_was_computed(case, flipped, kept, close):
    assert (case.flipped, case.kept, case.close) == (flipped, kept, close)
    text = scene.caption(case, ["cat", "dog"])
    assert ("flips F" in text) == flipped and ("does not flip F" in text) == (not flipped)
    assert ("F_rob keeps its answer" in text) == kept and ("F_rob changes its answer" in text) == (not kept)
    assert ("almost the same" in text) == close and ("differ" in text) == (not close)
    assert f"{case.tv:.3f}" in text


def test_toy_scene_follows_the_base_network_and_the_noise():
    result = scene.toy_scene_live(**TOY, seed=0)
    model = toy_base()
    x, x_adv = torch.tensor(result.x), torch.tensor(result.x_adv)
    with torch.no_grad():
        assert result.label == int(model(x[None]).argmax(1)) and result.adv_label == int(model(x_adv[None]).argmax(1))
        np.testing.assert_array_equal(result.cloud_votes, model(torch.tensor(result.cloud)).argmax(1).numpy())
    assert result.distance <= TOY["eps"] + 1e-5
    assert result.tv == pytest.approx(0.5 * np.abs(result.p - result.q).sum())
    assert result.p.sum() == pytest.approx(1) and result.q.sum() == pytest.approx(1)
    assert result.rob_label == int(np.argmax(result.p)) and result.flipped == (result.label != result.adv_label)
    # The clouds are N(x, σ²I) and N(x_adv, σ²I): their means sit within 4 standard errors.
    tolerance = 4 * TOY["sigma"] / np.sqrt(scene.CLOUD_POINTS)
    assert np.abs(result.cloud.mean(0) - np.array(result.x)).max() < tolerance
    assert np.abs(result.cloud_adv.mean(0) - np.array(result.x_adv)).max() < tolerance
    # p agrees with an independent Monte Carlo estimate (another stream) up to sampling error.
    independent = geometry.class_distribution(model, x, noise=noises.make("gaussian", TOY["sigma"]), num=4000,
                                              seed=stream_seed(0, "test"), num_classes=2).numpy()
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
    result = scene.image_scene_live(model="mnist-gaussian-0.25", index=0, scale=0.25, eps=2.0, votes=100, seed=0)
    assert result.distance <= 2.0 + 1e-4
    assert result.p.shape == (10,) and result.p.sum() == pytest.approx(1)
    assert result.x.shape == (28, 28, 3) and result.x_adv.dtype == np.uint8
    assert result.tv == pytest.approx(0.5 * np.abs(result.p - result.q).sum())
    assert result.noise_label.startswith("Gaussian") and result.votes == 100


@pytest.mark.parametrize("change", [dict(sigma=0.13), dict(eps=0.07), dict(x1=-0.5), dict(seed=-1)])
def test_bad_toy_arguments_raise(change):
    with pytest.raises(ValueError):
        scene.toy_scene(**{**TOY, "seed": 0, **change})


@pytest.mark.parametrize("change", [dict(model="mnist-standard"), dict(model="no-such-model"), dict(votes=7),
                                    dict(index=20), dict(eps=0.3)])
def test_bad_image_arguments_raise(change):
    with pytest.raises(ValueError):
        scene.image_scene(**{"model": "mnist-gaussian-0.25", "eps": 2.0, "votes": 100, **change})


def test_shipped_defaults_are_what_the_scene_computes():
    for name, live, public in scene.SHIPPED_CALLS[:2]:
        arguments = noise_injection.defaults(public)
        shipped = public(**arguments)
        fresh = live(**arguments)
        for field in dataclasses.fields(fresh):
            a, b = getattr(shipped, field.name), getattr(fresh, field.name)
            if isinstance(b, np.ndarray):
                np.testing.assert_allclose(a, b, atol=1e-6, err_msg=field.name)
            else:
                assert a == pytest.approx(b), field.name
        assert noise_injection.shipped_result(scene.SCENE_FILE, name, arguments, scene.RESULT_TYPES) is not None
