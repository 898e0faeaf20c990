"""ui.cache: the zoo caches follow the manifest, so a model trained while the server runs appears."""
import os

from core import zoo
from ui import cache


def test_zoo_names_follow_the_manifest_file(tmp_path, monkeypatch):
    manifest = tmp_path / "manifest.json"
    manifest.write_text('{"models": []}')
    listed = ["mnist-standard"]
    monkeypatch.setattr(cache, "MANIFEST", manifest)
    monkeypatch.setattr(zoo, "names", lambda: list(listed))

    assert cache.zoo_names() == ["mnist-standard"]
    listed.append("mnist-new")
    assert cache.zoo_names() == ["mnist-standard"], "an unchanged manifest is served from the cache"

    manifest.write_text('{"models": [1]}')  # `train` rewrote the manifest
    os.utime(manifest, ns=(manifest.stat().st_atime_ns, manifest.stat().st_mtime_ns + 10**9))
    assert cache.zoo_names() == ["mnist-standard", "mnist-new"]
