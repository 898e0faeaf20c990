"""The model zoo: trained weights shipped in assets/models/ (safetensors) and their manifest.

``assets/models/manifest.json`` holds a ``models`` list; each entry records the name, file,
sha256, architecture (with the injected noise, if any), dataset, training recipe, the exact
command that rebuilds it, seed, wall time, device and measured metrics.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import re
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load as load_safetensors

from core.device import resolve_device
from core.files import FileRefused, read_bounded, save_safetensors_atomic, write_atomic
from core.models import build

ASSETS_DIR = Path(__file__).resolve().parent.parent / "assets"
MODELS_DIR = ASSETS_DIR / "models"
MANIFEST_NAME = "manifest.json"


class ModelUnavailable(ValueError):
    """A shipped model is missing or corrupted; the message gives the command that rebuilds it."""


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


REQUIRED_KEYS = ("name", "file", "sha256", "architecture")
MODEL_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
MANIFEST_LIMIT = 4 << 20  # bytes: the shipped manifest is about 40 kB


def check_name(name) -> str:
    """``name`` if it is a model name (letters, digits, '.', '-', '_'; no path), else one sentence:
    names become file names (weights, results, checkpoints), so none may leave its folder."""
    if not isinstance(name, str) or not MODEL_NAME.fullmatch(name) or ".." in name:
        raise ModelUnavailable(
            f"{str(name)[:60]!r} is not a model name: use letters, digits, '.', '-' and '_' only "
            "(e.g. cifar10-gaussian-0.25)."
        )
    return name


def weights_limit(model: torch.nn.Module) -> int:
    """The most bytes a safetensors file of ``model``'s state can take: 8 bytes per element (float64,
    the widest dtype a state holds here) plus a generous header."""
    return 8 * sum(tensor.numel() for tensor in model.state_dict().values()) + (1 << 20)


RESTORE = (
    "restore it with `git checkout -- assets/models` or rebuild the models with "
    "`python -m core.experiments train`"
)


def shown_path(path: Path | str) -> str:
    """``path`` relative to the project when it lies inside it: messages never show server paths."""
    path = Path(path).resolve()
    try:
        return str(path.relative_to(ASSETS_DIR.parent))
    except ValueError:
        return path.name


def read_manifest(models_dir: Path | str = MODELS_DIR) -> dict:
    """The manifest, checked against its schema: a ``models`` list of entries with name, file,
    sha256 and architecture. Anything else raises ModelUnavailable with one sentence naming the file
    (relative to the project) and how to restore it."""
    path = Path(models_dir) / MANIFEST_NAME
    if not path.exists():
        return {"models": []}
    try:
        manifest = json.loads(read_bounded(path, MANIFEST_LIMIT, shown=shown_path(path)))
    except FileRefused as error:
        raise ModelUnavailable(f"{error} ({RESTORE}).") from None
    except (OSError, UnicodeDecodeError, ValueError):
        raise ModelUnavailable(f"{shown_path(path)} is not readable JSON: {RESTORE}.") from None
    models = manifest.get("models") if isinstance(manifest, dict) else None
    if not isinstance(models, list):
        raise ModelUnavailable(f"{shown_path(path)} has no list of models: {RESTORE}.")
    for position, item in enumerate(models):
        missing = [key for key in REQUIRED_KEYS if not isinstance(item, dict) or key not in item]
        if (
            missing
            or not isinstance(item["architecture"], dict)
            or not isinstance(item["file"], str)
            or Path(item["file"]).name != item["file"]
            or not isinstance(item["name"], str)
            or not MODEL_NAME.fullmatch(item["name"])
            or ".." in item["name"]
            or not MODEL_NAME.fullmatch(item["file"])
            or ".." in item["file"]
        ):
            what = (
                f"lacks {', '.join(missing)}"
                if missing
                else "has a malformed name, file name or architecture"
            )
            raise ModelUnavailable(f"Entry {position + 1} of {shown_path(path)} {what}: {RESTORE}.")
        problem = _record_problem(item)
        if problem:
            raise ModelUnavailable(
                f"Entry {position + 1} of {shown_path(path)} ({item['name']}) {problem}: {RESTORE}."
            )
    return manifest


def _record_problem(item: dict) -> str | None:
    """What is wrong with an entry's dataset or noise record (None when nothing): pages read both."""
    if not isinstance(item.get("dataset"), str) or not item["dataset"]:
        return "names no dataset"
    noise = item.get("noise") or item["architecture"].get("noise")
    if noise is None:
        return None
    if not isinstance(noise, dict) or not isinstance(noise.get("name"), str):
        return "has a noise record without a name"
    scale, layer = noise.get("scale"), noise.get("layer", 0)
    if isinstance(scale, bool) or not isinstance(scale, (int, float)) or not 0 < scale < float("inf"):
        return "has a noise record without a positive scale"
    if isinstance(layer, bool) or not isinstance(layer, int) or layer < 0:
        return "has a noise record whose layer is not a whole number ≥ 0"
    return None


