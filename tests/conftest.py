"""Shared test set-up: CPU only, one torch thread, no network.

The suite's models are tiny: with more than one intra-op thread, thread hand-offs make them up to
20× slower on a busy 2-core machine and no faster on an idle one. OMP_NUM_THREADS, when set, wins.
"""

import os

import pytest
import torch

torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS") or 1))


@pytest.fixture
def device():
    return torch.device("cpu")


@pytest.fixture
def asked_toys(monkeypatch):
    """Every toy spec a scene function asks core.toys for, in order; training one fails the test (a
    shipped seed's networks must come from assets/toys)."""
    from core import toys

    asked, real = [], toys.model

    def model(spec, **kwargs):
        asked.append(spec)
        return real(spec, **kwargs)

    def train(spec, **kwargs):
        raise AssertionError(f"trained {spec} on demand: it should be shipped")

    monkeypatch.setattr(toys, "model", model)
    monkeypatch.setattr(toys, "train", train)
    return asked
