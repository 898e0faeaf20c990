"""Datasets: 2-D toys, scikit-learn digits, MNIST/Fashion-MNIST/CIFAR-10, the offline gallery, uploads.

Everything returns ``(x, y)`` on the CPU: float32 inputs in [0, 1] (N×2 points or N×C×H×W images)
and long labels. Nothing downloads unless the caller passes ``download=True``; data that is not on
this machine raises :class:`DatasetUnavailable`, whose message says in one sentence how to get it.
"""

from __future__ import annotations

import importlib.util
import io
import math
import numbers
import os
import re
import zipfile
from pathlib import Path

import numpy as np
import torch

from core.checks import positive_int
from core.device import make_generator

TOY_DATASETS = ("moons", "circles", "spirals", "blobs")
IMAGE_DATASETS = ("mnist", "fashion_mnist", "cifar10")
GALLERY_DATASETS = ("cifar10", "mnist", "fashion_mnist", "imagenet")
SPLITS = ("train", "test")
IMAGENET_GALLERY_SIZE = 224  # foolbox.utils.samples resizes its ImageNet photos to 224×224

CLASS_NAMES = {
    "cifar10": ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"],
    "mnist": [str(d) for d in range(10)],
    "digits": [str(d) for d in range(10)],
    "fashion_mnist": [
        "T-shirt/top",
        "trouser",
        "pullover",
        "dress",
        "coat",
        "sandal",
        "shirt",
        "sneaker",
        "bag",
        "ankle boot",
    ],
}
TITLES = {
    "mnist": "MNIST",
    "fashion_mnist": "Fashion-MNIST",
    "cifar10": "CIFAR-10",
    "digits": "8×8 digits",
    "imagenet": "ImageNet",
    "moons": "two moons",
    "circles": "circles",
    "spirals": "spirals",
    "blobs": "blobs",
}
_IMAGE_SHAPES = {
    "mnist": (1, 28, 28),
    "fashion_mnist": (1, 28, 28),
    "cifar10": (3, 32, 32),
    "digits": (1, 8, 8),
    "imagenet": (3, IMAGENET_GALLERY_SIZE, IMAGENET_GALLERY_SIZE),
}
_GALLERY_PREFIX = {
    "cifar10": "cifar10",
    "mnist": "mnist",
    "fashion_mnist": "fashionMNIST",
    "imagenet": "imagenet",
}
_UNREADABLE = "That file is not a readable image: upload a PNG or JPEG photo."
# Uploads are parsed only by these decoders (not by every codec Pillow has), and only up to this
# many pixels: 24 MP decode to at most ~200 MB even as 16-bit RGBA, whatever the file's size on disk.
UPLOAD_FORMATS = ("PNG", "JPEG", "WEBP", "GIF", "BMP")
UPLOAD_MEGAPIXELS = 24
PROJECT_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR_VARIABLE = "RDL_DATA_DIR"  # a folder of <dataset>_<split>.npz files, searched first


class DatasetUnavailable(ValueError):
    """The data is not on this machine; the message says in one sentence how to get it."""


class InvalidImage(ValueError):
    """An upload that is not a readable image; the message is one sentence for the user."""


def _check_choice(name, choices, what: str) -> str:
    if name not in choices:
        raise ValueError(f"Unknown {what} {name!r}: choose one of {', '.join(choices)}.")
    return name


def _check_fraction(value, what: str, *, low_open: bool) -> float:
    """``value`` as a float in [0, 1) (``low_open=False``) or (0, 1) (``low_open=True``)."""
    valid = (
        not isinstance(value, bool)
        and isinstance(value, numbers.Real)
        and math.isfinite(value)
        and (0 < value < 1 if low_open else 0 <= value < 1)
    )
    if not valid:
        interval = "(0, 1)" if low_open else "[0, 1)"
        raise ValueError(f"{what} must be a fraction in {interval}, got {value!r}.")
    return float(value)


