"""Datasets: 2-D toys, scikit-learn digits, MNIST/Fashion-MNIST/CIFAR-10, the offline gallery.

Everything returns ``(x, y)``: float32 inputs in [0, 1] (N×2 points or N×C×H×W images) and long
labels. Nothing downloads unless the caller passes ``download=True``.
"""
from __future__ import annotations

import importlib.util
import io
import re
from pathlib import Path

import numpy as np
import torch

TOY_DATASETS = ("moons", "circles", "spirals", "blobs")
IMAGE_DATASETS = ("mnist", "fashion_mnist", "cifar10")
GALLERY_DATASETS = ("cifar10", "mnist", "fashion_mnist", "imagenet")

CLASS_NAMES = {
    "cifar10": ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"],
    "mnist": [str(d) for d in range(10)],
    "digits": [str(d) for d in range(10)],
    "fashion_mnist": ["T-shirt/top", "trouser", "pullover", "dress", "coat", "sandal", "shirt",
                      "sneaker", "bag", "ankle boot"],
}
_PRETTY = {"mnist": "MNIST", "fashion_mnist": "Fashion-MNIST", "cifar10": "CIFAR-10"}
_GALLERY_PREFIX = {"cifar10": "cifar10", "mnist": "mnist", "fashion_mnist": "fashionMNIST",
                   "imagenet": "imagenet"}


class DatasetUnavailable(ValueError):
    """The data is not on this machine; the message says in one sentence how to get it."""


class InvalidImage(ValueError):
    """An upload that is not a readable image."""


def _check_choice(name: str, choices, what: str) -> str:
    if name not in choices:
        raise ValueError(f"Unknown {what} {name!r}: choose one of {', '.join(choices)}.")
    return name


# ----------------------------------------------------------------------------- 2-D toy sets

def _to_unit_square(points: np.ndarray, margin: float = 0.05) -> np.ndarray:
    low, high = points.min(axis=0), points.max(axis=0)
    return margin + (1 - 2 * margin) * (points - low) / np.maximum(high - low, 1e-12)


