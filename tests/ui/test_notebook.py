"""Every scene as a Jupyter notebook (ui.notebook): written from the page's own record (the page run
headlessly by AppTest, as ``python -m ui.notebook`` does), executed top to bottom by nbclient on a python3
kernel from a folder outside the checkout, it prints the same numbers as the scene's results.

The expected numbers come from the scene functions called in this test process: the page run (AppTest runs
the page in this process) calls them through ui.frame.compute, and the record keeps each result. The kernel is
another process on the same machine and torch, so a value must be printed identically (exact: Python's repr),
except wall-clock timings (fields named ``seconds…``/``…time…``): a timing is only required to be a positive
number (no tolerance can hold for a time on a shared CI machine).
"""

import contextlib
import io
import json
import os
import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from core.scenes.registry import SCENES
from ui import notebook

ROOT = Path(__file__).resolve().parents[2]
EXECUTION_TIMEOUT = 600  # seconds per cell
TIMING = re.compile(r"(^|[._])(seconds\w*|\w*time\w*)$")
LINK = (
    "http://localhost:8501/p05_geometry?seed=1&p05_dataset=circles&p05_eps=0.2"
    "&p05_norm=%E2%84%93%E2%88%9E+%28a+square%29&p05_steps=10"
)
_records: dict = {}


def recorded(url_path: str, query: dict | None = None):
    """The page's record at ``query`` (kept for the module: a page run takes seconds)."""
    key = (url_path, json.dumps(query or {}, sort_keys=True))
    if key not in _records:
        _records[key] = notebook.record_scene(url_path, query)
    return _records[key]


def executed(record, folder: Path) -> nbformat.NotebookNode:
    """The record's notebook, written to ``folder`` (outside the checkout) and run there top to bottom."""
    path = notebook.write(record, folder)
    written = nbformat.read(str(path), as_version=4)
    client = NotebookClient(
        written,
        kernel_name="python3",
        timeout=EXECUTION_TIMEOUT,
        resources={"metadata": {"path": str(folder)}},
    )
    # The kernel inherits the environment: one torch thread, as this suite runs (tests/conftest.py).
    threads = os.environ.get("OMP_NUM_THREADS")
    os.environ["OMP_NUM_THREADS"] = threads or "1"
    try:
        client.execute()
    finally:
        if threads is None:
            del os.environ["OMP_NUM_THREADS"]
    return written


def printed(cell) -> dict[str, str]:
    """``name → repr`` of the lines ``show_numbers`` printed in a cell."""
    text = "".join(output.get("text", "") for output in cell.outputs if output.output_type == "stream")
    return dict(line.split(" = ", 1) for line in text.splitlines() if " = " in line)


def expected(result) -> dict[str, str]:
    """What ``show_numbers`` prints for ``result`` in this process."""
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        notebook.show_numbers(result)
    return dict(line.split(" = ", 1) for line in buffer.getvalue().splitlines() if " = " in line)


def assert_same_numbers(record, done: nbformat.NotebookNode) -> int:
    """Every numbers cell prints what the page's result gives here; returns how many cells were compared."""
    compared = 0
    for cell in done.cells:
        which = cell.metadata.get(notebook.NUMBERS_KEY)
        if which is None:
            continue
        if isinstance(which, int):
            result = record.core_calls[which].result
        else:
            (result,) = notebook.derived_objects(record, which)
        wanted, shown = expected(result), printed(cell)
        assert list(shown) == list(wanted), (record.url_path, which)
        for name, value in wanted.items():
            if TIMING.search(name) and value != "None":
                assert float(shown[name]) > 0, (record.url_path, name)
            else:
                assert shown[name] == value, (record.url_path, which, name)
        compared += 1
    return compared


