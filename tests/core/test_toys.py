"""core.toys: one place that splits, trains, freezes and ships the toy networks."""

import dataclasses

import torch

from core import toys

TINY = toys.ToySpec(points=60, hidden=(8,), epochs=3, seed=1)


def test_model_is_frozen_shared_and_deterministic(tmp_path):
    first = toys.model(TINY, toys_dir=tmp_path)
    assert first is toys.model(TINY, toys_dir=tmp_path)  # shared in memory
    assert not any(p.requires_grad for p in first.parameters()) and not first.training
    retrained, history = toys.train(TINY)
    assert len(history) >= TINY.epochs
    for a, b in zip(first.state_dict().values(), retrained.state_dict().values()):
        assert torch.equal(a, b)  # same spec, same weights


def test_shipped_weights_are_used_only_when_their_sha256_matches(tmp_path):
    record = toys.ship(TINY, tmp_path)
    assert record["sha256"] and toys.shipped(TINY, tmp_path) is not None
    path = tmp_path / f"{TINY.key()}.safetensors"
    path.write_bytes(path.read_bytes()[:-4] + b"\0\0\0\0")  # corrupted: refused, retrained instead
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
    model(x).sum().backward()  # autograd works: no inference tensors were cached
    assert x.grad is not None


# Issue 24: the scenes whose pages open with toy networks of the sidebar's seed, and so advertise every
# seed of toys.SHIPPED_SEEDS as fast (a seed change trains nothing).
FAST_SCENES = (
    "p02_composition",
    "p06_adversarial_training",
    "p07_noise_injection",
    "p08_decision_distribution",
    "p10_tradeoff",
    "p11_take_home",
)


def _module(url_path):
    import importlib

    from core.scenes.registry import scene

    return importlib.import_module(scene(url_path).module)


def test_every_fast_seed_has_the_toys_its_pages_open_with_shipped():
    assert toys.SHIPPED_SEEDS == tuple(range(10))
    manifest = toys.read_manifest()["toys"]
    for url_path in FAST_SCENES:
        module = _module(url_path)
        declared = set(module.SHIPPED_TOYS)
        first = module.opening_toys(0)
        for seed in toys.SHIPPED_SEEDS:
            opening = module.opening_toys(seed)
            assert opening and {spec.seed for spec in opening} == {seed}, (url_path, seed)
            # seed 0's networks, the seed changed: the per-scene tests at one seed speak for all
            assert opening == [dataclasses.replace(spec, seed=seed) for spec in first], (url_path, seed)
            for spec in opening:
                assert spec in declared, f"{url_path}: {spec} is not in SHIPPED_TOYS"
                assert manifest.get(spec.key(), {}).get("spec", {}).get("seed") == seed, (url_path, spec)
                assert toys.shipped(spec) is not None, (
                    f"{url_path}: {spec.key()} is not shipped intact "
                    f"(run {toys.BUILD_COMMAND} --missing-only)"
                )


def test_other_seeds_ship_only_what_the_pages_open_with():
    """Seed 0 ships the networks one widget away too; the other seeds only the opening ones (assets stay
    small)."""
    for url_path in FAST_SCENES:
        module = _module(url_path)
        later = [spec for spec in module.SHIPPED_TOYS if spec.seed != 0]
        assert all(spec.seed in toys.SHIPPED_SEEDS for spec in later), url_path
        assert set(later) == {
            spec for seed in toys.SHIPPED_SEEDS[1:] for spec in module.opening_toys(seed)
        }, url_path


def test_build_can_be_limited_to_some_scenes():
    import pytest

    from core.scenes import __main__ as build
    from core.scenes import noise_injection

    assert build.toy_specs(["p07_noise_injection"]) == noise_injection.SHIPPED_TOYS
    assert set(build.toy_specs()) >= set(build.toy_specs(list(FAST_SCENES)))
    with pytest.raises(SystemExit) as refused:  # checked before anything is trained or written
        build.main(["build", "--toys", "--scene", "p99_nothing"])
    assert refused.value.code == 2


def test_ship_all_skips_intact_toys_when_asked_and_prunes_only_when_told(tmp_path):
    other = toys.ToySpec(points=40, hidden=(4,), epochs=1, seed=2)
    toys.ship_all([TINY, other], toys_dir=tmp_path, log=lambda _: None)
    assert toys.read_manifest(tmp_path)["toys"][TINY.key()]["command"] == toys.BUILD_COMMAND
    shipped_file = tmp_path / f"{TINY.key()}.safetensors"
    before = shipped_file.stat().st_mtime_ns
    said = []
    toys.ship_all([TINY], missing_only=True, toys_dir=tmp_path, log=said.append)
    assert not said and shipped_file.stat().st_mtime_ns == before  # intact: not trained again
    assert toys.shipped(other, tmp_path) is not None  # no pruning unless asked
    toys.ship_all([TINY], missing_only=True, prune=True, toys_dir=tmp_path, log=said.append)
    assert set(toys.read_manifest(tmp_path)["toys"]) == {TINY.key()}
    assert not (tmp_path / f"{other.key()}.safetensors").exists()


def test_core_toys_does_not_import_the_scene_registry():
    import ast
    import inspect

    tree = ast.parse(inspect.getsource(toys))
    imported = [
        node.module if isinstance(node, ast.ImportFrom) else alias.name
        for node in ast.walk(tree)
        if isinstance(node, (ast.Import, ast.ImportFrom))
        for alias in node.names
    ]
    assert not [name for name in imported if name and name.startswith("core.scenes")]
