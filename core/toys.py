"""The 2-D toy problems of the scenes: one place that splits a toy set, trains a small network on it
and freezes it — and ships the trained networks, so that a scene opens at once.

A :class:`ToySpec` names everything that determines a trained toy network (data, architecture,
recipe, seed). :func:`model` returns it frozen and shared in memory: from ``assets/toys/`` when the
shipped file exists (checked by sha256), else trained here (a second or so). Shipped files are
(re)built by ``python -m core.scenes build --toys`` (:func:`ship_all`), which trains every spec the scenes
declare in their ``SHIPPED_TOYS`` lists.

A scene's ``SHIPPED_TOYS`` holds seed 0's specs (the opening networks and those one widget away) and, for
every other seed of :data:`SHIPPED_SEEDS`, the networks its page opens with (the scene's
``opening_toys(seed)``): moving the sidebar seed among them trains nothing (issue 24).
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import torch
from safetensors.torch import load as load_safetensors

from core import data, models, training, zoo
from core import noise as noises
from core.files import read_bounded, save_safetensors_atomic, write_atomic

TOYS_DIR = Path(__file__).resolve().parent.parent / "assets" / "toys"
MANIFEST_NAME = "manifest.json"
BUILD_COMMAND = "python -m core.scenes build --toys"
# The seeds whose opening toy networks the scenes ship (0 and the first seeds a lecturer moves to).
SHIPPED_SEEDS = tuple(range(10))


@dataclass(frozen=True)
class ToySpec:
    """A toy network and how it is trained; every field is part of its identity (``key``).

    ``noise``: Gaussian-style data augmentation ``(noise name, per-coordinate std)`` (Cohen et al.
    train their base classifiers so). ``adversarial``: ``(eps, steps)`` of PGD-ℓ∞ adversarial
    training with step eps/4 (Madry et al.).
    """

    dataset: str = "moons"
    points: int = 400
    data_noise: float = 0.1
    label_noise: float = 0.0
    test_fraction: float = 0.3
    hidden: tuple[int, ...] = (64, 64)
    activation: str = "relu"
    loss: str = "ce"
    epochs: int = 60
    lr: float = 1e-2
    batch_size: int = 64
    noise: tuple[str, float] | None = None
    adversarial: tuple[float, int] | None = None
    seed: int = 0

    def key(self) -> str:
        """A stable name for the spec (file name of its shipped weights)."""
        text = json.dumps(dataclasses.asdict(self), sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


class Split(NamedTuple):
    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor

    @property
    def classes(self) -> int:
        return int(max(self.y_train.max(), self.y_test.max())) + 1


@functools.lru_cache(maxsize=64)
def _split(dataset, points, data_noise, label_noise, test_fraction, seed) -> Split:
    x, y = data.toy_2d(dataset, points, noise=data_noise, label_noise=label_noise, seed=seed)
    return Split(*data.train_test_split(x, y, test_fraction=test_fraction, seed=seed))


def split(spec: ToySpec) -> Split:
    """The seeded train / held-out split of the spec's toy set (x in [0, 1]²). Shared: do not mutate."""
    return _split(spec.dataset, spec.points, spec.data_noise, spec.label_noise, spec.test_fraction, spec.seed)


def untrained(spec: ToySpec) -> models.Layered:
    """The spec's network at its seeded initialisation θ₀."""
    return models.feed_forward(
        2, list(spec.hidden), split(spec).classes, activation=spec.activation, seed=spec.seed
    )


def train(spec: ToySpec, *, device="cpu", callback=None) -> tuple[models.Layered, list[dict]]:
    """Train the spec's network by ERM (noise-augmented or adversarial when the spec says so);
    returns (model in eval mode, per-epoch history)."""
    parts = split(spec)
    options = {}
    if spec.noise is not None:
        name, std = spec.noise
        options["noise"] = noises.make(name, noises.scale_for_std(name, std))
    if spec.adversarial is not None:
        eps, steps = spec.adversarial
        options["adversarial"] = {"kind": "pgd", "eps": eps, "step": eps / 4, "steps": steps}
    model = untrained(spec)
    result = training.train(
        model,
        parts.x_train,
        parts.y_train,
        epochs=spec.epochs,
        x_test=parts.x_test,
        y_test=parts.y_test,
        loss=spec.loss,
        lr=spec.lr,
        batch_size=spec.batch_size,
        seed=spec.seed,
        device=device,
        callback=callback,
        **options,
    )
    return model.cpu().eval(), result.history