def assert_no_error(done: nbformat.NotebookNode) -> None:
    errors = [o for c in done.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors, errors


def assert_offline(done: nbformat.NotebookNode) -> None:
    """plotly.js embedded once; nothing is loaded from the network (no script/link/import from http(s))."""
    html = [
        output.get("data", {}).get("text/html", "")
        for cell in done.cells
        if cell.cell_type == "code"
        for output in cell.outputs
    ]
    text = "\n".join(html)
    assert not re.search(r"""<script[^>]*\bsrc\s*=\s*["']?\s*(https?:)?//""", text, re.I)
    assert not re.search(r"""<link[^>]*\bhref\s*=\s*["']?\s*(https?:)?//""", text, re.I)
    assert not re.search(r"""\bimport\s*\(?\s*["'](https?:)?//""", text)
    from plotly.offline import get_plotlyjs

    assert text.count(get_plotlyjs()) <= 1
    figures = sum(
        "application/vnd.plotly.v1+json" in o.get("data", {})
        for c in done.cells
        for o in c.get("outputs", [])
    )
    if figures:
        assert text.count(get_plotlyjs()) == 1


def assert_no_machine_path(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    for local in {str(ROOT), str(ROOT.parent), os.path.expanduser("~"), os.getcwd()}:
        if len(local) > 1:
            assert local not in text, local
    assert not re.search(r"(?<![\w.])/(home|root|work|tmp|Users)/", text)
    assert not re.search(r"\b[A-Z]:\\\\", text)


@pytest.mark.slow
@pytest.mark.parametrize("scene", SCENES, ids=[scene.url_path for scene in SCENES])
def test_every_scene_notebook_runs_and_prints_the_scenes_numbers(scene, tmp_path):
    record = recorded(scene.url_path)
    assert record.core_calls, f"{scene.url_path} recorded no core call"
    written = notebook.write(record, tmp_path)
    assert_no_machine_path(written)
    done = executed(record, tmp_path)
    assert_no_error(done)
    assert assert_same_numbers(record, done) >= 1
    assert_offline(done)
    figures = [c for c in done.cells if c.cell_type == "code" and "figure.show()" in c.source]
    unnamed = [c for c in done.cells if c.cell_type == "markdown" and "cannot name" in c.source]
    assert len(figures) + len(unnamed) == len(record.figures)
    assert len(figures) >= len(record.figures) // 2, (
        f"{len(unnamed)} of {len(record.figures)} figures unnamed"
    )


@pytest.mark.slow
def test_a_notebook_from_a_settings_link_reproduces_that_links_numbers(tmp_path):
    url_path, query = notebook.link_query(LINK)
    record = recorded(url_path, query)
    arguments = record.core_calls[-1].arguments
    assert (
        arguments["dataset"],
        arguments["eps"],
        arguments["norm"],
        arguments["steps"],
        arguments["seed"],
    ) == (
        "circles",
        0.2,
        "linf",
        10,
        1,
    )
    done = executed(record, tmp_path)
    assert_no_error(done)
    assert assert_same_numbers(record, done) == 2
    source = "\n".join(cell.source for cell in done.cells)
    assert "eps=0.2" in source and "norm='linf'" in source and "seed=1" in source


def test_every_try_this_changes_a_real_argument_of_a_recorded_call():
    """Each "try this" names a call the scene's page makes at its defaults and one of its arguments, with a
    new value the scene function accepts (its notebook runs it: the test above)."""
    assert set(notebook.TRY_THIS) == {scene.url_path for scene in SCENES}
    for scene in SCENES:
        tries = notebook.TRY_THIS[scene.url_path]
        assert 2 <= len(tries) <= 3, scene.url_path
        calls = recorded(scene.url_path).core_calls
        for change in tries:
            matching = [c for c in calls if c.qualname.split(".")[-1] == change.function]
            assert matching, f"{scene.url_path}: no recorded call of {change.function}"
            assert change.argument in matching[0].arguments, (scene.url_path, change)
            assert matching[0].arguments[change.argument] != change.value, (scene.url_path, change)
            assert isinstance(change.value, type(matching[0].arguments[change.argument])), (
                scene.url_path,
                change,
            )
        built = notebook.build(recorded(scene.url_path))
        assert sum("rdl_try" in cell.metadata for cell in built.cells) == len(tries), scene.url_path


def test_figure_inputs_are_named_from_the_recorded_results_or_left_as_a_note():
    """``build`` alone (no page, no kernel): a figure's arguments are written as the recorded results, their
    fields and plain values; a figure no builder made, or made from a value no result holds, becomes a note;
    each step is a heading; a caption's folders of this machine are written relative to the project."""
    import dataclasses

    import numpy as np
    import plotly.graph_objects as go

    from ui.figures import BUILD_ATTRIBUTE, FigureBuild
    from ui.recorder import CoreCall, LiveRecord

    @dataclasses.dataclass(frozen=True)
    class Point:
        x: np.ndarray
        label: int

    result = Point(x=np.linspace(0, 1, 500), label=1)
    record = LiveRecord(
        "p05_geometry", "5 · Geometric interpretation", link="http://localhost:8501/p05_geometry"
    )
    record.core_calls.append(
        CoreCall("core.scenes.geometry", "attack", {"eps": 0.1, "seed": 0}, result, None)
    )
    named, unbuilt, unnamed = go.Figure(), go.Figure(), go.Figure(layout={"title": {"text": "Elsewhere"}})
    setattr(
        named,
        BUILD_ATTRIBUTE,
        FigureBuild("ui.figures.geometry", "stretch", (result,), {"pair": (result.x, 2)}),
    )
    setattr(unnamed, BUILD_ATTRIBUTE, FigureBuild("ui.figures", "image", (np.ones(500),), {}))
    record.figures, record.figure_steps = [named, unbuilt, unnamed], [2, 3, 3]
    record.captions, record.caption_steps = [f"Data in {ROOT.parent / 'shared' / 'data'}."], [3]
    record.events = [("call", 0), ("figure", 0), ("figure", 1), ("caption", 0), ("figure", 2)]
    built = notebook.build(record)
    nbformat.validate(built)
    sources = [cell.source for cell in built.cells]
    assert "attack = geometry.attack(eps=0.1, seed=0)" in sources
    assert "figure = ui_figures_geometry.stretch(attack, pair=(attack.x, 2))\nfigure.show()" in sources
    notes = [text for text in sources if "cannot name" in text]
    assert len(notes) == 2 and "“Elsewhere”" in notes[1]
    headings = [text for text in sources if text.startswith("## Step")]
    assert [h.split(" · ")[0] for h in headings] == ["## Step 1", "## Step 2", "## Step 3"]
    assert "> Data in ../shared/data." in sources
    assert str(ROOT) not in json.dumps(built)


def test_every_scene_page_offers_its_notebook_beside_the_code():
    """ "Open as a notebook" (ui.frame.code) downloads ``<url_path>.ipynb``, built from the run's record."""
    from streamlit.testing.v1 import AppTest

    from ui import recorder

    at = AppTest.from_file(str(notebook.APP), default_timeout=600)
    at.switch_page("app_pages/p05_geometry.py")
    at.run()
    assert not at.exception
    buttons = [b.proto for b in at.get("download_button") if b.proto.label == "Open as a notebook"]
    assert len(buttons) == 1
    record = at.session_state[recorder.RECORDS_KEY]["p05_geometry"]
    written = nbformat.reads(notebook.notebook_bytes(record).decode("utf-8"), as_version=4)
    nbformat.validate(written)
    assert written.cells[0].source.startswith("# 5 · Geometric interpretation")


def test_the_command_line_refuses_a_bad_scene_or_link_in_one_sentence(tmp_path, capsys):
    for arguments in (["--scene", "p99_nothing"], ["--link", "http://localhost:8501/p99_nothing?seed=1"]):
        assert notebook.main([*arguments, "--out", str(tmp_path)]) == 2
        message = capsys.readouterr().err.strip()
        assert message.count("\n") == 0 and message.startswith("There is no scene 'p99_nothing'"), message
    assert notebook.main(["--link", "http://localhost:8501/", "--out", str(tmp_path)]) == 2
    assert "names no scene" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())


def test_a_refused_link_value_is_one_sentence(tmp_path, capsys):
    link = "http://localhost:8501/p05_geometry?p05_eps=bogus"
    assert notebook.main(["--link", link, "--out", str(tmp_path)]) == 2
    message = capsys.readouterr().err.strip()
    assert message.startswith("The link's p05_eps='bogus'") and "\n" not in message
    assert not list(tmp_path.iterdir())
