import io
import struct

import numpy as np
import pytest
import torch
from PIL import Image

from core import data

# ----------------------------------------------------------------------------- 2-D toy sets


@pytest.mark.parametrize("name", data.TOY_DATASETS)
def test_toy_sets_fill_the_unit_square_with_a_margin_and_replay(name):
    x, y = data.toy_2d(name, 300, noise=0.1, seed=3)
    assert x.shape == (300, 2) and x.dtype == torch.float32 and y.dtype == torch.long
    assert torch.allclose(x.min(dim=0).values, torch.tensor([0.05, 0.05]))  # min-max scaling, 5 % margin
    assert torch.allclose(x.max(dim=0).values, torch.tensor([0.95, 0.95]))
    classes = 3 if name == "blobs" else 2
    assert torch.bincount(y).tolist() == [300 // classes] * classes  # balanced classes
    again, labels = data.toy_2d(name, 300, noise=0.1, seed=3)
    assert torch.equal(x, again) and torch.equal(y, labels)
    assert not torch.equal(x, data.toy_2d(name, 300, noise=0.1, seed=4)[0])


@pytest.mark.parametrize("name", ["circles", "spirals"])
def test_circles_and_spirals_are_learnable_but_not_linearly_separable(name):
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import cross_val_score
    from sklearn.neighbors import KNeighborsClassifier

    x, y = data.toy_2d(name, 400, noise=0.02, seed=0)
    linear = cross_val_score(LogisticRegression(), x.numpy(), y.numpy(), cv=4).mean()
    neighbours = cross_val_score(KNeighborsClassifier(3), x.numpy(), y.numpy(), cv=4).mean()
    assert linear < 0.7 and neighbours > 0.95


@pytest.mark.parametrize("name", data.TOY_DATASETS)
def test_label_noise_flips_exactly_that_fraction_and_leaves_points_alone(name):
    x_clean, clean = data.toy_2d(name, 1000, seed=5)
    x_noisy, noisy = data.toy_2d(name, 1000, label_noise=0.15, seed=5)
    assert torch.equal(x_clean, x_noisy)
    assert int((clean != noisy).sum()) == 150  # every chosen label moves to another class
    assert set(noisy.tolist()) <= set(clean.tolist())


def test_toy_arguments_are_checked_with_one_sentence():
    with pytest.raises(ValueError, match="choose one of moons, circles, spirals, blobs"):
        data.toy_2d("swiss_roll")
    with pytest.raises(ValueError, match="n ≥ 2"):
        data.toy_2d("moons", 1)
    with pytest.raises(ValueError, match="noise must be a non-negative"):
        data.toy_2d("moons", noise=-0.1)
    for bad in (1.0, 1.5, -0.1, float("nan")):
        with pytest.raises(ValueError, match=r"label_noise must be a fraction in \[0, 1\)"):
            data.toy_2d("moons", label_noise=bad)


def test_split_is_a_seeded_partition():
    x, y = data.toy_2d("circles", 100)
    x_train, y_train, x_test, y_test = data.train_test_split(x, y, test_fraction=0.3, seed=1)
    assert len(x_train) == len(y_train) == 70 and len(x_test) == len(y_test) == 30
    pairs = {(*row, label) for row, label in zip(x.tolist(), y.tolist())}
    split_pairs = [
        (*row, label)
        for row, label in zip(torch.cat([x_train, x_test]).tolist(), torch.cat([y_train, y_test]).tolist())
    ]
    assert len(split_pairs) == len(set(split_pairs)) and set(split_pairs) == pairs  # rows keep their labels
    assert torch.equal(data.train_test_split(x, y, test_fraction=0.3, seed=1)[2], x_test)
    assert not torch.equal(data.train_test_split(x, y, test_fraction=0.3, seed=2)[2], x_test)
    assert len(data.train_test_split(x[:2], y[:2], test_fraction=0.9)[0]) == 1  # both sides keep one


def test_split_arguments_are_checked():
    with pytest.raises(ValueError, match="test_fraction"):
        data.train_test_split(torch.zeros(4, 2), torch.zeros(4), test_fraction=1.0)
    with pytest.raises(ValueError, match="same length"):
        data.train_test_split(torch.zeros(4, 2), torch.zeros(3))


def test_digits_are_sklearn_digits_over_16():
    from sklearn.datasets import load_digits

    x, y = data.digits()
    assert x.shape == (1797, 1, 8, 8) and x.dtype == torch.float32 and y.dtype == torch.long
    assert float(x.max()) == 1.0 and float(x.min()) == 0.0
    reference = load_digits()
    assert torch.allclose(x[10, 0], torch.tensor(reference.images[10] / 16, dtype=torch.float32))
    assert y.tolist() == reference.target.tolist()


# ----------------------------------------------------------------------------- image datasets


def _write_npz(folder, name, split, channels, count=12, seed=0):
    rng = np.random.default_rng(seed)
    shape = (count, 28, 28) if channels == 1 else (count, 32, 32, 3)
    pixels = rng.integers(0, 256, shape, dtype=np.uint8)
    labels = rng.integers(0, 10, count).astype(np.uint8)
    np.savez_compressed(folder / f"{name}_{split}.npz", x=pixels, y=labels)
    return pixels, labels


@pytest.mark.parametrize("name,channels", [("mnist", 1), ("cifar10", 3)])
def test_npz_loader_reads_the_shared_layout_in_order(tmp_path, name, channels):
    pixels, labels = _write_npz(tmp_path, name, "test", channels)
    x, y = data.load_npz(name, "test", tmp_path)
    assert x.shape == (12, channels, *pixels.shape[1:3]) and x.dtype == torch.float32 and x.is_contiguous()
    assert y.dtype == torch.long and y.tolist() == labels.tolist()
    channels_last = x.permute(0, 2, 3, 1).reshape(pixels.shape)  # back to the file's layout
    assert torch.equal(channels_last, torch.from_numpy(pixels).float() / 255)
    assert torch.equal(data.load_dataset(name, "test", data_dir=tmp_path)[0], x)


def test_every_and_limit_pick_every_kth_example_then_cap(tmp_path):
    _write_npz(tmp_path, "mnist", "test", 1, count=23)
    x, y = data.load_npz("mnist", "test", tmp_path)
    for every, limit, kept in [
        (5, 2, [0, 5]),
        (5, None, [0, 5, 10, 15, 20]),
        (1, 3, [0, 1, 2]),
        (20, 100, [0, 20]),
    ]:
        x_part, y_part = data.load_dataset("mnist", "test", data_dir=tmp_path, every=every, limit=limit)
        assert torch.equal(x_part, x[kept]) and torch.equal(y_part, y[kept])
    with pytest.raises(ValueError, match="every must be a positive integer"):
        data.load_dataset("mnist", "test", data_dir=tmp_path, every=0)
    with pytest.raises(ValueError, match="limit must be a positive integer"):
        data.load_dataset("mnist", "test", data_dir=tmp_path, limit=0)


def test_missing_data_says_how_to_get_it(tmp_path):
    with pytest.raises(
        data.DatasetUnavailable, match=r"CIFAR-10 train split not found .*--data-dir.*download=True"
    ):
        data.load_dataset("cifar10", "train", data_dir=tmp_path)
    with pytest.raises(data.DatasetUnavailable, match="pass data_dir .*or a torchvision root"):
        data.load_dataset("mnist")
    with pytest.raises(ValueError, match="Unknown dataset 'svhn'"):
        data.load_npz("svhn", "test", tmp_path)
    with pytest.raises(ValueError, match="Unknown split"):
        data.load_dataset("mnist", "validation", data_dir=tmp_path)


def test_local_data_is_found_in_the_first_folder_that_holds_it(tmp_path, monkeypatch):
    first, second = tmp_path / "chosen", tmp_path / "project"
    monkeypatch.setattr(data, "PROJECT_ROOT", second)
    monkeypatch.setenv(data.DATA_DIR_VARIABLE, str(first))
    assert data.data_dirs() == [first, tmp_path / "shared" / "data", second / "data"]
    assert data.find_data_dir("mnist") is None
    with pytest.raises(
        data.DatasetUnavailable, match=r"MNIST test split not found: put mnist_test.npz in one of"
    ):
        data.load_local("mnist")
    (second / "data").mkdir(parents=True)
    _write_npz(second / "data", "mnist", "test", 1, count=23)
    assert data.find_data_dir("mnist") == second / "data"
    first.mkdir()
    pixels, _ = _write_npz(first, "mnist", "test", 1, count=23)  # $RDL_DATA_DIR comes first
    assert data.find_data_dir("mnist") == first
    x, _ = data.load_local("mnist", every=5, limit=2)
    assert torch.equal(x, data.load_dataset("mnist", data_dir=first, every=5, limit=2)[0])
    monkeypatch.delenv(data.DATA_DIR_VARIABLE)
    assert data.data_dirs() == [tmp_path / "shared" / "data", second / "data"]
    assert data.find_data_dir("mnist") == second / "data"


def test_broken_archives_are_reported_not_crashed_on(tmp_path):
    (tmp_path / "mnist_test.npz").write_text("not a zip archive")
    with pytest.raises(data.DatasetUnavailable, match="replace it"):
        data.load_npz("mnist", "test", tmp_path)
    np.savez(tmp_path / "mnist_train.npz", x=np.zeros((3, 28, 28), np.float32), y=np.zeros(3, np.uint8))
    with pytest.raises(data.DatasetUnavailable, match="uint8"):
        data.load_npz("mnist", "train", tmp_path)


@pytest.mark.parametrize("name", data.IMAGE_DATASETS)
def test_torchvision_loader_without_download_never_fetches(tmp_path, name):
    with pytest.raises(data.DatasetUnavailable, match=rf"not found in {tmp_path}: .*download=True"):
        data.load_torchvision(name, "test", tmp_path)  # download=False: nothing leaves the machine
    assert not any(tmp_path.rglob("*.gz")) and not any(tmp_path.rglob("*.tar.gz"))
    with pytest.raises(data.DatasetUnavailable):  # npz missing too: falls through to torchvision
        data.load_dataset(name, "test", data_dir=tmp_path, root=tmp_path)


def _write_idx(path, array: np.ndarray):
    """MNIST's IDX format: magic (0x08 = ubyte, then the rank), big-endian sizes, the bytes."""
    path.write_bytes(
        struct.pack(">HBB", 0, 0x08, array.ndim)
        + struct.pack(f">{array.ndim}I", *array.shape)
        + array.astype(np.uint8).tobytes()
    )


def test_torchvision_loader_reads_an_offline_mnist_folder(tmp_path):
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    rng = np.random.default_rng(1)
    images, labels = rng.integers(0, 256, (6, 28, 28), dtype=np.uint8), np.arange(6, dtype=np.uint8)
    for prefix in ("train", "t10k"):
        _write_idx(raw / f"{prefix}-images-idx3-ubyte", images)
        _write_idx(raw / f"{prefix}-labels-idx1-ubyte", labels)
    x, y = data.load_torchvision("mnist", "test", tmp_path)
    assert x.shape == (6, 1, 28, 28) and torch.equal(x[:, 0], torch.from_numpy(images).float() / 255)
    assert y.tolist() == list(range(6))
    x_part, y_part = data.load_dataset("mnist", "test", root=tmp_path, every=2, limit=2)
    assert torch.equal(x_part, x[[0, 2]]) and y_part.tolist() == [0, 2]


# ----------------------------------------------------------------------------- offline gallery


def _foolbox_samples(name, shape):
    """The reference: foolbox 3.3.4's own reader (channels first, bounds (0, 1))."""
    from foolbox.utils import _samples

    prefix = {"fashion_mnist": "fashionMNIST"}.get(name, name)
    images, labels = _samples(prefix, 0, 20, shape, "channels_first", (0, 1))
    return torch.from_numpy(images), torch.from_numpy(labels)


@pytest.mark.parametrize(
    "name,shape",
    [
        ("cifar10", (3, 32, 32)),
        ("mnist", (1, 28, 28)),
        ("fashion_mnist", (1, 28, 28)),
        ("imagenet", (3, 224, 224)),
    ],
)
def test_gallery_equals_foolbox_samples(name, shape):
    x, y = data.gallery(name)
    assert x.shape == (20, *shape) and x.dtype == torch.float32 and y.dtype == torch.long
    assert float(x.min()) >= 0 and float(x.max()) <= 1
    assert shape == data.dataset_info(name)["shape"]
    reference_x, reference_y = _foolbox_samples(name, shape[1:])
    assert torch.equal(x, reference_x) and torch.equal(y, reference_y)


def test_gallery_labels_come_from_the_file_names():
    folder = data._gallery_folder()
    names = sorted(path.name for path in folder.glob("cifar10_*.png"))  # cifar100_* is not matched
    assert len(names) == 20 and names[0] == "cifar10_00_3.png"
    expected = [int(name.split("_")[2].split(".")[0]) for name in names]
    assert data.gallery("cifar10")[1].tolist() == expected
    assert data.gallery("mnist")[1].tolist()[:4] == [7, 2, 1, 0]  # the first MNIST test digits
    assert max(data.gallery("cifar10")[1].tolist()) < 10


def test_gallery_without_foolbox_says_how_to_install_it(monkeypatch):
    monkeypatch.setattr(data.importlib.util, "find_spec", lambda name, *args: None)
    with pytest.raises(data.DatasetUnavailable, match="pip install"):
        data.gallery("cifar10")
    monkeypatch.undo()
    with pytest.raises(ValueError, match="Unknown gallery"):
        data.gallery("cifar100")


def test_dataset_info_matches_the_data():
    for name in ("cifar10", "mnist", "fashion_mnist", "digits"):
        info = data.dataset_info(name)
        assert info["class_names"] == data.CLASS_NAMES[name] and info["num_classes"] == 10
        assert info["channels"] == info["shape"][0]
    assert data.dataset_info("digits")["shape"] == tuple(data.digits()[0].shape[1:])
    assert data.dataset_info("imagenet")["num_classes"] == 1000
    assert data.dataset_info("blobs")["num_classes"] == 3 and data.dataset_info("moons")["shape"] == (2,)
    with pytest.raises(ValueError, match="Unknown dataset"):
        data.dataset_info("svhn")


# ----------------------------------------------------------------------------- uploads


def _encode(image: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def _wide_test_card() -> np.ndarray:
    """80×40: black margins, a centre square whose left half is red and right half blue."""
    array = np.zeros((40, 80, 3), dtype=np.uint8)
    array[:, 20:40] = (255, 0, 0)
    array[:, 40:60] = (0, 0, 255)
    return array


@pytest.mark.parametrize("mode,fmt", [("RGB", "JPEG"), ("RGBA", "PNG"), ("RGB", "PNG")])
def test_uploads_are_centre_cropped_and_resized(mode, fmt):
    image = Image.fromarray(_wide_test_card()).convert(mode)
    tensor = data.load_image(_encode(image, fmt), size=32, channels=3)
    assert tensor.shape == (3, 32, 32) and tensor.dtype == torch.float32
    assert float(tensor.min()) >= 0 and float(tensor.max()) <= 1
    left, right = tensor[:, :, :12].mean(dim=(1, 2)), tensor[:, :, 20:].mean(dim=(1, 2))
    assert (
        left[0] > 0.9 and left[2] < 0.1 and right[2] > 0.9 and right[0] < 0.1
    )  # red | blue, no black margin


def test_grey_uploads_and_grey_models():
    grey = np.tile(np.linspace(0, 255, 64).astype(np.uint8), (64, 1))  # a horizontal ramp
    tensor = data.load_image(_encode(Image.fromarray(grey), "PNG"), size=64, channels=1)
    assert tensor.shape == (1, 64, 64) and torch.allclose(tensor[0], torch.from_numpy(grey).float() / 255)
    as_rgb = data.load_image(_encode(Image.fromarray(grey), "PNG"), size=64, channels=3)
    assert torch.equal(as_rgb[0], as_rgb[1]) and torch.equal(as_rgb[1], as_rgb[2])
    colour = data.load_image(_encode(Image.fromarray(_wide_test_card()), "PNG"), size=28, channels=1)
    assert colour.shape == (1, 28, 28)


def test_transparent_pixels_become_white():
    rgba = np.zeros((20, 20, 4), dtype=np.uint8)  # fully transparent black
    rgba[5:15, 5:15] = (0, 0, 0, 255)  # an opaque black square in the middle
    tensor = data.load_image(_encode(Image.fromarray(rgba, "RGBA"), "PNG"), size=20, channels=3)
    assert float(tensor[:, 0, 0].min()) == 1.0 and float(tensor[:, 10, 10].max()) == 0.0


def test_sixteen_bit_png_is_scaled_not_clipped():
    ramp = np.arange(256, dtype=np.uint16).reshape(16, 16) * 257  # 0 … 65535
    tensor = data.load_image(_encode(Image.fromarray(ramp), "PNG"), size=16, channels=1)
    assert torch.allclose(tensor[0], torch.from_numpy(ramp / 65535).float(), atol=1 / 255)


def test_exif_orientation_is_applied():
    image = Image.fromarray(_wide_test_card()[:, 20:60])  # red | blue square
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to view"
    rotated = data.load_image(_encode(image, "PNG", exif=exif), size=40, channels=3)
    upright = data.load_image(
        _encode(image.transpose(Image.Transpose.ROTATE_270), "PNG"), size=40, channels=3
    )
    assert torch.equal(rotated, upright)
    assert rotated[0, :15].mean() > 0.9 and rotated[2, 25:].mean() > 0.9  # red on top, blue below


def _truncated(fmt: str) -> bytes:
    noise = np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    complete = _encode(Image.fromarray(noise), fmt)
    return complete[: len(complete) // 2]


@pytest.mark.parametrize(
    "payload",
    [
        b"",
        b"not an image at all\n",
        bytes(np.random.default_rng(0).integers(0, 256, 4096, dtype=np.uint8)),
        b"\x89PNG\r\n\x1a\n" + b"\x00" * 40,
        _truncated("PNG"),
        _truncated("JPEG"),
    ],
    ids=["empty", "text", "random", "png-signature-only", "truncated-png", "truncated-jpeg"],
)
def test_unreadable_uploads_get_one_sentence(payload):
    with pytest.raises(
        data.InvalidImage, match=r"^That file is not a readable image: upload a PNG or JPEG photo\.$"
    ):
        data.load_image(payload, size=32, channels=3)


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
@pytest.mark.parametrize("side", [40, 50])  # 1,600 px: over the limit; 2,500 px: PIL's own bomb error (> 2×)
def test_decompression_bombs_are_refused(monkeypatch, side):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)
    payload = _encode(Image.new("RGB", (side, side)), "PNG")
    with pytest.raises(data.InvalidImage, match="too large to open safely"):
        data.load_image(payload, size=32, channels=3)


def test_load_image_arguments_are_checked():
    payload = _encode(Image.new("RGB", (8, 8)), "PNG")
    with pytest.raises(ValueError, match="channels must be 1"):
        data.load_image(payload, size=8, channels=2)
    with pytest.raises(ValueError, match="size must be a positive integer"):
        data.load_image(payload, size=0, channels=3)


def test_formats_outside_the_allow_list_are_never_parsed():
    payload = _encode(Image.new("RGB", (8, 8), "red"), "TIFF")
    with pytest.raises(data.InvalidImage, match="not a readable image"):
        data.load_image(payload, size=8, channels=3)


def test_the_megapixel_budget_is_checked_from_the_header(monkeypatch):
    monkeypatch.setattr(data, "UPLOAD_MEGAPIXELS", 1)
    payload = _encode(Image.new("L", (1100, 1000)), "PNG")  # 1.1 MP: refused before decoding
    with pytest.raises(data.InvalidImage, match="under 1 megapixels"):
        data.load_image(payload, size=8, channels=3)
    assert data.load_image(_encode(Image.new("L", (900, 1000)), "PNG"), size=8, channels=1).shape == (1, 8, 8)


@pytest.mark.parametrize("mode", ["RGB", "RGBA", "P", "1", "L", "I;16", "LA"])
def test_large_uploads_are_reduced_first_with_the_same_picture(mode):
    """A photo many times the model's size is box-reduced before any copy: the result is the same
    picture (a red | blue card stays red | blue, a 16-bit ramp keeps its scale) in every mode."""
    card = np.repeat(np.repeat(_wide_test_card(), 20, axis=0), 20, axis=1)  # 1600×800
    if mode == "I;16":
        ramp = np.tile(np.linspace(0, 65535, 800).astype(np.uint16), (800, 1))  # square: no crop
        tensor = data.load_image(_encode(Image.fromarray(ramp), "PNG"), size=16, channels=1)
        expected = torch.linspace(0, 1, 16).expand(16, 16)  # left to right, dark to light
        assert torch.allclose(tensor[0], expected, atol=0.05)
        return
    image = Image.fromarray(card).convert(mode)
    tensor = data.load_image(_encode(image, "PNG"), size=16, channels=3)
    if mode in ("RGB", "RGBA", "P"):
        assert tensor[0, :, :5].mean() > 0.9 and tensor[2, :, -5:].mean() > 0.9  # red | blue
    assert tensor.shape == (3, 16, 16) and 0 <= float(tensor.min()) and float(tensor.max()) <= 1


def test_the_megapixel_sentence_names_the_limit_that_applies(monkeypatch):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 89_000_000)
    monkeypatch.setattr(data, "UPLOAD_MEGAPIXELS", 1)
    big = _encode(Image.new("L", (1200, 1000)), "PNG")
    with pytest.raises(data.InvalidImage, match="under 1 megapixels"):
        data.load_image(big, size=32, channels=1)
