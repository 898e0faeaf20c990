import io

import numpy as np
import pytest
import torch
from PIL import Image

from core import data


@pytest.mark.parametrize("name", data.TOY_DATASETS)
def test_toy_sets_live_in_the_unit_square_and_replay(name):
    x, y = data.toy_2d(name, 300, noise=0.1, seed=3)
    assert x.shape == (300, 2) and x.dtype == torch.float32 and y.dtype == torch.long
    assert float(x.min()) >= 0 and float(x.max()) <= 1
    assert set(y.tolist()) == set(range(3 if name == "blobs" else 2))
    again, labels = data.toy_2d(name, 300, noise=0.1, seed=3)
    assert torch.equal(x, again) and torch.equal(y, labels)
    assert not torch.equal(x, data.toy_2d(name, 300, noise=0.1, seed=4)[0])


def test_label_noise_flips_about_that_fraction():
    _, clean = data.toy_2d("moons", 2000, seed=0)
    _, noisy = data.toy_2d("moons", 2000, label_noise=0.2, seed=0)
    assert 0.17 < float((clean != noisy).float().mean()) < 0.23


def test_split_is_a_seeded_partition():
    x, y = data.toy_2d("circles", 100)
    x_train, y_train, x_test, y_test = data.train_test_split(x, y, test_fraction=0.3, seed=1)
    assert len(x_train) == 70 and len(x_test) == 30
    rows = {tuple(r) for r in torch.cat([x_train, x_test]).tolist()}
    assert rows == {tuple(r) for r in x.tolist()}


def test_digits_are_8x8_in_unit_range():
    x, y = data.digits()
    assert x.shape == (1797, 1, 8, 8) and float(x.max()) == 1.0 and float(x.min()) == 0.0
    assert set(y.tolist()) == set(range(10))


@pytest.mark.parametrize("channels", [1, 3])
def test_npz_loader_reads_the_shared_layout(tmp_path, channels):
    rng = np.random.default_rng(0)
    shape = (12, 28, 28) if channels == 1 else (12, 32, 32, 3)
    pixels = rng.integers(0, 256, shape, dtype=np.uint8)
    labels = rng.integers(0, 10, 12).astype(np.uint8)
    name = "mnist" if channels == 1 else "cifar10"
    np.savez_compressed(tmp_path / f"{name}_test.npz", x=pixels, y=labels)
    x, y = data.load_dataset(name, "test", data_dir=tmp_path)
    assert x.shape == (12, channels, *shape[1:3]) and y.dtype == torch.long
    expected = torch.from_numpy(pixels[3]).float() / 255
    got = x[3, 0] if channels == 1 else x[3].permute(1, 2, 0)
    assert torch.allclose(got, expected)
    every, _ = data.load_dataset(name, "test", data_dir=tmp_path, every=5, limit=2)
    assert torch.equal(every, x[[0, 5]])


def test_missing_data_says_how_to_get_it(tmp_path):
    with pytest.raises(data.DatasetUnavailable, match="--data-dir|download=True"):
        data.load_dataset("cifar10", "train", data_dir=tmp_path)
    with pytest.raises(data.DatasetUnavailable, match="download=True"):
        data.load_torchvision("mnist", "test", tmp_path)  # no download: nothing leaves the machine
    with pytest.raises(ValueError, match="Unknown dataset"):
        data.load_npz("svhn", "test", tmp_path)


@pytest.mark.parametrize("name,shape", [("cifar10", (3, 32, 32)), ("mnist", (1, 28, 28)),
                                        ("fashion_mnist", (1, 28, 28))])
def test_gallery_reads_foolbox_images_with_labels_from_file_names(name, shape):
    x, y = data.gallery(name)
    assert x.shape == (20, *shape) and float(x.max()) <= 1 and float(x.min()) >= 0
    if name == "cifar10":
        assert y.tolist()[:4] == [3, 8, 8, 0]  # cifar10_00_3.png: the first image is a cat
    if name == "mnist":
        assert y.tolist()[:4] == [7, 2, 1, 0]  # the first MNIST test digits


def _encode(image: Image.Image, fmt: str) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt)
    return buffer.getvalue()


@pytest.mark.parametrize("mode,fmt", [("RGB", "JPEG"), ("RGBA", "PNG"), ("L", "PNG")])
def test_uploads_are_centre_cropped_and_resized(mode, fmt):
    array = np.zeros((40, 80, 3), dtype=np.uint8)
    array[:, 20:60] = 255  # a white square in the centre of a wide black image
    image = Image.fromarray(array).convert(mode)
    tensor = data.load_image(_encode(image, fmt), size=32, channels=3)
    assert tensor.shape == (3, 32, 32)
    assert float(tensor.mean()) > 0.95, "the centre crop keeps the white square only"
    assert data.load_image(_encode(image, fmt), size=28, channels=1).shape == (1, 28, 28)


@pytest.mark.parametrize("payload", [b"", b"not an image at all", b"\x89PNG\r\n\x1a\n" + b"\x00" * 40])
def test_garbage_uploads_get_one_sentence(payload):
    with pytest.raises(data.InvalidImage, match="not a readable image"):
        data.load_image(payload, size=32, channels=3)


def test_bad_arguments():
    with pytest.raises(ValueError, match="2-D dataset"):
        data.toy_2d("swiss_roll")
    with pytest.raises(ValueError, match="label_noise"):
        data.toy_2d("moons", label_noise=1.5)
    with pytest.raises(ValueError, match="test_fraction"):
        data.train_test_split(torch.zeros(4, 2), torch.zeros(4), test_fraction=1.0)
