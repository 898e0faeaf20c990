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
"""
from __future__ import annotations

import argparse
import math
import statistics
import time

import torch

from core.device import make_generator, resolve_device
from core.inference import native_bf16
from core.models import cifar_cnn, cifar_resnet, count_parameters, mnist_cnn

SETUPS = (("fp32 NCHW", False, False), ("fp32 NHWC", True, False), ("bf16 NHWC", True, True))


def images_per_second(model, shape, *, device, channels_last=False, bf16=False, batch_size=512,
                      repeats=5) -> float:
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="auto")
    parser.add_argument("--emulated-bf16", action="store_true",
                        help="time bf16 even where it is emulated (minutes per model on such CPUs)")
    args = parser.parse_args()
    device = resolve_device(args.device)
    rows = [(f"cifar_cnn width {w}", lambda w=w: cifar_cnn(width=w), (3, 32, 32), 50000) for w in (16, 32)]
    rows += [(f"cifar_resnet w{w} {''.join(map(str, b))}", lambda w=w, b=b: cifar_resnet(width=w, blocks=b),
              (3, 32, 32), 50000) for w, b in ((16, (1, 1, 1)), (32, (1, 1, 1)), (16, (3, 3, 3)))]
    rows.append(("mnist_cnn width 16", lambda: mnist_cnn(width=16), (1, 28, 28), 60000))
    native = native_bf16(device)
    timed_bf16 = native or args.emulated_bf16
    print(f"device: {device}, torch threads: {torch.get_num_threads()}, batch 512, median img/s; native bf16: "
          + ("yes" if native else "no (emulated, far slower: not timed without --emulated-bf16, "
                                   "not a set-up to train with here)"))
    header = "".join(f"{label:>12}" for label, _, _ in SETUPS)
    print(f"{'model':<22}{'params':>9}{header}{'NHWC/NCHW':>11}{'bf16/NCHW':>11}{'s/epoch fp32 NHWC':>19}"
          f"{'s/epoch bf16 NHWC':>19}{'use here':>12}")
    for label, make, shape, n in rows:
        speeds = [images_per_second(make(), shape, device=device, channels_last=cl, bf16=bf)
                  if timed_bf16 or not bf else math.nan for _, cl, bf in SETUPS]
        cells = "".join(f"{speed:>12.0f}" if speed == speed else f"{'—':>12}" for speed in speeds)
        bf16_ratio = f"{speeds[2] / speeds[0]:>10.2f}×" if speeds[2] == speeds[2] else f"{'—':>11}"
        bf16_epoch = f"{n / speeds[2]:>19.0f}" if speeds[2] == speeds[2] else f"{'—':>19}"
        print(f"{label:<22}{count_parameters(make()):>9,}{cells}{speeds[1] / speeds[0]:>10.2f}×{bf16_ratio}"
              f"{n / speeds[1]:>19.0f}{bf16_epoch}{fastest(speeds, native):>12}", flush=True)


def fastest(speeds: list[float], native: bool) -> str:
    """The fastest measured set-up, bf16 only where it is native (elsewhere it is emulated)."""
    allowed = [(speed, label) for speed, (label, _, bf16) in zip(speeds, SETUPS)
               if (native or not bf16) and speed == speed]
    return max(allowed)[1]


if __name__ == "__main__":
    main()
