"""core.seeds: named streams derived from one demo seed."""

import pytest
import torch

from core.seeds import MAX_SEED, check_seed, stream_generator, stream_seed


def test_streams_are_stable_distinct_and_independent_of_order():
    assert stream_seed(3, "noise") == stream_seed(3, "noise")
    assert len({stream_seed(seed, name) for seed in (0, 1, 2) for name in ("data", "init", "noise")}) == 9
    first = torch.rand(4, generator=stream_generator(5, "attack"))
    torch.rand(100, generator=stream_generator(5, "noise"))  # another stream drawn in between
    assert torch.equal(first, torch.rand(4, generator=stream_generator(5, "attack")))


@pytest.mark.parametrize("bad", [-1, MAX_SEED + 1, 2**31, 1.5, "3", True, None])
def test_out_of_range_seeds_are_refused_with_one_sentence(bad):
    with pytest.raises(ValueError, match="seed must be a whole number"):
        check_seed(bad)
