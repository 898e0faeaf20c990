"""assets/toys as shipped: every file intact and recorded, exactly the specs the scenes declare (the
networks each page opens with at seeds 0..K: tests/core/test_toys.py). No training here: the files are
read and hashed."""

import hashlib

from core import toys, zoo
from core.scenes import __main__ as build

MANIFEST = toys.read_manifest()["toys"]
SHIPPED_FILES = sorted(toys.TOYS_DIR.glob("*.safetensors"))
REBUILD = f"run {toys.BUILD_COMMAND}"


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
