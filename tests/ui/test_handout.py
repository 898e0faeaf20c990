"""The handout builder (ui.handout, Streamlit-free): one self-contained HTML file — plotly.js once, every
recorded figure drawn, images as data URIs, the numbers, links and commands, nothing to fetch."""

import json
import re

import numpy as np
import plotly.graph_objects as go

from ui import handout
from ui.figures import image


def records():
    pixels = np.arange(4 * 5 * 3, dtype=np.uint8).reshape(4, 5, 3) * 3
    curve = go.Figure(go.Scatter(x=[0, 1, 2], y=[0.1, 0.4, 0.2], name="radius"))
    return [
        handout.SceneRecord(
            "p09_certificate",
            "9 · The certificate α*",
            link="http://localhost:8501/p09_certificate?seed=3&p09_n=10000",
            commands=["from core.scenes.certificate import certify_point; certify_point(seed=3)"],
            metrics=[("Certified radius α*", "0.1234", ""), ("F_rob(x) = c_A", "class 1", "")],
            captions=["No adversarial point </script> <b>in the ball</b>."],
            figures=[curve.to_json(), image(pixels, "x").to_json()],
        ),
        handout.SceneRecord(
            "p03_cat_to_dog",
            "3 · Cat → dog",
            link="http://localhost:8501/p03_cat_to_dog",
            metrics=[("F(x + τ)", "dog · 97%", "from 1%")],
            figures=[curve.to_json()],
        ),
    ]


def figure_specs(page: str) -> dict:
    """Figure id → the Plotly spec (data, layout) embedded beside it."""
    found = re.findall(r"<script type='application/json' id='(figure-\d+)-spec'>(.*?)</script>", page, re.S)
    return {name: json.loads(text) for name, text in found}


def without_plotly_js(page: str) -> str:
    return page.replace(handout.plotly_js(), "")


def test_plotly_js_is_embedded_once_and_nothing_is_fetched():
    page = handout.build(records())
    assert page.count(handout.plotly_js()) == 1
    rest = without_plotly_js(page)
    assert not re.search(r"""<script[^>]*\bsrc\s*=""", rest, re.I)  # no script to load
    assert not re.search(
        r"""\b(src|href)\s*=\s*["']?\s*(https?:)?//""",
        rest.replace("href='http://localhost:8501/", "href='LINK/"),
        re.I,
    )  # only the settings links
    assert not re.search(r"<link\b|@import|url\(\s*['\"]?https?:", rest, re.I)


def test_every_figure_is_drawn_with_its_data():
    page = handout.build(records())
    assert re.findall(r"<div class='figure' id='(figure-\d+)'></div>", page) == [
        "figure-1",
        "figure-2",
        "figure-3",
    ]
    specs = figure_specs(page)
    assert list(specs) == ["figure-1", "figure-2", "figure-3"]
    assert specs["figure-1"]["data"][0]["y"] == [0.1, 0.4, 0.2]
    assert specs["figure-3"]["data"][0]["name"] == "radius"
    assert page.count("Plotly.newPlot(") == 1 + handout.plotly_js().count(
        "Plotly.newPlot("
    )  # one loop draws all


def test_an_image_becomes_a_png_data_uri_with_the_same_pixels():
    from base64 import b64decode
    from io import BytesIO

    from PIL import Image

    page = handout.build(records())
    data = figure_specs(page)["figure-2"]["data"]
    assert "z" not in data[0] and data[0]["source"].startswith("data:image/png;base64,")
    decoded = np.asarray(Image.open(BytesIO(b64decode(data[0]["source"].split(",", 1)[1]))))
    assert np.array_equal(decoded, np.arange(60, dtype=np.uint8).reshape(4, 5, 3) * 3)


def test_scenes_in_order_with_numbers_links_and_commands_escaped():
    page = handout.build(records())
    assert page.index("9 · The certificate α*") < page.index("3 · Cat → dog")
    for text in (
        "Certified radius α*",
        "0.1234",
        "dog · 97%",
        "from 1%",
        "certify_point(seed=3)",
        "p09_certificate?seed=3&amp;p09_n=10000",
    ):
        assert text in page
    assert "&lt;/script&gt; &lt;b&gt;in the ball&lt;/b&gt;" in page  # captions are text, not markup
    assert len(figure_specs(page)) == 3 and "</script> <b>" not in page


def test_no_records_still_gives_a_valid_page():
    page = handout.build([], plotlyjs="/* plotly */")
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>") and "0 scene(s)" in page
