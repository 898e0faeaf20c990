"""The scene registry is the one list of scenes, and every page it names is thin."""
import ast
import importlib
from pathlib import Path

import pytest

from core.scenes.registry import HOME_PAGE, PARTS, REFERENCES_PAGE, SCENES, by_part, scene

ROOT = Path(__file__).resolve().parents[2]
PAGE_LINE_LIMIT = 150


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_the_registry_lists_the_talk_in_order_and_every_page_file_exists():
    assert [s.number for s in SCENES] == list(range(1, len(SCENES) + 1))
    assert [s.part for s in SCENES] == sorted((s.part for s in SCENES), key=PARTS.index)
    assert len({s.url_path for s in SCENES}) == len(SCENES)
    pages = {s.page for s in SCENES} | {HOME_PAGE, REFERENCES_PAGE}
    assert pages == {str(p.relative_to(ROOT)) for p in (ROOT / "app_pages").glob("*.py")}
    assert not (ROOT / "pages").exists()      # Streamlit would switch to its legacy multipage mode
    assert sum(len(group) for group in by_part().values()) == len(SCENES)
    with pytest.raises(ValueError, match="There is no scene"):
        scene("p99_nothing")


@pytest.mark.parametrize("entry", SCENES, ids=lambda s: s.url_path)
def test_each_page_is_thin_and_each_scene_module_is_streamlit_free(entry):
    page = ROOT / entry.page
    lines = len(page.read_text().splitlines())
    assert lines <= PAGE_LINE_LIMIT, f"{entry.page} has {lines} lines (limit {PAGE_LINE_LIMIT})"
    assert "torch" not in _imports(page), f"{entry.page} imports torch: computation belongs in {entry.module}"
    assert entry.module.rsplit(".", 1)[1] in page.read_text(), f"{entry.page} does not use {entry.module}"
    module = importlib.import_module(entry.module)
    assert "streamlit" not in _imports(Path(module.__file__))