def _spirals(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    labels = np.arange(n) % 2
    t = np.sqrt(rng.uniform(0.05, 1.0, n)) * 3 * np.pi       # angle along the arm
    arm = np.stack([t * np.cos(t), t * np.sin(t)], axis=1)
    arm[labels == 1] *= -1                                      # the second arm, rotated by π
    return arm + rng.normal(scale=noise * 3, size=arm.shape), labels


def toy_2d(name: str, n: int = 400, *, noise: float = 0.1, label_noise: float = 0.0,
           seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """A 2-D classification set scaled into [0, 1]²: moons, circles, spirals (2 classes) or
    blobs (3 classes). ``label_noise`` flips that fraction of labels to another class."""
    from sklearn import datasets as sk

    _check_choice(name, TOY_DATASETS, "2-D dataset")
    if int(n) < 2:
        raise ValueError(f"A dataset needs at least 2 points, got n={n}.")
    if noise < 0:
        raise ValueError(f"noise must be non-negative, got {noise}.")
    if not 0 <= label_noise < 1:
        raise ValueError(f"label_noise is a fraction in [0, 1), got {label_noise}.")
    rng = np.random.default_rng(seed)
    if name == "moons":
        points, labels = sk.make_moons(n, noise=noise, random_state=seed)
    elif name == "circles":
        points, labels = sk.make_circles(n, noise=noise, factor=0.5, random_state=seed)
    elif name == "spirals":
        points, labels = _spirals(n, noise, rng)
    else:
        points, labels = sk.make_blobs(n, centers=[(-1, -1), (1, -1), (0, 1)],
                                       cluster_std=0.35 + 2 * noise, random_state=seed)
    classes = int(labels.max()) + 1
    flip = rng.random(n) < label_noise
    labels = labels.copy()
    labels[flip] = (labels[flip] + rng.integers(1, classes, flip.sum())) % classes
    return (torch.tensor(_to_unit_square(points), dtype=torch.float32),
            torch.tensor(labels, dtype=torch.long))


def train_test_split(x: torch.Tensor, y: torch.Tensor, *, test_fraction: float = 0.3, seed: int = 0):
    """(x_train, y_train, x_test, y_test) from a seeded permutation."""
    if not 0 < test_fraction < 1:
        raise ValueError(f"test_fraction must be strictly between 0 and 1, got {test_fraction}.")
    order = torch.randperm(len(x), generator=torch.Generator().manual_seed(seed))
    n_test = max(1, int(round(len(x) * test_fraction)))
    test, train = order[:n_test], order[n_test:]
    return x[train], y[train], x[test], y[test]


def digits() -> tuple[torch.Tensor, torch.Tensor]:
    """scikit-learn's 8×8 handwritten digits (1,797 images, shipped offline), N×1×8×8 in [0, 1]."""
    from sklearn.datasets import load_digits

    bunch = load_digits()
    x = torch.tensor(bunch.images / 16.0, dtype=torch.float32).unsqueeze(1)
    return x, torch.tensor(bunch.target, dtype=torch.long)


# ----------------------------------------------------------------------------- image datasets

def _from_uint8(x: np.ndarray, y: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
    pixels = torch.from_numpy(np.ascontiguousarray(x))
    pixels = pixels.unsqueeze(1) if pixels.ndim == 3 else pixels.permute(0, 3, 1, 2)
    return pixels.float().div_(255.0).contiguous(), torch.from_numpy(y.astype(np.int64))


def load_npz(name: str, split: str, data_dir) -> tuple[torch.Tensor, torch.Tensor]:
    """Read ``<data_dir>/<name>_<split>.npz`` (``x`` uint8 N×H×W[×C], ``y`` uint8)."""
    _check_choice(name, IMAGE_DATASETS, "dataset")
    _check_choice(split, ("train", "test"), "split")
    path = Path(data_dir) / f"{name}_{split}.npz"
    if not path.exists():
        raise DatasetUnavailable(f"{_PRETTY[name]} {split} split not found: put {path.name} in "
                                 f"{data_dir} (pass --data-dir), or use download=True on a machine with internet.")
    with np.load(path) as archive:
        return _from_uint8(archive["x"], archive["y"])


def load_torchvision(name: str, split: str, root, *, download: bool = False):
    """The torchvision copy of the dataset under ``root`` (downloads only when asked)."""
    from torchvision import datasets as tv

    _check_choice(name, IMAGE_DATASETS, "dataset")
    kind = {"mnist": tv.MNIST, "fashion_mnist": tv.FashionMNIST, "cifar10": tv.CIFAR10}[name]
    try:
        dataset = kind(str(root), train=(split == "train"), download=download)
    except RuntimeError as error:
        raise DatasetUnavailable(f"{_PRETTY[name]} is not in {root}: pass a --data-dir with "
                                 f"{name}_{split}.npz, or download=True on a machine with internet.") from error
    x, y = dataset.data, dataset.targets
    x = x.numpy() if isinstance(x, torch.Tensor) else np.asarray(x)
    y = y.numpy() if isinstance(y, torch.Tensor) else np.asarray(y)
    return _from_uint8(x, y)


def load_dataset(name: str, split: str = "test", *, data_dir=None, root=None, download: bool = False,
                 limit: int | None = None, every: int = 1) -> tuple[torch.Tensor, torch.Tensor]:
    """MNIST, Fashion-MNIST or CIFAR-10 from a folder of .npz files, else from torchvision.

    ``every`` keeps every k-th example (Cohen et al. certify every 20th test image), ``limit`` caps
    the count.
    """
    if every < 1:
        raise ValueError(f"every must be at least 1, got {every}.")
    if data_dir is not None and (Path(data_dir) / f"{name}_{split}.npz").exists():
        x, y = load_npz(name, split, data_dir)
    elif root is not None:
        x, y = load_torchvision(name, split, root, download=download)
    elif data_dir is not None:
        x, y = load_npz(name, split, data_dir)  # raises DatasetUnavailable with the fix
    else:
        raise DatasetUnavailable(f"No source for {_PRETTY.get(name, name)}: pass --data-dir with "
                                 f"{name}_{split}.npz, or a torchvision root with download=True.")
    x, y = x[::every], y[::every]
    if limit is not None:
        x, y = x[:limit], y[:limit]
    return x, y


# ----------------------------------------------------------------------------- offline gallery

def _gallery_folder() -> Path:
    spec = importlib.util.find_spec("foolbox")
    if spec is None or not spec.submodule_search_locations:
        raise DatasetUnavailable("The offline gallery comes with the foolbox package: "
                                 "pip install -r requirements.txt.")
    return Path(list(spec.submodule_search_locations)[0]) / "data"


def gallery(name: str) -> tuple[torch.Tensor, torch.Tensor]:
    """The 20 real test images foolbox ships for ``name`` (files like cifar10_00_3.png =
    index 00, label 3), read with PIL: N×C×H×W in [0, 1] and their labels, by index."""
    from PIL import Image

    _check_choice(name, GALLERY_DATASETS, "gallery")
    prefix = _GALLERY_PREFIX[name]
    pattern = re.compile(rf"^{prefix}_(\d+)_(\d+)\.(png|jpg)$")
    found = sorted((int(m[1]), int(m[2]), f) for f in _gallery_folder().iterdir()
                   if (m := pattern.match(f.name)))
    if not found:
        raise DatasetUnavailable(f"No {name} gallery images in {_gallery_folder()}: reinstall foolbox "
                                 "(pip install -r requirements.txt).")
    arrays = []
    for _, _, file in found:
        with Image.open(file) as image:
            array = np.asarray(image.convert("L" if name in ("mnist", "fashion_mnist") else "RGB"))
        arrays.append(array)
    x, y = _from_uint8(np.stack(arrays), np.array([label for _, label, _ in found]))
    return x, y


def load_image(data: bytes, *, size: int, channels: int) -> torch.Tensor:
    """Decode an uploaded image: centre-crop to a square, resize to size×size, C×H×W in [0, 1]."""
    from PIL import Image, UnidentifiedImageError

    if channels not in (1, 3):
        raise ValueError(f"channels must be 1 or 3, got {channels}.")
    if size < 1:
        raise ValueError(f"size must be positive, got {size}.")
    unreadable = "That file is not a readable image: upload a PNG or JPEG photo."
    if not data:
        raise InvalidImage(unreadable)
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            image = image.convert("L" if channels == 1 else "RGB")
    except Image.DecompressionBombError as error:
        raise InvalidImage("That image is too large to open safely: upload a smaller photo.") from error
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
        raise InvalidImage(unreadable) from error
    width, height = image.size
    side = min(width, height)
    left, top = (width - side) // 2, (height - side) // 2
    image = image.crop((left, top, left + side, top + side)).resize((size, size), Image.BILINEAR)
    array = np.asarray(image, dtype=np.float32) / 255.0
    tensor = torch.from_numpy(array)
    return tensor.unsqueeze(0) if channels == 1 else tensor.permute(2, 0, 1).contiguous()
