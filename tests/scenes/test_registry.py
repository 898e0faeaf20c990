"""The scene registry is the one list of scenes, and every page it names is thin."""

import ast
import importlib
import re
import subprocess
import sys
from pathlib import Path

import pytest

from core.scenes.registry import CONSOLE_PAGE, HOME_PAGE, PARTS, REFERENCES_PAGE, SCENES, by_part, scene

ROOT = Path(__file__).resolve().parents[2]
PAGE_LINE_LIMIT = 150
PAGE_COLUMN_LIMIT = 110  # pyproject.toml's line-length: the cap counts lines as `ruff format` writes them


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
    pages = {s.page for s in SCENES} | {HOME_PAGE, REFERENCES_PAGE, CONSOLE_PAGE}  # the console: not a scene
    assert pages == {str(p.relative_to(ROOT)) for p in (ROOT / "app_pages").glob("*.py")}
    assert not (ROOT / "pages").exists()  # Streamlit would switch to its legacy multipage mode
    assert sum(len(group) for group in by_part().values()) == len(SCENES)
    with pytest.raises(ValueError, match="There is no scene"):
        scene("p99_nothing")


@pytest.mark.parametrize("entry", SCENES, ids=lambda s: s.url_path)
def test_each_page_is_thin_and_each_scene_module_is_streamlit_free(entry):
    page = ROOT / entry.page
    lines = page.read_text(encoding="utf-8").splitlines()
    assert len(lines) <= PAGE_LINE_LIMIT, f"{entry.page} has {len(lines)} lines (limit {PAGE_LINE_LIMIT})"
    wide = [number for number, line in enumerate(lines, start=1) if len(line) > PAGE_COLUMN_LIMIT]
    assert not wide, f"{entry.page}: lines {wide} are wider than {PAGE_COLUMN_LIMIT} columns"
    assert "torch" not in _imports(page), f"{entry.page} imports torch: computation belongs in {entry.module}"
    assert entry.module.rsplit(".", 1)[1] in page.read_text(), f"{entry.page} does not use {entry.module}"
    module = importlib.import_module(entry.module)
    assert "streamlit" not in _imports(Path(module.__file__))
    # The page draws with ui.frame.st, which keeps what it draws for the handout (ui.recorder).
    assert "streamlit" not in _imports(page), f"{entry.page}: draw with `from ui.frame import st`"


def test_every_page_is_as_ruff_formats_it():
    """The line cap counts honest lines: every page (scenes, home, references) is exactly what `ruff format`
    writes with the project's settings (pyproject.toml), so no page fits by cramming."""
    pages = sorted(str(path.relative_to(ROOT)) for path in (ROOT / "app_pages").glob("*.py"))
    checked = subprocess.run(
        [sys.executable, "-m", "ruff", "format", "--check", *pages], cwd=ROOT, capture_output=True, text=True
    )
    assert "No module named ruff" not in checked.stderr, (
        "ruff is missing: pip install -r requirements-dev.txt"
    )
    assert checked.returncode == 0, f"pages not formatted (run `ruff format app_pages`):\n{checked.stdout}"
    switched_off = [page for page in pages if re.search(r"fmt:\s*(off|skip)", (ROOT / page).read_text())]
    assert not switched_off, f"{switched_off} switch the formatter off"


# Terms a summary or slide line may use only if the scene module computes that thing (checked in its source).
PROMISES = {
    "Lipschitz": "lipschitz",
    "exponential-family": "exponential",
    "total variation": "tv",
    "CERTIFY": "certify",
    "EOT": "eot",
    "SmoothAdv": "smoothed_attack",
    "PGD": "pgd",
    "Carlini–Wagner": "cw",
    "Cybenko": "cybenko",
    "isometry": "stretch_ratios",
}


@pytest.mark.parametrize("entry", SCENES, ids=lambda s: s.url_path)
def test_each_summary_promises_only_what_its_scene_computes(entry):
    """Every paper named ("X et al.") and every term of PROMISES in a scene's summary or slide line appears in
    the
    scene module that computes the page: the home page cannot promise a bound or an extension shown
    elsewhere."""
    source = Path(importlib.import_module(entry.module).__file__).read_text()
    text = f"{entry.summary} {entry.slide}"
    for author in re.findall(r"([A-Z][a-z]+) et al\.", text):
        assert author in source, f"{entry.url_path} names {author} et al., which {entry.module} never uses"
    for term, evidence in PROMISES.items():
        if term in text:
            assert evidence in source.lower(), (
                f"{entry.url_path} promises {term!r}; {entry.module} has no {evidence!r}"
            )