def _freeze(model: torch.nn.Module) -> torch.nn.Module:
    for parameter in model.parameters():
        parameter.requires_grad_(False)
    return model.eval()


def read_manifest(toys_dir: Path = TOYS_DIR) -> dict:
    path = Path(toys_dir) / MANIFEST_NAME
    if not path.exists():
        return {"toys": {}}
    try:
        manifest = json.loads(read_bounded(path, 4 << 20))
    except (OSError, ValueError):  # FileRefused is a ValueError: a FIFO or /dev/zero is never read
        return {"toys": {}}  # unreadable: every toy is retrained on demand, nothing is trusted
    return manifest if isinstance(manifest.get("toys"), dict) else {"toys": {}}


def shipped(spec: ToySpec, toys_dir: Path = TOYS_DIR) -> models.Layered | None:
    """The shipped network of ``spec`` if its file exists and matches the manifest's sha256, else None."""
    record = read_manifest(toys_dir)["toys"].get(spec.key())
    path = Path(toys_dir) / f"{spec.key()}.safetensors"
    if not isinstance(record, dict) or not path.exists():
        return None
    model = untrained(spec)
    try:
        content = read_bounded(path, zoo.weights_limit(model))  # never a FIFO, a device or an oversized file
        if hashlib.sha256(content).hexdigest() != record.get("sha256"):
            return None
        model.load_state_dict(load_safetensors(content))
    except (RuntimeError, OSError, ValueError):
        return None
    return model


_lock = threading.Lock()


@functools.lru_cache(maxsize=128)
def _model(spec: ToySpec, toys_dir: str) -> models.Layered:
    return _freeze(shipped(spec, Path(toys_dir)) or train(spec)[0])


def model(spec: ToySpec, *, toys_dir: Path = TOYS_DIR) -> models.Layered:
    """The trained network of ``spec``: frozen, on the CPU, shared by every caller (never mutate it).

    Shipped weights are used when present; otherwise it is trained once in this process."""
    # Built outside inference mode whatever the caller's mode: a model created under
    # torch.inference_mode() would hold inference tensors, and every later attack on it would fail.
    with _lock, torch.inference_mode(False), torch.enable_grad():  # one training per new spec
        return _model(spec, str(toys_dir))


def ship(spec: ToySpec, toys_dir: Path = TOYS_DIR) -> dict:
    """Train ``spec`` and write its weights and manifest entry (atomically); returns the entry."""
    toys_dir = Path(toys_dir)
    toys_dir.mkdir(parents=True, exist_ok=True)
    trained, history = train(spec)
    path = toys_dir / f"{spec.key()}.safetensors"
    state = {k: v.detach().cpu().contiguous() for k, v in trained.state_dict().items()}
    save_safetensors_atomic(state, path)
    record = {
        "spec": dataclasses.asdict(spec),
        "sha256": zoo.sha256_of(path),
        "command": BUILD_COMMAND,
        "train_acc": history[-1].get("train_acc"),
        "test_acc": history[-1].get("test_acc"),
    }
    manifest = read_manifest(toys_dir)
    manifest["toys"][spec.key()] = record
    _write_json(toys_dir / MANIFEST_NAME, manifest)
    return record


def _write_json(path: Path, content: dict) -> None:
    write_atomic(path, json.dumps(content, indent=1, sort_keys=True) + "\n")


def ship_all(
    specs, *, missing_only: bool = False, prune: bool = False, toys_dir: Path = TOYS_DIR, log=print
) -> None:
    """:func:`ship` every spec of ``specs`` (those not shipped intact only, with ``missing_only``); with
    ``prune``, ``specs`` is everything the scenes declare, and the files of other specs go."""
    toys_dir = Path(toys_dir)
    specs = list(specs)
    for index, spec in enumerate(specs, start=1):
        if missing_only and shipped(spec, toys_dir) is not None:
            continue
        record = ship(spec, toys_dir)
        log(f"[{index}/{len(specs)}] {spec.key()} test accuracy {record['test_acc']:.3f}")
    if not prune:
        return
    keep = {spec.key() for spec in specs}
    manifest = read_manifest(toys_dir)
    for key in [key for key in manifest["toys"] if key not in keep]:
        manifest["toys"].pop(key)
        (toys_dir / f"{key}.safetensors").unlink(missing_ok=True)
    _write_json(toys_dir / MANIFEST_NAME, manifest)


if __name__ == "__main__":  # the command moved: say where, rather than exit having done nothing
    raise SystemExit("core.toys has no command line: build the toys with python -m core.scenes build --toys.")
