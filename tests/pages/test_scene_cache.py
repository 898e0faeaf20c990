"""ui.frame.compute: one cache for every session, keyed on the arguments and on the shipped assets,
so a model trained (or a result regenerated) while the server runs is picked up."""

import os

from core.scenes import common
from ui import frame as scene

CALLS = []


def counted(*, value: int) -> dict:
    CALLS.append(value)
    return {"value": value, "calls": len(CALLS)}


def test_compute_is_cached_per_arguments_and_follows_the_assets(tmp_path, monkeypatch):
    manifest = tmp_path / "manifest.json"
    manifest.write_text('{"models": []}')
    monkeypatch.setattr(common.zoo, "MODELS_DIR", tmp_path)
    first = scene.compute(counted, spinner=None, value=1)
    assert scene.compute(counted, spinner=None, value=1) == first  # served from the cache
    assert scene.compute(counted, spinner=None, value=2)["value"] == 2
    calls = len(CALLS)
    manifest.write_text('{"models": [1]}')  # `train` rewrote the manifest
    os.utime(manifest, ns=(manifest.stat().st_atime_ns, manifest.stat().st_mtime_ns + 10**9))
    again = scene.compute(counted, spinner=None, value=1)
    assert len(CALLS) == calls + 1 and again["calls"] == len(CALLS)