def dataset_info(name: str) -> dict:
    """What the pages need to know about a dataset: title, input shape, channels (None for 2-D
    points), number of classes and class names (ImageNet's are its integer ids)."""
    if name in TOY_DATASETS:
        classes = 3 if name == "blobs" else 2
        return {
            "name": name,
            "title": TITLES[name],
            "shape": (2,),
            "channels": None,
            "num_classes": classes,
            "class_names": [f"class {k}" for k in range(classes)],
        }
    _check_choice(name, (*IMAGE_DATASETS, "digits", "imagenet", *TOY_DATASETS), "dataset")
    names = CLASS_NAMES.get(name) or [str(k) for k in range(1000)]
    shape = _IMAGE_SHAPES[name]
    return {
        "name": name,
        "title": TITLES[name],
        "shape": shape,
        "channels": shape[0],
        "num_classes": len(names),
        "class_names": names,
    }


# ----------------------------------------------------------------------------- 2-D toy sets


def _to_unit_square(points: np.ndarray, margin: float = 0.05) -> np.ndarray:
    """Min-max scale each coordinate into [margin, 1 − margin], so points never touch the border."""
    low, high = points.min(axis=0), points.max(axis=0)
    return margin + (1 - 2 * margin) * (points - low) / np.maximum(high - low, 1e-12)


