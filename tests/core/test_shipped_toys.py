"""assets/toys as shipped: every file intact and recorded, exactly the specs the scenes declare, and the
networks each page opens with at seeds 0..K (core.toys.SHIPPED_SEEDS) among them (issue 24: a seed change
trains nothing). No training here: the files are read and hashed."""

import dataclasses
import hashlib
import importlib

import pytest

from core import toys, zoo
from core.scenes import __main__ as build
from core.scenes.registry import SCENES

MANIFEST = toys.read_manifest()["toys"]
SHIPPED_FILES = sorted(toys.TOYS_DIR.glob("*.safetensors"))
REBUILD = f"run {toys.BUILD_COMMAND}"


def _scenes_with_opening_toys():
    """(url path, module) of every scene that declares the toy networks its page opens with."""
    found = []
    for scene in SCENES:
        module = importlib.import_module(scene.module)
        if hasattr(module, "opening_toys"):
            found.append((scene.url_path, module))
    return found


OPENING = _scenes_with_opening_toys()


def test_the_manifest_is_the_build_of_what_the_scenes_declare():
    declared = {spec.key(): spec for spec in build.toy_specs()}
    missing = sorted(set(declared) - set(MANIFEST))
    stale = sorted(set(MANIFEST) - set(declared))
    assert not missing, f"declared but not shipped: {missing[:5]} ({REBUILD} --missing-only)"
    assert not stale, f"shipped but declared by no scene: {stale[:5]} ({REBUILD})"
    for key, record in MANIFEST.items():
        assert toys.ToySpec(**_spec_fields(record["spec"])) == declared[key], key  # the record is the spec
        assert record["command"] == toys.BUILD_COMMAND, key


def _spec_fields(recorded: dict) -> dict:
    """A manifest's spec record as ToySpec arguments (JSON turned its tuples into lists)."""
    return {name: tuple(value) if isinstance(value, list) else value for name, value in recorded.items()}


def test_every_shipped_file_is_recorded_intact_and_within_its_size_bound():
    files = {path.stem for path in SHIPPED_FILES}
    assert not files - set(MANIFEST), f"files without a manifest record: {sorted(files - set(MANIFEST))[:5]}"
    assert not set(MANIFEST) - files, f"records without their file: {sorted(set(MANIFEST) - files)[:5]}"
    for path in SHIPPED_FILES:
        record = MANIFEST[path.stem]
        assert hashlib.sha256(path.read_bytes()).hexdigest() == record["sha256"], path.name
        spec = toys.ToySpec(**_spec_fields(record["spec"]))
        assert path.stat().st_size <= zoo.weights_limit(toys.untrained(spec)), path.name


def test_some_scenes_declare_their_opening_toys():
    assert {url_path for url_path, _ in OPENING} >= {
        "p02_composition",
        "p06_adversarial_training",
        "p07_noise_injection",
        "p08_decision_distribution",
        "p10_tradeoff",
        "p11_take_home",
    }


@pytest.mark.parametrize("url_path, module", OPENING, ids=[url_path for url_path, _ in OPENING])
def test_each_page_opens_at_every_shipped_seed_with_shipped_networks(url_path, module):
    """At seeds 0..K a page opens with seed 0's networks, the seed changed (so the per-scene tests at one
    seed speak for all), and each of them loads from assets/toys (sha256 checked by core.toys.shipped)."""
    assert toys.SHIPPED_SEEDS == tuple(range(len(toys.SHIPPED_SEEDS))) and len(toys.SHIPPED_SEEDS) >= 10
    first = module.opening_toys(0)
    for seed in toys.SHIPPED_SEEDS:
        opening = module.opening_toys(seed)
        assert opening == [dataclasses.replace(spec, seed=seed) for spec in first], (url_path, seed)
        for spec in opening:
            assert toys.shipped(spec) is not None, f"{url_path} seed {seed}: {spec.key()} not shipped intact"
