"""core.toys: one place that splits, trains, freezes and ships the toy networks."""
import torch

from core import toys

TINY = toys.ToySpec(points=60, hidden=(8,), epochs=3, seed=1)


def test_model_is_frozen_shared_and_deterministic(tmp_path):
    first = toys.model(TINY, toys_dir=tmp_path)
    assert first is toys.model(TINY, toys_dir=tmp_path)          # shared in memory
    assert not any(p.requires_grad for p in first.parameters()) and not first.training
    retrained, history = toys.train(TINY)
    assert len(history) >= TINY.epochs
    for a, b in zip(first.state_dict().values(), retrained.state_dict().values()):
        assert torch.equal(a, b)                                 # same spec, same weights


def test_shipped_weights_are_used_only_when_their_sha256_matches(tmp_path):
    record = toys.ship(TINY, tmp_path)
    assert record["sha256"] and toys.shipped(TINY, tmp_path) is not None
    path = tmp_path / f"{TINY.key()}.safetensors"
    path.write_bytes(path.read_bytes()[:-4] + b"\0\0\0\0")      # corrupted: refused, retrained instead
    assert toys.shipped(TINY, tmp_path) is None


def test_every_field_is_part_of_the_key():
    assert TINY.key() != toys.ToySpec(points=60, hidden=(8,), epochs=3, seed=2).key()
    assert TINY.key() != toys.ToySpec(points=60, hidden=(8,), epochs=3, seed=1, noise=("gaussian", 0.1)).key()


def test_split_is_seeded_and_covers_the_set():
    parts = toys.split(TINY)
    assert len(parts.x_train) + len(parts.x_test) == TINY.points and parts.classes == 2
    assert float(parts.x_train.min()) >= 0 and float(parts.x_train.max()) <= 1


def test_a_model_first_asked_for_in_inference_mode_still_supports_attacks(tmp_path):
    spec = toys.ToySpec(points=40, hidden=(4,), epochs=1, seed=5)
    with torch.inference_mode():
        model = toys.model(spec, toys_dir=tmp_path)
    x = torch.rand(3, 2, requires_grad=True)
    model(x).sum().backward()               # autograd works: no inference tensors were cached
    assert x.grad is not None
