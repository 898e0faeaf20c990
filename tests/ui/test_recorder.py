"""The handout's recorder keeps what a scene page draws through ui.frame.st, without patching Streamlit."""

import ast
import importlib
from pathlib import Path

import plotly.graph_objects as go
import pytest
from streamlit.delta_generator import DeltaGenerator
from streamlit.testing.v1 import AppTest

from ui import figures, recorder

ROOT = Path(__file__).resolve().parents[2]


def test_a_scene_run_is_recorded_with_streamlit_left_as_it_is():
    originals = {name: getattr(DeltaGenerator, name) for name in recorder.RECORDED}
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)
    at.switch_page("app_pages/p05_geometry.py")
    at.run()
    assert not at.exception
    assert {name: getattr(DeltaGenerator, name) for name in recorder.RECORDED} == originals
    record = at.session_state[recorder.RECORDS_KEY]["p05_geometry"]
    # Every metric and figure the page shows is in the record, under the lecture step that reveals it.
    assert [(m.label, m.value) for m in at.metric] == [(label, value) for label, value, _ in record.metrics]
    assert record.metric_steps == [2] * len(record.metrics)
    assert record.figure_steps == [2, 3]
    assert [(b.module, b.name) for b in map(record.build_of, record.figures)] == [
        ("ui.figures.geometry", "attack_regions"),
        ("ui.figures.geometry", "stretch"),
    ]
    assert [call.qualname for call in record.core_calls] == ["toy", "attack"]
    assert record.core_calls[1].arguments["eps"] == 0.1 and record.core_calls[1].step is None


def test_a_drawing_hands_out_recorded_containers():
    drawing = recorder.Drawing(DeltaGenerator())
    assert isinstance(drawing.sidebar, recorder.Drawing)
    assert drawing.metric.func == drawing._drawn


@pytest.mark.parametrize("path", sorted((ROOT / "ui" / "figures").glob("*.py")), ids=lambda p: p.stem)
def test_every_figure_builder_remembers_how_it_was_built(path):
    """A function of ui.figures that returns a figure is a @builder, so the notebook can draw it again."""
    module = importlib.import_module(f"ui.figures{'' if path.stem == '__init__' else '.' + path.stem}")
    for node in ast.parse(path.read_text()).body:
        returns = ast.unparse(node.returns) if isinstance(node, ast.FunctionDef) and node.returns else ""
        if "go.Figure" in returns and not node.name.startswith("_") and node.name != "compact":
            assert getattr(getattr(module, node.name), "is_builder", False), f"{path.stem}.{node.name}"


def test_a_builder_marks_its_figures_and_the_outer_call_wins():
    @figures.builder
    def inner(height):
        return go.Figure(layout={"height": height})

    @figures.builder
    def pair(height):
        return inner(height), go.Figure()

    first, second = pair(300)
    assert figures.build_of(first) == figures.FigureBuild(__name__, "pair", (300,), {}, 0)
    assert figures.build_of(second).part == 1
    assert figures.build_of(inner(200)) == figures.FigureBuild(__name__, "inner", (200,), {}, None)
    assert figures.build_of(go.Figure()) is None