def write_manifest(manifest: dict, models_dir: Path | str = MODELS_DIR) -> None:
    path = Path(models_dir) / MANIFEST_NAME
    path.parent.mkdir(parents=True, exist_ok=True)
    manifest["models"] = sorted(manifest["models"], key=lambda entry: entry["name"])
    write_atomic(path, json.dumps(manifest, indent=2) + "\n")


def names(models_dir: Path | str = MODELS_DIR) -> list[str]:
    """Names of the models listed in the manifest."""
    return [entry["name"] for entry in read_manifest(models_dir)["models"]]


def entry(name: str, models_dir: Path | str = MODELS_DIR) -> dict:
    """The manifest entry of ``name`` (ModelUnavailable when it is not listed)."""
    if name is None:
        known = ", ".join(names(models_dir))
        raise ModelUnavailable(
            "No model is chosen and none is shipped: "
            + (
                f"pick one of {known}."
                if known
                else "train one with python -m core.experiments train --name mnist-gaussian-0.25 "
                "--data-dir ../shared/data, or restore assets/models with git checkout."
            )
        )
    check_name(name)
    for item in read_manifest(models_dir)["models"]:
        if item["name"] == name:
            return item
    known = ", ".join(names(models_dir)) or "none"
    raise ModelUnavailable(
        f"No model named {name!r} in the manifest (available: {known}); "
        f"train it with: python -m core.experiments train --name {name} "
        "--data-dir ../shared/data"
    )


def save(model: torch.nn.Module, info: dict, models_dir: Path | str = MODELS_DIR) -> dict:
    """Save weights as safetensors and add/replace the model's manifest entry; returns the entry."""
    models_dir = Path(models_dir)
    models_dir.mkdir(parents=True, exist_ok=True)
    file_name = f"{check_name(info['name'])}.safetensors"
    state = {key: value.detach().cpu().contiguous() for key, value in model.state_dict().items()}
    save_safetensors_atomic(state, models_dir / file_name)
    record = {
        **info,
        "file": file_name,
        "sha256": sha256_of(models_dir / file_name),
        "architecture": getattr(model, "architecture", info.get("architecture")),
    }
    with _manifest_lock(models_dir):  # several trainings may finish at once: no entry may be lost
        manifest = read_manifest(models_dir)
        manifest["models"] = [item for item in manifest["models"] if item["name"] != info["name"]]
        manifest["models"].append(record)
        write_manifest(manifest, models_dir)
    return record


