"""Training throughput of the zoo's CNNs on this machine: images per second, side by side.

    python -m bench.bench_training            # CPU, the threads torch picks
    python -m bench.bench_training --device cuda

For each model, one SGD step on a batch of 512 is timed (median of several) in three set-ups:
float32 NCHW (PyTorch's default), float32 channels-last (NHWC, what oneDNN prefers), and
channels-last with bf16 autocast (what the CIFAR-10 recipes use, see ``core.training.Trainer``).
The ratios to the default say what each set-up buys; s/epoch plans a recipe's epoch budget, for
fp32 NHWC and for bf16 NHWC. bf16 only pays where the hardware runs it natively
(``core.inference.native_bf16``: AVX512-BF16 / AMX CPUs, CUDA compute capability ≥ 8); elsewhere it is
emulated and slower, and the header names the set-up this machine should train with.

    python -m bench.bench_training --recipes --batches 3 --ship   # the zoo's standard and adversarial recipes

``--recipes [NAME …]`` times shipped recipes (core.experiments.RECIPES; by default the standard and
adversarial ones of each dataset) in this process, so on one machine: each recipe's own Trainer
(architecture, batch size, precision, layout, augmentation, inner maximisation and its batch-norm
mode) steps on random images of its dataset's shape, 1 warm-up step then ``--batches`` timed ones
(median), the recipes taking turns step by step so that a drifting background load weighs on all.
s/epoch = s/step × ⌈training images / batch size⌉, optimisation only (the per-epoch evaluation is
left out); gradient computations per step come from the recipe (core.training.gradient_computations).
``--ship`` records the rows, with the exact command, the machine and the load average before and
after, in assets/scenes/adversarial_training.json ("training_cost"), which page 6 reads (a recipe's
row replaces its earlier one; the others stay).
"""

from __future__ import annotations

import argparse
import math
import os
import shlex
import statistics
import sys
import time

import torch

from core.device import make_generator, resolve_device
from core.inference import native_bf16
from core.models import cifar_cnn, cifar_resnet, count_parameters, mnist_cnn

SETUPS = (("fp32 NCHW", False, False), ("fp32 NHWC", True, False), ("bf16 NHWC", True, True))


