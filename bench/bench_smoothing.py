"""Monte Carlo sampling of F_rob: batched draws counted by bincount vs one draw at a time.

    python -m bench.bench_smoothing [--device cuda] [--num 2000]

Prints the median wall time of each strategy over a few repeats and their ratio: the reason
core.smoothing never loops over samples in Python.
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from core import noise as noise_module
from core.device import make_generator, resolve_device
from core.models import mnist_cnn
from core.smoothing import sample_counts


def one_at_a_time(model, x, noise, num, generator):
    counts = torch.zeros(10, dtype=torch.long)
    with torch.no_grad():
        for _ in range(num):
            draw = x + noise.sample(x.shape, generator=generator, device=x.device)
            counts[int(model(draw[None]).argmax())] += 1
    return counts


def median_seconds(function, repeats=3) -> float:
    timings = []
    for _ in range(repeats):
        started = time.perf_counter()
        function()
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="auto")
    parser.add_argument("--num", type=int, default=2000)
    args = parser.parse_args()
    device = resolve_device(args.device)
    model = mnist_cnn(seed=0).to(device).eval()
    x = torch.rand(1, 28, 28, device=device)
    noise = noise_module.make("gaussian", 0.25)
    batched = median_seconds(
        lambda: sample_counts(
            model, x, noise=noise, num=args.num, batch_size=500, generator=make_generator(0, device)
        )
    )
    looped = median_seconds(lambda: one_at_a_time(model, x, noise, args.num, make_generator(0, device)))
    print(
        f"device: {device}, {args.num} noisy samples of one MNIST image, "
        f"torch threads {torch.get_num_threads()}"
    )
    print(f"{'strategy':<28}{'median s':>10}{'samples/s':>12}")
    print(f"{'batched + bincount (core)':<28}{batched:>10.3f}{args.num / batched:>12.0f}")
    print(f"{'one draw at a time':<28}{looped:>10.3f}{args.num / looped:>12.0f}")
    print(f"speed-up: {looped / batched:.1f}×")


if __name__ == "__main__":
    main()
