"""Shared test set-up: CPU only, two threads (CI has 2 cores), no network."""
import os

import pytest
import torch

torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))


@pytest.fixture
def device():
    return torch.device("cpu")