@contextlib.contextmanager
def _manifest_lock(models_dir: Path):
    """An exclusive lock around the manifest's read-modify-write (POSIX flock; where fcntl is missing,
    e.g. Windows, none: run trainings into one folder one after the other there)."""
    try:
        import fcntl
    except ImportError:
        yield
        return
    with open(Path(models_dir) / ".manifest.lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def load(name: str, device="cpu", *, models_dir: Path | str = MODELS_DIR) -> torch.nn.Module:
    """Load shipped model ``name``: eval mode, batch in [0, 1] (N×C×H×W) in, logits out.

    Noise-injection layers stay on, as trained. A missing or corrupted file (sha256 mismatch)
    raises :class:`ModelUnavailable` naming the command that rebuilds it.
    """
    record = entry(name, models_dir)
    path = Path(models_dir) / record["file"]
    rebuild = (
        record.get("command") or f"python -m core.experiments train --name {name} --data-dir ../shared/data"
    )
    if not path.exists():
        raise ModelUnavailable(
            f"The weights of {name!r} are missing ({shown_path(path)}); rebuild them with: {rebuild}"
        )
    try:
        model = build(record["architecture"])
    except (ValueError, KeyError, TypeError):
        raise ModelUnavailable(
            f"The architecture of {name!r} in {shown_path(path.parent / MANIFEST_NAME)} is not "
            f"one this project builds; rebuild it with: {rebuild}"
        ) from None
    try:
        # Read once, bounded by what the architecture can hold, and hash and load those same bytes.
        content = read_bounded(path, weights_limit(model), shown=shown_path(path))
    except FileRefused as error:
        raise ModelUnavailable(f"The weights of {name!r} are refused: {error}") from None
    if hashlib.sha256(content).hexdigest() != record["sha256"]:
        raise ModelUnavailable(
            f"The weights of {name!r} are corrupted (sha256 mismatch in {shown_path(path)}); "
            f"rebuild them with: {rebuild}"
        )
    try:
        model.load_state_dict(load_safetensors(content))
    except (ValueError, KeyError, TypeError, RuntimeError, OSError, SafetensorError) as error:
        # An unknown architecture, or tensors whose names or shapes do not fit it: one sentence,
        # never the library's wording.
        kind = "architecture" if isinstance(error, (ValueError, KeyError, TypeError)) else "tensors"
        raise ModelUnavailable(
            f"The {kind} of {name!r} in {shown_path(path.parent / MANIFEST_NAME)} do not match "
            f"its weights {shown_path(path)}; rebuild them with: {rebuild}"
        ) from None
    return model.to(resolve_device(device)).eval()


def noise_record(name: str, models_dir: Path | str = MODELS_DIR) -> dict | None:
    """The noise a zoo model was trained with, ``{"name", "scale", "layer", …}``, or None for a
    deterministic model — the one reader of this record (older entries keep it in the architecture)."""
    record = entry(name, models_dir)
    return record.get("noise") or record.get("architecture", {}).get("noise") or None


def _manifest_stamp(models_dir: Path) -> tuple[int, int]:
    try:
        stat = (Path(models_dir) / MANIFEST_NAME).stat()
    except OSError:
        return (0, 0)
    return (stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=32)
def _shared(name: str, device: str, models_dir: str, stamp: tuple[int, int]) -> torch.nn.Module:
    model = load(name, device, models_dir=models_dir)
    for parameter in model.parameters():
        parameter.requires_grad_(False)
    return model


def shared(name: str, device="cpu", *, models_dir: Path | str = MODELS_DIR) -> torch.nn.Module:
    """``load(name)`` kept in memory for the whole process and shared by every caller (the
    dashboard's sessions, the scenes): frozen, never to be mutated. Keyed on the manifest's mtime and
    size, so a model retrained while a server runs is reloaded."""
    with torch.inference_mode(False):  # never inference tensors: attacks differentiate through it
        return _shared(name, str(resolve_device(device)), str(models_dir), _manifest_stamp(Path(models_dir)))


def shared_base(name: str, device="cpu", *, models_dir: Path | str = MODELS_DIR) -> torch.nn.Module:
    """The deterministic base network f of a shared zoo model (its noise layers removed, parameters
    shared): callers add noise themselves, from their own generators — a cached model's noise layer
    would share one generator between all users."""
    from core.models import without_noise

    return without_noise(shared(name, device, models_dir=models_dir))