def images_per_second(
    model, shape, *, device, channels_last=False, bf16=False, batch_size=512, repeats=5
) -> float:
    model = model.to(device).train()
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    generator = make_generator(0, device)
    x = torch.rand((batch_size, *shape), generator=generator, device=device)
    y = torch.randint(0, 10, (batch_size,), generator=generator, device=device)
    timings = []
    for repeat in range(repeats + 2):
        started = time.perf_counter()
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16):
            logits = model(x)
        loss = torch.nn.functional.cross_entropy(logits.float(), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if device.type == "cuda":
            torch.cuda.synchronize()
        if repeat >= 2:  # the first steps warm up the allocator and kernels
            timings.append(time.perf_counter() - started)
    return batch_size / statistics.median(timings)


ZOO_RECIPES = ("cifar10-standard", "cifar10-adversarial", "mnist-standard", "mnist-adversarial")
TRAIN_EXAMPLES = {"cifar10": 50000, "mnist": 60000, "fashion_mnist": 60000}  # training split sizes
WARMUP_STEPS = 1  # the first step pays for allocations and kernel choice


def recipe_trainer(name: str, *, steps: int, device):
    """(recipe, Trainer) of one shipped recipe on ``steps`` batches of random images of its dataset's shape:
    the
    recipe's architecture, batch size, optimiser, precision, layout, augmentation and inner maximisation."""
    from core.data import dataset_info
    from core.experiments import build_model, recipe
    from core.training import Trainer

    spec = recipe(name)
    if spec.get("noise"):
        raise ValueError(
            f"{name} trains with noise; time the standard and adversarial recipes (e.g. "
            f"{', '.join(ZOO_RECIPES)})."
        )
    shape, batch = dataset_info(spec["dataset"])["shape"], spec["batch_size"]
    generator = make_generator(0, "cpu")
    x = torch.rand((batch * steps, *shape), generator=generator)
    y = torch.randint(0, 10, (batch * steps,), generator=generator)
    return spec, Trainer(
        build_model(spec, 0),
        x,
        y,
        loss="ce",
        optimizer=spec["optimizer"],
        lr=spec["lr"],
        batch_size=batch,
        weight_decay=spec["weight_decay"],
        schedule=spec["schedule"],
        epochs_planned=spec["epochs"],
        label_smoothing=spec["label_smoothing"],
        augment=spec["augment"],
        adversarial=spec.get("adversarial"),
        precision=spec.get("precision", "fp32"),
        channels_last=spec.get("channels_last", False),
        seed=0,
        device=device,
    )


def _timed_step(trainer, device) -> float:
    if device.type == "cuda":
        torch.cuda.synchronize()
    started = time.perf_counter()
    trainer.step()
    if device.type == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter() - started


def time_recipes(names, *, batches: int, device, command: str) -> list[dict]:
    """One row per recipe of ``names``: its optimisation step timed on this machine and what one epoch and the
    whole recipe cost. The recipes take turns, one step each per round (the order rotating), after
    ``WARMUP_STEPS`` untimed steps each, so a load that drifts during the run weighs on all of them alike;
    each
    row carries this run's command, machine, torch and the load average (1 minute) before and after."""
    from core.experiments import _device_label
    from core.training import attack_bn_mode, gradient_computations

    before = os.getloadavg()[0]
    built = {name: recipe_trainer(name, steps=WARMUP_STEPS + batches, device=device) for name in names}
    for _, trainer in built.values():
        for _ in range(WARMUP_STEPS):
            trainer.step()
    timings = {name: [] for name in names}
    for round_index in range(batches):
        shift = round_index % len(names)
        for name in list(names[shift:]) + list(names[:shift]):
            timings[name].append(_timed_step(built[name][1], device))
    run = {
        "command": command,
        "machine": _device_label(device),
        "torch": torch.__version__,
        "native_bf16": native_bf16(device),
        "threads": torch.get_num_threads(),
        "measured_on": time.strftime("%Y-%m-%d"),
        "load_average_before": round(before, 2),
        "load_average_after": round(os.getloadavg()[0], 2),
    }
    rows = []
    for name in names:
        spec, _ = built[name]
        per_step = statistics.median(timings[name])
        steps_per_epoch = math.ceil(TRAIN_EXAMPLES[spec["dataset"]] / spec["batch_size"])
        adversarial = spec.get("adversarial")
        rows.append(
            {
                "recipe": name,
                "dataset": spec["dataset"],
                "architecture": spec["architecture"],
                "batch_size": spec["batch_size"],
                "precision": spec.get("precision", "fp32"),
                "channels_last": bool(spec.get("channels_last", False)),
                "adversarial": adversarial,
                "attack_bn_mode": attack_bn_mode(adversarial) if adversarial else None,
                "gradient_computations": gradient_computations(adversarial),
                "epochs": spec["epochs"],
                "steps_per_epoch": steps_per_epoch,
                "timed_steps": batches,
                "warmup_steps": WARMUP_STEPS,
                "seconds_per_step_timed": [round(t, 4) for t in timings[name]],
                "seconds_per_step": round(per_step, 4),
                "seconds_per_epoch": round(per_step * steps_per_epoch, 1),
                "seconds_per_recipe": round(per_step * steps_per_epoch * spec["epochs"], 1),
                "run": run,
            }
        )
    return rows


def print_recipes(rows: list[dict]) -> None:
    run = rows[0]["run"]
    print(
        f"machine: {run['machine']}; torch {run['torch']}; load average {run['load_average_before']} before, "
        f"{run['load_average_after']} after; median of {rows[0]['timed_steps']} timed steps after "
        f"{WARMUP_STEPS} warm-up step(s); optimisation only"
    )
    print(
        f"{'recipe':<22}{'inner max':>11}{'grads/step':>11}{'batch':>7}{'steps/epoch':>13}{'s/step':>9}"
        f"{'s/epoch':>9}{'epochs':>8}{'s/recipe':>10}"
    )
    from core.scenes.adversarial_training import inner_label  # the page's label of the inner maximisation

    for row in rows:
        print(
            f"{row['recipe']:<22}{inner_label(row['adversarial']):>11}{row['gradient_computations']:>11}"
            f"{row['batch_size']:>7}{row['steps_per_epoch']:>13}{row['seconds_per_step']:>9.3f}"
            f"{row['seconds_per_epoch']:>9.1f}{row['epochs']:>8}{row['seconds_per_recipe']:>10.0f}"
        )
    by_name = {row["recipe"]: row for row in rows}
    for dataset in dict.fromkeys(row["dataset"] for row in rows):
        standard, adversarial = by_name.get(f"{dataset}-standard"), by_name.get(f"{dataset}-adversarial")
        if standard and adversarial:
            epoch = adversarial["seconds_per_epoch"] / standard["seconds_per_epoch"]
            whole = adversarial["seconds_per_recipe"] / standard["seconds_per_recipe"]
            print(
                f"{dataset}: adversarial / standard {epoch:.2f}× per epoch, {whole:.2f}× per recipe "
                f"(gradient computations per step: {adversarial['gradient_computations']} / "
                f"{standard['gradient_computations']})"
            )


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="auto")
    parser.add_argument(
        "--emulated-bf16",
        action="store_true",
        help="time bf16 even where it is emulated (minutes per model on such CPUs)",
    )
    parser.add_argument(
        "--recipes",
        nargs="*",
        default=None,
        metavar="NAME",
        help="time these shipped recipes' training steps instead (none named: "
        + ", ".join(ZOO_RECIPES)
        + ")",
    )
    parser.add_argument("--batches", type=int, default=5, help="timed steps per recipe, after 1 warm-up step")
    parser.add_argument(
        "--ship",
        action="store_true",
        help="record the --recipes rows in assets/scenes/adversarial_training.json (page 6)",
    )
    args = parser.parse_args(argv)
    if args.batches < 1:
        parser.error(f"--batches must be at least 1, got {args.batches}.")
    if args.ship and args.recipes is None:
        parser.error("--ship records --recipes rows: add --recipes.")
    try:
        device = resolve_device(args.device)
    except ValueError as error:
        parser.error(str(error))
    if args.recipes is not None:
        from core.experiments import RECIPES
        from core.scenes.adversarial_training import (
            SHIPPED_PATH,
            ship_training_cost,
        )  # before minutes of timing

        names = args.recipes or list(ZOO_RECIPES)
        unknown = [name for name in names if name not in RECIPES]
        if unknown:
            parser.error(f"Unknown recipe {unknown[0]!r}: choose among {', '.join(ZOO_RECIPES)}.")
        command = shlex.join(
            ["python", "-m", "bench.bench_training", *(sys.argv[1:] if argv is None else argv)]
        )
        try:
            rows = time_recipes(names, batches=args.batches, device=device, command=command)
        except ValueError as error:
            parser.error(str(error))
        print_recipes(rows)
        if args.ship:
            ship_training_cost(rows)
            print(f"recorded in {SHIPPED_PATH.relative_to(SHIPPED_PATH.parents[2])}")
        return
    rows = [(f"cifar_cnn width {w}", lambda w=w: cifar_cnn(width=w), (3, 32, 32), 50000) for w in (16, 32)]
    rows += [
        (
            f"cifar_resnet w{w} {''.join(map(str, b))}",
            lambda w=w, b=b: cifar_resnet(width=w, blocks=b),
            (3, 32, 32),
            50000,
        )
        for w, b in ((16, (1, 1, 1)), (32, (1, 1, 1)), (16, (3, 3, 3)))
    ]
    rows.append(("mnist_cnn width 16", lambda: mnist_cnn(width=16), (1, 28, 28), 60000))
    native = native_bf16(device)
    timed_bf16 = native or args.emulated_bf16
    print(
        f"device: {device}, torch threads: {torch.get_num_threads()}, batch 512, median img/s; native bf16: "
        + (
            "yes"
            if native
            else "no (emulated, far slower: not timed without --emulated-bf16, "
            "not a set-up to train with here)"
        )
    )
    header = "".join(f"{label:>12}" for label, _, _ in SETUPS)
    print(
        f"{'model':<22}{'params':>9}{header}{'NHWC/NCHW':>11}{'bf16/NCHW':>11}{'s/epoch fp32 NHWC':>19}"
        f"{'s/epoch bf16 NHWC':>19}{'use here':>12}"
    )
    for label, make, shape, n in rows:
        speeds = [
            images_per_second(make(), shape, device=device, channels_last=cl, bf16=bf)
            if timed_bf16 or not bf
            else math.nan
            for _, cl, bf in SETUPS
        ]
        cells = "".join(f"{speed:>12.0f}" if speed == speed else f"{'—':>12}" for speed in speeds)
        bf16_ratio = f"{speeds[2] / speeds[0]:>10.2f}×" if speeds[2] == speeds[2] else f"{'—':>11}"
        bf16_epoch = f"{n / speeds[2]:>19.0f}" if speeds[2] == speeds[2] else f"{'—':>19}"
        print(
            f"{label:<22}{count_parameters(make()):>9,}{cells}{speeds[1] / speeds[0]:>10.2f}×{bf16_ratio}"
            f"{n / speeds[1]:>19.0f}{bf16_epoch}{fastest(speeds, native):>12}",
            flush=True,
        )


def fastest(speeds: list[float], native: bool) -> str:
    """The fastest measured set-up, bf16 only where it is native (elsewhere it is emulated)."""
    allowed = [
        (speed, label)
        for speed, (label, _, bf16) in zip(speeds, SETUPS)
        if (native or not bf16) and speed == speed
    ]
    return max(allowed)[1]


if __name__ == "__main__":
    main()
