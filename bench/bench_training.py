"""Training throughput of the zoo's CNNs on this machine: images per second, side by side.

    python -m bench.bench_training            # CPU, the threads torch picks
    python -m bench.bench_training --device cuda

For each model, one SGD step on a batch of 512 is timed (median of several) in three set-ups:
float32 NCHW (PyTorch's default), float32 channels-last (NHWC, what oneDNN prefers), and
channels-last with bf16 autocast (what the CIFAR-10 recipes use, see ``core.training.Trainer``).
The ratios to the default say what each set-up buys; s/epoch plans a recipe's epoch budget.
"""
from __future__ import annotations

import argparse
import statistics
import time

import torch

from core.device import make_generator, resolve_device
from core.models import cifar_cnn, count_parameters, mnist_cnn

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
    args = parser.parse_args()
    device = resolve_device(args.device)
    rows = [(f"cifar_cnn width {w}", lambda w=w: cifar_cnn(width=w), (3, 32, 32), 50000) for w in (16, 32)]
    rows.append(("mnist_cnn width 16", lambda: mnist_cnn(width=16), (1, 28, 28), 60000))
    print(f"device: {device}, torch threads: {torch.get_num_threads()}, batch 512, median img/s")
    header = "".join(f"{label:>12}" for label, _, _ in SETUPS)
    print(f"{'model':<21}{'params':>9}{header}{'bf16 NHWC / fp32 NCHW':>24}{'s/epoch (bf16)':>16}")
    for label, make, shape, n in rows:
        speeds = [images_per_second(make(), shape, device=device, channels_last=cl, bf16=bf)
                  for _, cl, bf in SETUPS]
        cells = "".join(f"{speed:>12.0f}" for speed in speeds)
        print(f"{label:<21}{count_parameters(make()):>9,}{cells}{speeds[2] / speeds[0]:>23.2f}×"
              f"{n / speeds[2]:>16.0f}")


if __name__ == "__main__":
    main()
