"""Shared test set-up: CPU only, at most two threads (CI has 2 cores), no network.

OMP_NUM_THREADS, when set, wins: on a busy machine one thread per process is far faster for the
tiny models most tests use.
"""
import os

import pytest
import torch

torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS") or max(1, min(2, os.cpu_count() or 1))))


@pytest.fixture
def device():
    return torch.device("cpu")
