"""core.device: strict_fp32 keeps CUDA's float32 convolutions and matrix products IEEE while PREDICT and
CERTIFY run (cuDNN's default on Ampere and later is TF32, another classifier than the certified one)."""

import threading

import pytest
import torch

from core import device as device_module
from core import noise as noise_module
from core import smoothing
from core.device import make_generator, strict_fp32


def test_strict_fp32_sets_ieee_for_cuda_and_restores_the_caller_settings():
    before = device_module._tf32_settings()
    with strict_fp32("cuda"):
        inside = device_module._tf32_settings()
        with strict_fp32("cuda:0"):  # nested: still strict, and the outer exit restores
            assert device_module._tf32_settings() == inside
        assert device_module._tf32_settings() == inside
    assert inside == device_module._strict_settings(before)
    assert inside[1:] in (("ieee", "ieee"), (False, False))
    assert device_module._tf32_settings() == before


def test_strict_fp32_leaves_the_settings_alone_on_a_cpu():
    before = device_module._tf32_settings()
    with strict_fp32("cpu"):
        assert device_module._tf32_settings() == before


def test_strict_fp32_restores_only_when_the_last_of_several_threads_leaves():
    before = device_module._tf32_settings()
    entered, release, seen = threading.Barrier(3), threading.Event(), []

    def worker():
        with strict_fp32("cuda"):
            entered.wait()
            release.wait()
            seen.append(device_module._tf32_settings())

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    entered.wait()
    strict = device_module._tf32_settings()
    release.set()
    for thread in threads:
        thread.join()
    assert strict == device_module._strict_settings(before)
    assert seen == [strict, strict]
    assert device_module._tf32_settings() == before


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a GPU")
def test_certify_runs_its_cuda_forward_passes_in_ieee_fp32():
    precisions = []

    class Recording(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.linear = torch.nn.Linear(4, 3)

        def forward(self, x):
            precisions.append(device_module._tf32_settings()[1:])
            return self.linear(x)

    model = Recording().cuda().eval()
    smoothing.certify(
        model,
        torch.rand(4, device="cuda"),
        noise=noise_module.make("gaussian", 0.25),
        n0=10,
        n=20,
        alpha=0.001,
        batch_size=10,
        generator=make_generator(0, "cuda"),
    )
    assert precisions and all(value in (("ieee", "ieee"), (False, False)) for value in precisions)