def _spirals(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaved spiral arms r = t, t ∈ [0.2π, 3π]; the second is the first rotated by π."""
    labels = np.arange(n) % 2
    t = np.sqrt(rng.uniform(0.05, 1.0, n)) * 3 * np.pi  # sqrt: even density along the arm
    arm = np.stack([t * np.cos(t), t * np.sin(t)], axis=1)
    arm[labels == 1] *= -1
    return arm + rng.normal(scale=noise * 3, size=arm.shape), labels  # ×3: arms span ~19 units, moons ~3


def _flip_labels(labels: np.ndarray, fraction: float, classes: int, rng: np.random.Generator) -> np.ndarray:
    """Exactly round(fraction·n) labels, chosen at random, moved to a different class at random."""
    flipped = labels.copy()
    chosen = rng.permutation(len(labels))[: round(fraction * len(labels))]
    flipped[chosen] = (flipped[chosen] + rng.integers(1, classes, len(chosen))) % classes
    return flipped


def toy_2d(
    name: str, n: int = 400, *, noise: float = 0.1, label_noise: float = 0.0, seed: int = 0
) -> tuple[torch.Tensor, torch.Tensor]:
    """A 2-D classification set in [0, 1]²: moons, circles, spirals (2 classes) or blobs (3 classes).

    ``noise`` is the standard deviation of the Gaussian jitter (in the generator's units, before
    scaling); ``label_noise`` is the fraction of labels flipped to another class. The same
    arguments always give the same points.
    """
    from sklearn import datasets as sk

    _check_choice(name, TOY_DATASETS, "2-D dataset")
    if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 2:
        raise ValueError(f"A 2-D dataset needs an integer number of points n ≥ 2, got {n!r}.")
    if (
        isinstance(noise, bool)
        or not isinstance(noise, numbers.Real)
        or not math.isfinite(noise)
        or noise < 0
    ):
        raise ValueError(f"noise must be a non-negative number, got {noise!r}.")
    label_noise = _check_fraction(label_noise, "label_noise", low_open=False)
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}.")
    n, seed = int(n), int(seed)
    rng = np.random.default_rng(seed)
    if name == "moons":
        points, labels = sk.make_moons(n, noise=noise, random_state=seed)
    elif name == "circles":
        points, labels = sk.make_circles(n, noise=noise, factor=0.5, random_state=seed)
    elif name == "spirals":
        points, labels = _spirals(n, noise, rng)
    else:
        points, labels = sk.make_blobs(
            n, centers=[(-1, -1), (1, -1), (0, 1)], cluster_std=0.35 + 2 * noise, random_state=seed
        )
    labels = _flip_labels(labels, label_noise, 3 if name == "blobs" else 2, rng)
    return (
        torch.tensor(_to_unit_square(points), dtype=torch.float32),
        torch.tensor(labels, dtype=torch.long),
    )


def train_test_split(x: torch.Tensor, y: torch.Tensor, *, test_fraction: float = 0.3, seed: int = 0):
    """(x_train, y_train, x_test, y_test): a seeded random partition, round(test_fraction·n) test
    examples (at least one on each side)."""
    if len(x) != len(y):
        raise ValueError(f"x and y must have the same length, got {len(x)} and {len(y)}.")
    if len(x) < 2:
        raise ValueError(f"Splitting needs at least 2 examples, got {len(x)}.")
    test_fraction = _check_fraction(test_fraction, "test_fraction", low_open=True)
    order = torch.randperm(len(x), generator=make_generator(seed, "cpu")).to(x.device)
    n_test = min(max(1, round(len(x) * test_fraction)), len(x) - 1)
    test, train = order[:n_test], order[n_test:]
    return x[train], y[train.to(y.device)], x[test], y[test.to(y.device)]


def digits() -> tuple[torch.Tensor, torch.Tensor]:
    """scikit-learn's 8×8 handwritten digits (1,797 images shipped with sklearn, no download):
    N×1×8×8 in [0, 1] (pixel counts 0–16 divided by 16)."""
    from sklearn.datasets import load_digits

    bunch = load_digits()
    x = torch.tensor(bunch.images / 16.0, dtype=torch.float32).unsqueeze(1)
    return x, torch.tensor(bunch.target, dtype=torch.long)


# ----------------------------------------------------------------------------- image datasets


def _images_to_tensor(pixels: np.ndarray) -> torch.Tensor:
    """uint8 N×H×W or N×H×W×C → float32 N×C×H×W in [0, 1], in one vectorised pass: the float copy
    is written straight into channels-first order, so peak memory is the uint8 input + the output."""
    source = torch.from_numpy(pixels)
    source = source.unsqueeze(1) if source.ndim == 3 else source.permute(0, 3, 1, 2)
    images = torch.empty(source.shape, dtype=torch.float32)
    return images.copy_(source).div_(255.0)


def _labels_to_tensor(labels: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.asarray(labels).astype(np.int64))


def _check_arrays(pixels: np.ndarray, labels: np.ndarray, source: str) -> None:
    layout_ok = (
        pixels.dtype == np.uint8
        and (pixels.ndim == 3 or (pixels.ndim == 4 and pixels.shape[3] in (1, 3)))
        and labels.ndim == 1
        and len(labels) == len(pixels)
    )
    if layout_ok and len(labels) and not (int(labels.min()) >= 0 and int(labels.max()) < 10):
        raise DatasetUnavailable(
            f"{source} has labels outside 0–9 (from {int(labels.min())} to {int(labels.max())}): "
            "replace it with a fresh copy."
        )
    if not layout_ok:
        raise DatasetUnavailable(
            f"{source} does not hold the expected arrays (x: uint8 N×H×W or N×H×W×C, "
            f"y: N labels; got x {pixels.dtype} {pixels.shape}, y {labels.shape}): "
            "replace it with a copy in that layout."
        )
    if len(pixels) == 0:
        raise DatasetUnavailable(f"{source} holds no images: replace it with a fresh copy.")


def _subsample(pixels: np.ndarray, labels: np.ndarray, every: int, limit: int | None):
    """Every ``every``-th example, at most ``limit`` of them — taken on the uint8 arrays (views),
    so only the kept images are converted to float."""
    every = min(every, max(len(pixels), 1))  # a step past the end keeps example 0 only
    stop = len(pixels) if limit is None else min(limit * every, len(pixels))
    return pixels[:stop:every], labels[:stop:every]


def _read_npz(name: str, split: str, data_dir) -> tuple[np.ndarray, np.ndarray]:
    path = Path(data_dir) / f"{name}_{split}.npz"
    if not path.is_file():
        raise DatasetUnavailable(
            f"{TITLES[name]} {split} split not found in {data_dir}: put {path.name} there "
            "(pass --data-dir), or use download=True on a machine with internet."
        )
    try:
        with np.load(path) as archive:
            pixels, labels = archive["x"], archive["y"]
    except (
        OSError,
        ValueError,
        KeyError,
        EOFError,
        zipfile.BadZipFile,
    ) as error:  # not a zip, truncated, no x / y
        raise DatasetUnavailable(
            f"{path} is not a readable dataset archive with arrays x and y: replace it with a fresh copy."
        ) from error
    _check_arrays(pixels, labels, str(path))
    return pixels, labels


def _read_torchvision(name: str, split: str, root, download: bool) -> tuple[np.ndarray, np.ndarray]:
    from torchvision import datasets as tv

    kind = {"mnist": tv.MNIST, "fashion_mnist": tv.FashionMNIST, "cifar10": tv.CIFAR10}[name]
    try:
        dataset = kind(str(root), train=(split == "train"), download=download)
    except (RuntimeError, OSError) as error:  # torchvision: RuntimeError "not found"; urllib: URLError
        if download:
            raise DatasetUnavailable(
                f"Downloading {TITLES[name]} into {root} failed ({error}): check the internet "
                f"connection, or pass --data-dir with {name}_{split}.npz."
            ) from error
        raise DatasetUnavailable(
            f"{TITLES[name]} {split} split not found in {root}: pass --data-dir with "
            f"{name}_{split}.npz, or download=True on a machine with internet."
        ) from error
    pixels, labels = dataset.data, dataset.targets
    pixels = pixels.numpy() if isinstance(pixels, torch.Tensor) else np.asarray(pixels)
    labels = labels.numpy() if isinstance(labels, torch.Tensor) else np.asarray(labels)
    return pixels, labels


def load_npz(name: str, split: str, data_dir) -> tuple[torch.Tensor, torch.Tensor]:
    """Read ``<data_dir>/<name>_<split>.npz`` (``x`` uint8 N×H×W or N×H×W×C, ``y`` uint8) as
    float32 N×C×H×W in [0, 1] and long labels, in the file's order."""
    _check_choice(name, IMAGE_DATASETS, "dataset")
    _check_choice(split, SPLITS, "split")
    pixels, labels = _read_npz(name, split, data_dir)
    return _images_to_tensor(pixels), _labels_to_tensor(labels)


def load_torchvision(name: str, split: str, root, *, download: bool = False):
    """torchvision's copy of the dataset under ``root`` (fetched only when ``download=True``) as
    float32 N×C×H×W in [0, 1] and long labels."""
    _check_choice(name, IMAGE_DATASETS, "dataset")
    _check_choice(split, SPLITS, "split")
    pixels, labels = _read_torchvision(name, split, root, download)
    return _images_to_tensor(pixels), _labels_to_tensor(labels)


def load_dataset(
    name: str,
    split: str = "test",
    *,
    data_dir=None,
    root=None,
    download: bool = False,
    limit: int | None = None,
    every: int = 1,
) -> tuple[torch.Tensor, torch.Tensor]:
    """MNIST, Fashion-MNIST or CIFAR-10: from ``data_dir``'s .npz file when it is there, else from
    torchvision's folder ``root``.

    ``every`` keeps every k-th example (Cohen et al. 2019 certify every 20th test image), then
    ``limit`` caps the count: examples 0, k, 2k, … (limit − 1)·k.
    """
    _check_choice(name, IMAGE_DATASETS, "dataset")
    _check_choice(split, SPLITS, "split")
    every = positive_int(every, "every")
    limit = None if limit is None else positive_int(limit, "limit")
    if data_dir is not None and (
        root is None or not download or (Path(data_dir) / f"{name}_{split}.npz").is_file()
    ):
        # A folder given and no download asked: a missing file is named in that folder, not in root.
        pixels, labels = _read_npz(name, split, data_dir)  # raises DatasetUnavailable with the fix
    elif root is not None:
        pixels, labels = _read_torchvision(name, split, root, download)
    else:
        raise DatasetUnavailable(
            f"No source given for {TITLES[name]}: pass data_dir (--data-dir) with "
            f"{name}_{split}.npz, or a torchvision root with download=True."
        )
    pixels, labels = _subsample(pixels, labels, every, limit)
    if len(pixels) == 0:
        raise DatasetUnavailable(
            f"Every {every}th {TITLES[name]} {split} image leaves none: use a smaller every (--every)."
        )
    return _images_to_tensor(pixels), _labels_to_tensor(labels)


def data_dirs() -> list[Path]:
    """The folders searched for ``<dataset>_<split>.npz`` on this machine, in order: ``$RDL_DATA_DIR`` when
    set, ``../shared/data`` beside the project, ``data/`` inside it."""
    chosen = os.environ.get(DATA_DIR_VARIABLE)
    return ([Path(chosen)] if chosen else []) + [
        PROJECT_ROOT.parent / "shared" / "data",
        PROJECT_ROOT / "data",
    ]


def find_data_dir(name: str, split: str = "test") -> Path | None:
    """The first folder of :func:`data_dirs` holding ``<name>_<split>.npz``, or None (an unreadable file is
    reported when it is loaded)."""
    _check_choice(name, IMAGE_DATASETS, "dataset")
    _check_choice(split, SPLITS, "split")
    return next((folder for folder in data_dirs() if (folder / f"{name}_{split}.npz").is_file()), None)


def load_local(name: str, split: str = "test", *, limit: int | None = None, every: int = 1):
    """:func:`load_dataset` from the first folder of :func:`data_dirs` that holds the split;
    DatasetUnavailable naming those folders when none does."""
    folder = find_data_dir(name, split)
    if folder is None:
        raise DatasetUnavailable(
            f"{TITLES[name]} {split} split not found: put {name}_{split}.npz in one of "
            f"{', '.join(str(folder) for folder in data_dirs())} (or set {DATA_DIR_VARIABLE})."
        )
    return load_dataset(name, split, data_dir=folder, limit=limit, every=every)


# ----------------------------------------------------------------------------- offline gallery


def _gallery_folder() -> Path:
    """foolbox's ``data/`` folder, found without importing foolbox (and so without eagerpy)."""
    spec = importlib.util.find_spec("foolbox")
    if spec is None or not spec.submodule_search_locations:
        raise DatasetUnavailable(
            "The offline gallery ships with the foolbox package, which is not installed: "
            "run pip install -r requirements.txt."
        )
    return Path(list(spec.submodule_search_locations)[0]) / "data"


def gallery(name: str) -> tuple[torch.Tensor, torch.Tensor]:
    """The 20 real test images foolbox ships for ``name``, exactly as ``foolbox.utils.samples``
    gives them: files like cifar10_00_3.png (index 00, label 3) read with PIL, ImageNet photos
    resized to 224×224. Returns N×C×H×W in [0, 1] and long labels, ordered by index."""
    from PIL import Image

    _check_choice(name, GALLERY_DATASETS, "gallery")
    folder = _gallery_folder()
    pattern = re.compile(rf"^{_GALLERY_PREFIX[name]}_(\d+)_(\d+)\.(png|jpg|jpeg)$")
    found = sorted(
        (int(match[1]), int(match[2]), path)
        for path in (folder.iterdir() if folder.is_dir() else ())
        if (match := pattern.match(path.name))
    )
    if not found:
        raise DatasetUnavailable(
            f"No {name} gallery images in {folder}: reinstall foolbox "
            "(pip install --force-reinstall foolbox==3.3.4)."
        )
    arrays = []
    for _, _, path in found:
        with Image.open(path) as image:
            image = image.convert("L" if _IMAGE_SHAPES[name][0] == 1 else "RGB")
            if name == "imagenet":  # foolbox squeezes the photos (one is 1024×683) to 224×224, no crop
                image = image.resize((IMAGENET_GALLERY_SIZE, IMAGENET_GALLERY_SIZE))
            arrays.append(np.asarray(image))
    labels = np.array([label for _, label, _ in found])
    return _images_to_tensor(np.stack(arrays)), _labels_to_tensor(labels)


# ----------------------------------------------------------------------------- uploads


def _to_eight_bits(image):
    """16-bit and float grey images (e.g. 16-bit PNGs) as 8-bit "L": PIL's own conversion clips them."""
    from PIL import Image

    if image.mode not in ("I", "F") and not image.mode.startswith("I;16"):
        return image
    values = np.asarray(image, dtype=np.float32)  # called on the reduced image: small
    full_scale = (
        65535.0
        if image.mode.startswith("I;16") or values.max() > 255
        else (255.0 if values.max() > 1 else 1.0)
    )
    return Image.fromarray(np.round(np.clip(values / full_scale, 0, 1) * 255).astype(np.uint8), mode="L")


def _flatten_onto_white(image):
    """Transparent pixels are shown as white (as on a page), not as their hidden colour."""
    from PIL import Image

    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        return Image.alpha_composite(Image.new("RGBA", rgba.size, (255, 255, 255, 255)), rgba).convert("RGB")
    return image


def _reduced(image, size: int):
    """``image`` shrunk by the largest whole factor that keeps its short side ≥ 4·``size`` (PIL's box
    reduction: each output pixel the mean of a k×k block), so the later antialiased resize sees 4×
    the model's resolution and every copy made on the way is small."""
    from PIL import Image

    factor = min(image.width, image.height) // (4 * size)
    if factor < 2:
        return image
    if image.mode.startswith("I;16"):
        # reduce works on 32-bit integers; scaled to [0, 1] as a float image, which _to_eight_bits keeps.
        small = image.convert("I").reduce(factor)
        return Image.fromarray(np.asarray(small, dtype=np.float32) / 65535.0, mode="F")
    if image.mode in ("P", "1"):  # palette indices and bits cannot be averaged
        image = image.convert("RGBA" if image.mode == "P" else "L")
    return image.reduce(factor)


def load_image(data: bytes, *, size: int, channels: int) -> torch.Tensor:
    """Decode an uploaded image for a size×size model: upright (EXIF orientation), transparency on
    white, centre-cropped to a square, resized (bilinear, antialiased), C×H×W float32 in [0, 1].

    Raises :class:`InvalidImage` for anything PIL cannot fully decode (empty, text, truncated), for
    formats outside ``UPLOAD_FORMATS`` (TIFF, PSD, … are never parsed) and for images above
    ``UPLOAD_MEGAPIXELS`` (or PIL's decompression-bomb limit), checked from the header before decoding.
    """
    from PIL import Image, ImageOps

    if channels not in (1, 3):
        raise ValueError(f"channels must be 1 (grey) or 3 (RGB), got {channels!r}.")
    size = positive_int(size, "size")
    if not isinstance(data, (bytes, bytearray, memoryview)) or len(data) == 0:
        raise InvalidImage(_UNREADABLE)
    mode = "L" if channels == 1 else "RGB"
    limit = min(UPLOAD_MEGAPIXELS * 1_000_000, Image.MAX_IMAGE_PIXELS or UPLOAD_MEGAPIXELS * 1_000_000)
    too_large = (
        f"That image is too large to open safely: upload a photo under {limit // 1_000_000 or 1} megapixels."
    )
    try:
        with Image.open(io.BytesIO(data), formats=UPLOAD_FORMATS) as image:
            if image.width * image.height > limit:
                raise InvalidImage(too_large)
            if image.format == "JPEG":
                image.draft(image.mode, (size, size))  # decode big photos at a reduced scale ≥ size
            image.load()
            image = _reduced(image, size)  # before any copy: a 24 MP photo's copies would cost ~100 MB each
            image = ImageOps.exif_transpose(image)
            image = _flatten_onto_white(_to_eight_bits(image)).convert(mode)
    except InvalidImage:
        raise
    except Image.DecompressionBombError as error:
        raise InvalidImage(too_large) from error
    except Exception as error:  # PIL's parsers raise many types on corrupt bytes (OSError, SyntaxError…)
        raise InvalidImage(_UNREADABLE) from error
    side = min(image.width, image.height)
    left, top = (image.width - side) // 2, (image.height - side) // 2
    square = image.crop((left, top, left + side, top + side))
    square = square.resize((size, size), Image.Resampling.BILINEAR)  # PIL widens the kernel when shrinking
    array = torch.from_numpy(np.asarray(square, dtype=np.float32) / 255.0)
    return array.unsqueeze(0) if channels == 1 else array.permute(2, 0, 1).contiguous()
