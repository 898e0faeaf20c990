"""Random streams: one rule for every scene and command.

A demo has one integer seed (the URL's ``?seed=``). Each independent random stream of a
computation (data, initialisation, noise, attack starts, …) gets its own generator whose seed is
derived from the demo's seed and the stream's name, so adding a stream never shifts another one
and no two streams share draws (``seed + 1`` offsets did both). CERTIFY rows keep their own rule,
seed + image index, which shipped results and ``--resume`` rely on.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # torch loads on the first generator: the pages' seed widget needs only MAX_SEED
    import torch

MAX_SEED = 2**31 - 1  # the URL's and the widgets' range


def check_seed(seed: int) -> int:
    """``seed`` as an int in [0, 2³¹ − 1], else a ValueError saying what to use."""
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
        raise ValueError(f"The seed must be a whole number between 0 and {MAX_SEED}, got {seed!r}.")
    return seed


def stream_seed(seed: int, stream: str) -> int:
    """The seed of the stream named ``stream`` of the demo seeded ``seed`` (a stable 63-bit hash)."""
    check_seed(seed)
    digest = hashlib.blake2b(f"{seed}/{stream}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") >> 1


def stream_generator(seed: int, stream: str, device: str | torch.device | None = "cpu") -> torch.Generator:
    """A ``torch.Generator`` for the stream ``stream`` of the demo seeded ``seed``, on ``device``."""
    from core.device import make_generator

    return make_generator(stream_seed(seed, stream), device)


def example_seed(seed: int, index: int, stream: str) -> int:
    """The seed of example ``index``'s own stream ``stream`` in a run seeded ``seed``: the hash of
    stream_seed(seed + index, stream) (equal to it whenever seed + index is a demo seed), for any
    non-negative whole ``seed`` — a scene may pass a derived 63-bit seed on to an evaluation."""
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"The seed must be a non-negative whole number, got {seed!r}.")
    if isinstance(index, bool) or not isinstance(index, int) or index < 0:
        raise ValueError(f"An example index must be a non-negative whole number, got {index!r}.")
    digest = hashlib.blake2b(f"{seed + index}/{stream}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") >> 1
