"""Training throughput of the zoo's CNNs on this machine: images per second, side by side.

    python -m bench.bench_training            # CPU, the threads torch picks
    python -m bench.bench_training --device cuda

Prints the median of several timed steps for each width and its ratio to the widest one, so the
epoch budget of a recipe can be planned (an epoch of CIFAR-10 is 50,000 images).
"""
from __future__ import annotations

import argparse
import statistics
import time

import torch

from core.device import make_generator, resolve_device
from core.models import cifar_cnn, count_parameters, mnist_cnn


def images_per_second(model, shape, *, device, batch_size=256, repeats=7) -> float:
    model = model.to(device).train()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    generator = make_generator(0, device)
    x = torch.rand((batch_size, *shape), generator=generator, device=device)
    y = torch.randint(0, 10, (batch_size,), generator=generator, device=device)
    timings = []
    for repeat in range(repeats + 2):
        started = time.perf_counter()
        loss = torch.nn.functional.cross_entropy(model(x), y)
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
    rows = [(f"cifar_cnn width {w}", cifar_cnn(width=w), (3, 32, 32), 50000) for w in (16, 24, 32)]
    rows.append(("mnist_cnn width 16", mnist_cnn(width=16), (1, 28, 28), 60000))
    measured = [(label, count_parameters(m), images_per_second(m, shape, device=device), n)
                for label, m, shape, n in rows]
    reference = measured[2][2]
    print(f"device: {device}, torch threads: {torch.get_num_threads()}")
    print(f"{'model':<22}{'params':>10}{'img/s':>10}{'s/epoch':>10}{'vs width 32':>13}")
    for label, params, speed, n in measured:
        print(f"{label:<22}{params:>10,}{speed:>10.0f}{n / speed:>10.0f}{speed / reference:>12.2f}×")


if __name__ == "__main__":
    main()
