"""core.scenes.cat_to_dog: the targeted attack, its caption facts and the upload decoding."""

import io

import numpy as np
import pytest
import torch
from PIL import Image

from core import attacks, zoo
from core.scenes import cat_to_dog as scene
from core.scenes import common
from core.seeds import stream_generator

MODEL = "cifar10-standard"
BASE = dict(
    model_name=MODEL,
    index=0,
    upload=None,
    target=5,
    attack="pgd",
    eps_255=2.0,
    steps=10,
    c=1.0,
    kappa=0.0,
    seed=0,
)


def run(**changes):
    return scene.targeted_attack(**{**BASE, **changes})


def _png(width=90, height=60, colour=(255, 0, 0)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture(scope="module")
def default():
    return run()


def test_deterministic_for_a_seed_and_seeds_differ(default):
    again = run()
    assert np.array_equal(again.x_adv, default.x_adv) and again.l2 == default.l2
    assert run(seed=1).l2 != default.l2  # another random start


def test_agrees_with_core_pgd_and_the_model(default):
    model = zoo.shared(MODEL)
    x, _ = common.gallery("cifar10")
    batch = x[:1]
    eps = 2 / 255
    x_adv = attacks.pgd(
        model,
        batch,
        torch.tensor([5]),
        eps=eps,
        step=2.5 * eps / 10,
        steps=10,
        norm="linf",
        targeted=True,
        generator=stream_generator(0, "attack"),
    )
    tau = x_adv - batch
    assert default.scale == pytest.approx(float(tau.abs().max()))
    assert default.l2 == pytest.approx(float(tau.norm()))
    with torch.no_grad():
        p = torch.softmax(model(batch), 1)[0].numpy()
        p_adv = torch.softmax(model(x_adv), 1)[0].numpy()
    assert np.allclose(default.p, p, atol=1e-6) and np.allclose(default.p_adv, p_adv, atol=1e-6)
    assert default.scale <= eps + 1e-6  # inside the ℓ∞ ball
    assert default.x.shape == (32, 32, 3) and default.x.dtype == np.uint8
    assert default.label == int(common.gallery("cifar10")[1][0]) and not default.uploaded


def test_reached_follows_the_outcome():
    strong, weak = run(eps_255=16.0), run(eps_255=0.5, target=0)
    for result in (strong, weak):
        assert result.after == int(np.argmax(result.p_adv))
        assert result.reached == (result.after == result.target)
    assert strong.reached and not weak.reached


def test_carlini_wagner_is_targeted_and_small():
    result = run(model_name="mnist-standard", attack="cw", target=3)  # MNIST: a cheaper network
    assert result.reached == (result.after == 3 == int(np.argmax(result.p_adv)))
    assert result.reached and 0 < result.l2 < 4.0


def test_upload_is_decoded_once_and_attacked():
    content = _png()
    scene._decode.cache_clear()
    first = scene.read_upload(content=content, dataset="cifar10")
    second = scene.read_upload(content=content, dataset="cifar10")
    assert scene._decode.cache_info().misses == 1 and second.pixels is not None
    assert first.message is None and first.pixels.shape == (32, 32, 3)
    assert (first.pixels[..., 0] == 255).all() and (first.pixels[..., 1:] == 0).all()
    attacked = run(upload=content)
    assert attacked.uploaded and attacked.label is None
    assert np.array_equal(attacked.x, first.pixels)
    assert scene._decode.cache_info().misses == 1  # the attack reused the decoded photo


def test_bad_upload_gives_one_sentence():
    bad = scene.read_upload(content=b"\x00\x01 this is not an image \xff" * 10, dataset="cifar10")
    assert bad.pixels is None and bad.message.endswith(".") and bad.message.count(". ") == 0
    assert scene.read_upload(content=b"", dataset="cifar10").message
    with pytest.raises(ValueError):
        run(upload=b"not an image")


@pytest.mark.parametrize(
    "changes",
    [
        dict(model_name="nope"),
        dict(attack="fgsm"),
        dict(target=10),
        dict(eps_255=0.0),
        dict(steps=0),
        dict(seed=-1),
        dict(index=20),
        dict(attack="cw", c=0.0),
    ],
)
def test_bad_arguments_raise(changes):
    with pytest.raises(ValueError):
        run(**changes)


def test_default_image_is_a_cat_and_models_prefer_cifar():
    assert int(common.gallery("cifar10")[1][scene.default_image("cifar10")]) == scene.CAT
    assert scene.models()[0] == "cifar10-standard"
    assert (
        scene.expensive("cw", 10)
        and scene.expensive("pgd", 50)
        and not scene.expensive("pgd", scene.DEFAULTS["steps"])
    )