def test_the_extensions_and_bounds_sit_on_the_pages_that_show_them():
    assert "Lipschitz" not in scene("p05_geometry").summary  # p05 shows stretch ratios, no bound
    assert "Lipschitz" in scene("p09_certificate").summary  # p09 pulls a hidden-layer radius back
    assert "exponential-family" in scene("p08_decision_distribution").slide
    assert "exponential-family" not in scene("p09_certificate").slide


def test_page_icons_are_drawn_in_place_not_fetched():
    """A Material icon given to st.Page or set_page_config becomes the tab's icon, which Streamlit loads
    from the internet: every page icon is an emoji (the buttons' Material glyphs use the bundled font)."""
    import re
    from pathlib import Path

    from core.scenes.registry import SCENES

    assert all(not scene.icon.startswith(":") and scene.icon.strip() for scene in SCENES)
    app = (Path(__file__).resolve().parents[2] / "app.py").read_text()
    assert not re.search(r"(page_icon|icon)=\":material/", app)


@pytest.mark.parametrize("entry", SCENES, ids=[s.url_path for s in SCENES])
def test_every_scene_module_follows_the_scene_protocol(entry):
    """The names the header, the lecture, the notebook and the build read (core.scenes.registry.SceneModule),
    with values of the right kind: steps the lecture accepts, notes only for steps that exist, toys that are
    specs, and a page that reads its text from the registry rather than passing its own."""
    from core import toys
    from core.scenes import lecture
    from core.scenes.registry import module_of

    module = module_of(entry.url_path)
    assert lecture.check_steps(module.STEPS, entry.module) == module.STEPS
    assert module.EXPLANATION.strip() and module.USES.strip()
    assert set(getattr(module, "NOTES", {})) <= set(range(1, len(module.STEPS) + 1))
    assert all(isinstance(spec, toys.ToySpec) for spec in getattr(module, "SHIPPED_TOYS", ()))
    if hasattr(module, "opening_toys"):
        assert set(module.opening_toys(toys.SHIPPED_SEEDS[-1])) <= set(module.SHIPPED_TOYS)
    assert f'frame.header("{entry.url_path}")' in (ROOT / entry.page).read_text()


@pytest.mark.parametrize("entry", SCENES, ids=[s.url_path for s in SCENES])
def test_every_scene_declares_its_parameters_once_as_data(entry):
    """PARAMETERS (core.scenes.parameters): sound declarations under the page's own pNN_ keys, each key once,
    and DEFAULTS their opening values. tests/pages/test_url_replay.py checks that the page binds these keys
    only, each opening at its declared value."""
    from core.scenes.parameters import Parameter, defaults
    from core.scenes.registry import module_of

    module = module_of(entry.url_path)
    declared = list(module.PARAMETERS.values())
    assert declared and all(isinstance(p, Parameter) for p in declared)
    assert [problem for p in declared for problem in p.problems()] == []
    keys = [p.key for p in declared]
    assert len(set(keys)) == len(keys), keys
    assert all(key.startswith(f"p{entry.number:02d}_") for key in keys), keys
    assert module.DEFAULTS == defaults(module.PARAMETERS)


def test_a_declaration_says_what_is_wrong_with_it():
    from core.scenes.parameters import Parameter, declare

    assert Parameter("eps", "p05_eps", 0.1, choices=(0.1, 0.2)).problems() == []
    assert Parameter("x1", "p05_x1", low=0.0, high=1.0, note="the toy's point").problems() == []
    assert len(Parameter("eps", "p05_eps", 0.3, choices=(0.1, 0.2)).problems()) == 1
    assert len(Parameter("eps", "eps", 0.1, choices=(0.1,)).problems()) == 1
    assert len(Parameter("x", "p05_x", 2.0, low=0.0, high=1.0).problems()) == 1
    assert len(Parameter("x", "p05_x", low=0.0, high=1.0).problems()) == 1  # no default and no note
    assert len(Parameter("x", "p05_x", 0.5).problems()) == 1  # neither choices nor a range, and no note
    assert Parameter("noises", "p10_noises", ("a", "b"), choices=("a", "b", "c")).problems() == []
    with pytest.raises(ValueError, match="declared twice"):
        declare(Parameter("a", "p05_a", 1, choices=(1,)), Parameter("b", "p05_a", 1, choices=(1,)))


def test_a_module_off_the_protocol_is_named_in_one_sentence(monkeypatch):
    from core.scenes import geometry, registry

    monkeypatch.delattr(geometry, "USES")
    monkeypatch.setattr(geometry, "warm", "not a function", raising=False)
    with pytest.raises(ValueError) as refused:
        registry.module_of("p05_geometry")
    message = str(refused.value)
    assert "\n" not in message and "core.scenes.geometry" in message and "check USES, warm." in message
