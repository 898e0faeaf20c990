"""Command line that builds everything shipped in assets/: train, evaluate, certify.

    python -m core.experiments train --name cifar10-standard --data-dir ../shared/data
    python -m core.experiments evaluate --name cifar10-adversarial --data-dir ../shared/data
    python -m core.experiments certify --name cifar10-gaussian-0.25 --data-dir ../shared/data
    python -m core.experiments list

Each model name maps to a recipe in :data:`RECIPES`; the manifest entry records the exact command,
seed, wall time, device and metrics, so every shipped number can be reproduced.
"""
from __future__ import annotations

import argparse
import json
import math
import platform
import shlex
import sys
import time
from pathlib import Path

import torch

from core import zoo
from core.device import resolve_device

RESULTS_DIR = zoo.ASSETS_DIR / "results"

# Variance-matched companions of σ = 0.25: Laplace b = σ/√2, uniform λ = σ√3 (same std).
_SIGMA = 0.25
_LAPLACE_B = round(_SIGMA / math.sqrt(2), 4)
_UNIFORM_L = round(_SIGMA * math.sqrt(3), 4)

_MNIST = {"dataset": "mnist", "architecture": {"kind": "mnist_cnn", "width": 16},
          "optimizer": "sgd", "lr": 0.1, "batch_size": 128, "weight_decay": 5e-4,
          "schedule": "onecycle", "epochs": 3, "augment": None, "label_smoothing": 0.0}
_CIFAR = {"dataset": "cifar10", "architecture": {"kind": "cifar_cnn", "width": 16},
          "optimizer": "sgd", "lr": 0.4, "batch_size": 512, "weight_decay": 5e-4,
          "schedule": "onecycle", "epochs": 6, "augment": "crop_flip", "label_smoothing": 0.2}


def _recipes() -> dict[str, dict]:
    recipes: dict[str, dict] = {
        "mnist-standard": dict(_MNIST),
        "cifar10-standard": {**_CIFAR, "architecture": {"kind": "cifar_cnn", "width": 32}, "epochs": 12},
    }
    for base, prefix in ((_MNIST, "mnist"), (_CIFAR, "cifar10")):
        for sigma in (0.12, 0.25, 0.50):
            recipes[f"{prefix}-gaussian-{sigma:.2f}"] = {**base, "noise": {"name": "gaussian", "scale": sigma, "layer": 0}}
        recipes[f"{prefix}-laplace-{_LAPLACE_B}"] = {**base, "noise": {"name": "laplace", "scale": _LAPLACE_B, "layer": 0}}
        recipes[f"{prefix}-uniform-{_UNIFORM_L}"] = {**base, "noise": {"name": "uniform", "scale": _UNIFORM_L, "layer": 0}}
        recipes[f"{prefix}-layer1-gaussian-0.25"] = {**base, "noise": {"name": "gaussian", "scale": _SIGMA, "layer": 1}}
    # Adversarial training: FGSM with random start (Wong et al. 2020) — PGD-7 costs 8 forward/
    # backward passes per batch, too much for 2 CPU cores; FGSM-RS costs 2.
    recipes["mnist-adversarial"] = {**_MNIST, "epochs": 5,
                                    "adversarial": {"kind": "fgsm_rs", "eps": 0.3, "step": 0.375}}
    recipes["cifar10-adversarial"] = {**_CIFAR, "label_smoothing": 0.0,
                                      "adversarial": {"kind": "fgsm_rs", "eps": 8 / 255, "step": 10 / 255}}
    return recipes


RECIPES = _recipes()


def recipe(name: str) -> dict:
    if name not in RECIPES:
        raise ValueError(f"Unknown model {name!r}: choose one of {', '.join(sorted(RECIPES))}.")
    return json.loads(json.dumps(RECIPES[name]))  # a deep copy the caller may edit


def _device_label(device: torch.device) -> str:
    if device.type == "cuda":
        return f"cuda ({torch.cuda.get_device_name(device)})"
    return f"cpu ({torch.get_num_threads()} threads, {platform.processor() or platform.machine()})"


def _load_split(dataset: str, split: str, args) -> tuple[torch.Tensor, torch.Tensor]:
    from core import data

    return data.load_dataset(dataset, split, data_dir=args.data_dir, root=args.root,
                             download=args.download, limit=getattr(args, f"{split}_limit", None))


def build_model(spec: dict, seed: int):
    from core import models

    model = models.build({**spec["architecture"], "seed": seed})
    noise_spec = spec.get("noise")
    if noise_spec and noise_spec["layer"] > 0:  # noise inside the network, on in training too
        from core import noise

        model = models.inject_noise(model, noise_spec["layer"],
                                    noise.make(noise_spec["name"], noise_spec["scale"]), seed=seed)
    return model


