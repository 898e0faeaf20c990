"""CERTIFY at scale: draws independent of the evaluation batch, the calibrated inference path,
and the CLI run by torch.distributed. Tiny models only: no real data."""
import pytest
import torch
from torch import nn

from core import evaluation, smoothing
from core import noise as noise_module
from core.device import make_generator


def tiny_cnn(seed: int = 0) -> nn.Module:
    """A 3×8×8 → 4-class conv net with batch norm (random weights, fixed by ``seed``)."""
    generator = torch.Generator().manual_seed(seed)
    model = nn.Sequential(nn.Conv2d(3, 6, 3, padding=1, bias=False), nn.BatchNorm2d(6), nn.ReLU(),
                          nn.Conv2d(6, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(),
                          nn.AdaptiveMaxPool2d(1), nn.Flatten(), nn.Linear(8, 4))
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.copy_(torch.randn(parameter.shape, generator=generator) * 0.5)
        for module in model.modules():
            if isinstance(module, nn.BatchNorm2d):
                module.running_mean.copy_(torch.randn(module.running_mean.shape, generator=generator) * 0.1)
                module.running_var.copy_(torch.rand(module.running_var.shape, generator=generator) + 0.5)
    return model.eval()


@pytest.mark.parametrize("name,scale", [("gaussian", 0.3), ("laplace", 0.2), ("uniform", 0.4)])
def test_counts_do_not_depend_on_the_batch_size(name, scale):
    """The noise is drawn NOISE_CHUNK copies at a time whatever the evaluation batch, so every batch
    size (smaller, larger, not dividing the chunk) gives the same counts, for one point and for many."""
    model, noise = tiny_cnn(), noise_module.make(name, scale)
    xs = torch.rand(3, 3, 8, 8, generator=torch.Generator().manual_seed(1))
    num = 2 * smoothing.NOISE_CHUNK + 345                  # spans chunks, ends mid-chunk
    counts = {batch: smoothing.sample_counts_many(model, xs, noise=noise, num=num, batch_size=batch,
                                                  generator=make_generator(7))
              for batch in (1000, 256, 4096, 999)}
    reference = counts[1000]
    assert int(reference.sum()) == 3 * num and (reference > 0).sum() > 3, "several classes get votes"
    for batch, value in counts.items():
        assert torch.equal(value, reference), f"batch size {batch} changed the counts"
    one = smoothing.sample_counts(model, xs[0], noise=noise, num=num, batch_size=123, generator=make_generator(7))
    alone = smoothing.sample_counts(model, xs[0], noise=noise, num=num, batch_size=4096, generator=make_generator(7))
    assert torch.equal(one, alone)
    assert not torch.equal(reference, smoothing.sample_counts_many(
        model, xs, noise=noise, num=num, batch_size=1000, generator=make_generator(8))), "the seed matters"


def test_certify_rows_do_not_depend_on_the_batch_size():
    model, noise = tiny_cnn(), noise_module.make("gaussian", 0.3)
    x = torch.rand(4, 3, 8, 8, generator=torch.Generator().manual_seed(2))
    y = torch.tensor([0, 1, 2, 3])
    strip = lambda rows: [{k: v for k, v in row.items() if k != "seconds"} for row in rows]
    rows = [strip(evaluation.certify_dataset(model, x, y, noise=noise, n0=50, n=1500, alpha=0.01,
                                             batch_size=batch, seed=3)) for batch in (1000, 64, 3000)]
    assert rows[0] == rows[1] == rows[2]
