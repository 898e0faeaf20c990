"""CERTIFY throughput: ours (calibrated) vs ART 1.20.1 vs the naive fp32 NCHW forward loop.

    python -m bench.bench_certify --rounds 5 [--images 2] [--n 2000] [--n0 100] [--threads 2] [--device cuda]

Same shipped model (cifar10-gaussian-0.25's base classifier), same images (foolbox's offline
CIFAR-10 gallery, no data folder needed), same machine. Each round runs the three in turn (the order
rotates), so a busy moment hurts all alike; the table gives each one's median noisy samples per
second over the rounds and the ratios. ART runs PyTorchRandomizedSmoothing.certify at its default
batch size (32); "naive" is the model's own fp32 NCHW forward in a plain loop at that batch size.
Before timing, our fast path's counts are checked against our reference path's (the plain model,
contiguous, batch 1000) for the same seed: the speed must not change a single vote.
Goal on 2 CPU cores: ours ≥ 2× ART and ≥ 1.5× naive.

A ceiling, timed in the same rounds: a large 3×3 convolution (256 → 256 channels, channels-last,
fp32) is the best case of the operation the model is made of, and the model's forward costs a known
number of FLOPs (torch.utils.flop_counter), so each path's samples/s is also printed as a share of
that rate: how far any exact fp32 way of running the same model with this machine's kernels can
go. The ratios are given twice: of the medians, and the median of the per-round ratios (steadier on
a machine whose speed drifts from minute to minute).
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import torch

from core import data, evaluation, inference, smoothing, zoo
from core import noise as noise_module
from core.device import make_generator, resolve_device, strict_fp32
from core.models import without_noise

MODEL = "cifar10-gaussian-0.25"
SIGMA = 0.25
ART_BATCH = 32  # PyTorchRandomizedSmoothing.certify's default batch_size


def ours(fast, plan, x, y, noise, n0, n, alpha, device):
    evaluation.certify_dataset(
        fast, x, y, noise=noise, n0=n0, n=n, alpha=alpha, batch_size=plan.batch_size, seed=0, device=device
    )


def naive(model, x, n0, n):
    """CERTIFY's n0 + n forward passes per image, the plain way: fp32 NCHW, batches of ART_BATCH."""
    generator = make_generator(0, x.device)
    with torch.no_grad():
        for image in x:
            for draws in (n0, n):
                counts = torch.zeros(10, dtype=torch.long, device=x.device)
                for start in range(0, draws, ART_BATCH):
                    rows = min(ART_BATCH, draws - start)
                    batch = (
                        image
                        + torch.randn((rows, *image.shape), generator=generator, device=x.device) * SIGMA
                    )
                    counts += torch.bincount(model(batch).argmax(dim=1), minlength=10)
                int(counts.sum())  # waits for the device, like a real CERTIFY reading its counts


def forward_flops(model, example) -> int:
    """FLOPs of one forward pass on one input (a multiply-add counts 2), by torch's flop counter."""
    from torch.utils.flop_counter import FlopCounterMode

    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        model(example.unsqueeze(0))
    return counter.get_total_flops()


def convolution_ceiling(device, repeats=4):
    """A run of ``repeats`` large 3×3 convolutions (64 × 256 × 16 × 16 in, 256 out, channels-last,
    IEEE fp32 on CUDA too) and its FLOPs: the library's best case of the operation the model is made
    of, a practical ceiling of the arithmetic rate any exact fp32 way of running the model can reach."""
    generator = make_generator(0, device)
    x = torch.randn((64, 256, 16, 16), generator=generator, device=device).contiguous(
        memory_format=torch.channels_last
    )
    weight = torch.randn((256, 256, 3, 3), generator=generator, device=device).contiguous(
        memory_format=torch.channels_last
    )

    def run():
        with torch.inference_mode(), strict_fp32(device):
            for _ in range(repeats):
                torch.nn.functional.conv2d(x, weight, padding=1)
            if device.type == "cuda":
                torch.cuda.synchronize(device)

    run()  # warm-up (oneDNN / cuDNN picks its kernel)
    return run, repeats * 2 * 64 * 256 * 256 * 9 * 16 * 16


def art_smoother(model, n0, alpha, device):
    from art.estimators.certification.randomized_smoothing import PyTorchRandomizedSmoothing

    return PyTorchRandomizedSmoothing(
        model=model,
        loss=torch.nn.CrossEntropyLoss(),
        input_shape=(3, 32, 32),
        nb_classes=10,
        sample_size=n0,
        scale=SIGMA,
        alpha=alpha,
        clip_values=(0.0, 1.0),
        device_type="gpu" if device.type == "cuda" else "cpu",
    )