def command_train(args) -> dict:
    from core import noise as noise_module
    from core.training import risk_and_accuracy, train

    spec = recipe(args.name)
    if args.epochs is not None:
        spec["epochs"] = args.epochs
    device = resolve_device(args.device)
    x_train, y_train = _load_split(spec["dataset"], "train", args)
    x_test, y_test = _load_split(spec["dataset"], "test", args)
    model = build_model(spec, args.seed)
    noise_spec = spec.get("noise")
    input_noise = (noise_module.make(noise_spec["name"], noise_spec["scale"])
                   if noise_spec and noise_spec["layer"] == 0 else None)

    def report(row):
        if row.get("kind") == "epoch":
            print(f"[{args.name}] epoch {row['epoch']}: train acc {row['train_acc']:.4f} "
                  f"test acc {row['test_acc']:.4f} ({row['seconds']:.0f}s)", flush=True)

    result = train(model, x_train, y_train, epochs=spec["epochs"], x_test=x_test, y_test=y_test,
                   loss="ce", optimizer=spec["optimizer"], lr=spec["lr"], batch_size=spec["batch_size"],
                   weight_decay=spec["weight_decay"], schedule=spec["schedule"],
                   label_smoothing=spec["label_smoothing"], augment=spec["augment"], noise=input_noise,
                   adversarial=spec.get("adversarial"), seed=args.seed, device=device, callback=report,
                   eval_examples=args.eval_examples)
    model.eval()
    # Final clean accuracy on the whole test split (noise drawn as at inference for noisy models;
    # input-noise models are measured on noisy inputs, their training distribution).
    if input_noise is not None:
        from core.models import inject_noise

        measured = inject_noise(model, 0, input_noise, seed=args.seed).eval()
    else:
        measured = model
    _, clean_acc = risk_and_accuracy(measured, x_test, y_test, device=device)
    _, base_acc = risk_and_accuracy(model, x_test, y_test, device=device)
    info = {
        "name": args.name, "dataset": spec["dataset"],
        "noise": spec.get("noise"),
        "recipe": {key: value for key, value in spec.items() if key not in ("architecture", "dataset", "noise")},
        "command": _command_line(args),
        "seed": args.seed, "wall_time_s": round(result.wall_time_s, 1),
        "device": _device_label(device), "torch": torch.__version__,
        "train_examples": len(x_train), "test_examples": len(x_test),
        "metrics": {"test_accuracy": round(base_acc, 4),
                    "test_accuracy_under_noise": round(clean_acc, 4) if input_noise is not None else None,
                    "history": result.history},
        "trained_on": time.strftime("%Y-%m-%d"),
    }
    record = zoo.save(model.cpu(), info, args.models_dir)
    print(f"[{args.name}] saved {record['file']} — test accuracy {base_acc:.4f}, "
          f"{result.wall_time_s:.0f}s on {info['device']}", flush=True)
    return record


def _command_line(args) -> str:
    argv = [a for a in sys.argv[1:]] if args.argv is None else list(args.argv)
    return "python -m core.experiments " + " ".join(shlex.quote(a) for a in argv)


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m core.experiments", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)

    def common(p):
        p.add_argument("--name", required=True, help="model name (see `list`)")
        p.add_argument("--data-dir", default=None, help="folder with <dataset>_<split>.npz files")
        p.add_argument("--root", default="data", help="torchvision dataset folder")
        p.add_argument("--download", action="store_true", help="let torchvision download the data")
        p.add_argument("--device", default="auto")
        p.add_argument("--seed", type=int, default=0)
        p.add_argument("--models-dir", default=str(zoo.MODELS_DIR))
        p.add_argument("--results-dir", default=str(RESULTS_DIR))
        p.add_argument("--test-limit", type=int, default=None, help="use only the first N test images")

    train_parser = sub.add_parser("train", help="train a zoo model and add it to the manifest")
    common(train_parser)
    train_parser.add_argument("--epochs", type=int, default=None, help="override the recipe's epochs")
    train_parser.add_argument("--train-limit", type=int, default=None, help="use only N training images")
    train_parser.add_argument("--eval-examples", type=int, default=None,
                              help="evaluate each epoch on only N images (the final one uses all)")
    train_parser.set_defaults(handler=command_train)
    sub.add_parser("list", help="list the recipes").set_defaults(handler=None)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = make_parser()
    args = parser.parse_args(argv)
    args.argv = argv
    if args.command == "list":
        for name in sorted(RECIPES):
            print(name)
        return 0
    torch.set_num_threads(max(1, torch.get_num_threads()))
    try:
        args.handler(args)
    except ValueError as error:  # DatasetUnavailable, ModelUnavailable, bad arguments
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