def identical_counts(model, fast, plan, x, noise, n0, n) -> bool:
    """Our fast path's selection and estimation counts equal the reference path's, image by image."""
    for index, image in enumerate(x):
        reference = smoothing.certify_details(
            model,
            image,
            noise=noise,
            n0=n0,
            n=n,
            alpha=0.001,
            batch_size=1000,
            generator=make_generator(index, image.device),
        )
        quick = smoothing.certify_details(
            fast,
            image,
            noise=noise,
            n0=n0,
            n=n,
            alpha=0.001,
            batch_size=plan.batch_size,
            generator=make_generator(index, image.device),
        )
        if (reference.counts, reference.selection_counts) != (quick.counts, quick.selection_counts):
            return False
    return True


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--images", type=int, default=2)
    parser.add_argument("--n0", type=int, default=100)
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's)")
    parser.add_argument(
        "--device", default="cpu", help="cpu or cuda: all three run there (ART with device_type='gpu')"
    )
    args = parser.parse_args(argv)
    try:
        device = resolve_device(args.device)
    except ValueError as error:
        raise SystemExit(str(error)) from None
    if args.threads:
        torch.set_num_threads(args.threads)
    alpha = 0.001
    model = without_noise(zoo.load(MODEL, device)).eval()
    images, labels = data.gallery("cifar10")
    x, y = images[: args.images].to(device), labels[: args.images]
    noise = noise_module.make("gaussian", SIGMA)
    started = time.perf_counter()
    calibration_log: list[str] = []
    plan = inference.calibrate(model, x[0], noise=noise, device=device, log=calibration_log.append)
    calibration_s = time.perf_counter() - started
    fast = inference.prepare(model, plan)
    same = identical_counts(model, fast, plan, x, noise, args.n0, args.n)
    smoother = art_smoother(model, args.n0, alpha, device)
    x_numpy = x.cpu().numpy().astype(np.float32)
    runs = {
        "ours": lambda: ours(fast, plan, x, y, noise, args.n0, args.n, alpha, device),
        "ART 1.20.1": lambda: smoother.certify(x_numpy, n=args.n, batch_size=ART_BATCH),
        "naive": lambda: naive(model, x, args.n0, args.n),
    }
    ceiling_run, ceiling_flops = convolution_ceiling(device, repeats=4 if device.type == "cpu" else 200)
    runs["ceiling"] = ceiling_run
    flops = forward_flops(model, x[0])
    samples = args.images * (args.n0 + args.n)
    work = {name: samples for name in runs} | {"ceiling": ceiling_flops}
    rates = {name: [] for name in runs}
    names = list(runs)
    for round_index in range(args.rounds):
        for name in names[round_index % len(names) :] + names[: round_index % len(names)]:
            started = time.perf_counter()
            runs[name]()
            rates[name].append(work[name] / (time.perf_counter() - started))
    median = {name: statistics.median(values) for name, values in rates.items()}
    peak = median.pop("ceiling")
    names = [name for name in names if name != "ceiling"]

    def per_round(other):
        return statistics.median(a / b for a, b in zip(rates["ours"], rates[other]))

    where = torch.cuda.get_device_name(device) if device.type == "cuda" else _machine()
    print(f"machine: {where}; torch {torch.__version__}, {torch.get_num_threads()} threads")
    print(
        f"model {MODEL}; {args.images} gallery images × (n0 {args.n0} + n {args.n}) noisy samples; "
        f"{args.rounds} alternating rounds"
    )
    print(
        f"our plan: {plan.label}, batch {plan.batch_size} (calibration {calibration_s:.1f} s: "
        + "; ".join(f"{label} @ {size}: {rate:,.0f}/s" for label, size, rate in plan.measured)
        + ")"
    )
    for line in calibration_log:
        if "side by side" in line:
            print(line)
    print(f"our fast path's counts identical to our reference path's (same seed): {same}")
    print(f"{'':<12}{'median samples/s':>18}{'min':>10}{'max':>10}")
    for name in names:
        print(f"{name:<12}{median[name]:>18,.0f}{min(rates[name]):>10,.0f}{max(rates[name]):>10,.0f}")
    print(
        f"ours / ART:   {median['ours'] / median['ART 1.20.1']:.2f}× of the medians, "
        f"{per_round('ART 1.20.1'):.2f}× per round (median)  (goal ≥ 2)"
    )
    print(
        f"ours / naive: {median['ours'] / median['naive']:.2f}× of the medians, "
        f"{per_round('naive'):.2f}× per round (median)  (goal ≥ 1.5)"
    )
    print(
        f"ceiling: a 3×3 convolution 256→256 (16×16, batch 64, NHWC, fp32) runs at {peak / 1e9:,.1f} GFLOP/s "
        f"(median); one forward of the model is "
        f"{flops / 1e6:,.1f} MFLOP, so "
        + ", ".join(
            f"{name} runs at {median[name] * flops / 1e9:,.1f} GFLOP/s ({median[name] * flops / peak:.0%})"
            for name in names
        )
    )
    print(f"2× ART would need {2 * median['ART 1.20.1'] * flops / peak:.0%} of that rate")
    if not same:
        raise SystemExit("the fast path's counts differ from the reference path's")


def _machine() -> str:
    from core.experiments import _cpu_name

    return _cpu_name()


if __name__ == "__main__":
    main()
