"""The URL is the demo: a link carrying every bound widget of a scene (and the seed) opens the same
scene with the same values, and a fresh session opened on the settings link the page reports
(ui.url.link, what the handout prints) shows the same numbers, figures' inputs and captions.

The non-default values are not written here: each scene is first opened at its defaults, and every
widget ui.url bound on that run is moved to a neighbouring choice (the next option, one step along a
slider), so the test follows the pages as they change. Some options depend on another widget (the
gallery's labels name the classes of the chosen model's dataset): a value refused for that reason is
taken again from the page opened with the new model, once.
"""

import re
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
from streamlit.testing.v1 import AppTest

from core.scenes.registry import SCENES, module_of
from tests.pages.conftest import APP
from ui import recorder, url

ROOT = Path(__file__).resolve().parents[2]
KINDS = ("selectbox", "select_slider", "radio", "multiselect", "slider", "number_input")
SEED = "1"


def scene_of(page: str) -> str:
    return next(scene.url_path for scene in SCENES if scene.page == page)


def opened(page: str, params: dict) -> AppTest:
    """A fresh session that opens ``page`` directly with the query ``params``, as a pasted link does."""
    at = AppTest.from_file(APP, default_timeout=900)
    at.query_params.update(params)
    at.switch_page(page)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def widget(at: AppTest, key: str):
    for kind in KINDS:
        try:
            return kind, getattr(at, kind)(key=key)
        except KeyError:
            continue
    raise AssertionError(f"no bound widget with key {key!r}")


def neighbour(at: AppTest, key: str, texts: list[str]):
    """A value other than the shown one, as URL text(s): the next option, or one step along."""
    kind, element = widget(at, key)
    if kind == "multiselect":
        return element.options[:2] if sorted(texts) != sorted(element.options[:2]) else element.options[:1]
    if kind in ("selectbox", "select_slider", "radio"):
        options = element.options
        return options[(options.index(texts[0]) + 1) % len(options)]
    value, step = float(texts[0]), float(element.proto.step or 1)
    moved = round(value + step, 10) if value + step <= element.proto.max else round(value - step, 10)
    assert element.proto.min <= moved <= element.proto.max
    return url.number_text(moved)


def shown(at: AppTest) -> dict:
    """What a reader compares: every metric, caption and warning, and the core calls behind them."""
    record = at.session_state[recorder.RECORDS_KEY][at.session_state[recorder.CURRENT_KEY]]
    return {
        "metrics": [(m.label, m.value) for m in at.metric],
        "captions": [c.value for c in at.caption],
        "warnings": [w.value for w in at.warning],
        "calls": list(record.calls),
    }


def link_params(at: AppTest) -> dict:
    """The query of the settings link the page reports for its current values."""
    record = at.session_state[recorder.RECORDS_KEY][at.session_state[recorder.CURRENT_KEY]]
    query: dict = {}
    for key, value in parse_qsl(urlsplit(record.link).query):
        query.setdefault(key, []).append(value)
    return {key: values[0] if len(values) == 1 else values for key, values in query.items()}


@pytest.mark.parametrize("page", [scene.page for scene in SCENES], ids=[scene.url_path for scene in SCENES])
def test_a_link_with_every_bound_value_replays_the_scene(page):
    defaults = opened(page, {})
    bound = {key: texts for key, texts in defaults.session_state[url.VALUES_KEY].items() if key != "seed"}
    assert bound, f"{page} binds no widget to the URL"
    # Every key in the link is a parameter its scene declares, opening at its declared value.
    declared = {p.key: p for p in module_of(scene_of(page)).PARAMETERS.values()}
    assert set(bound) <= set(declared), sorted(set(bound) - set(declared))
    for key in bound:
        value, wanted = (
            defaults.session_state[key] if key in defaults.session_state else None,
            declared[key].default,
        )
        if wanted is not None:
            assert (tuple(value) if isinstance(value, list) else value) == wanted, key
    link = {key: neighbour(defaults, key, texts) for key, texts in bound.items()}
    link["seed"] = SEED

    first = opened(page, link)
    stale = [key for key in link if any(w.value.startswith(f"The link's {key}=") for w in first.warning)]
    if stale:  # options that follow another widget: choose again among the new ones
        link.update({key: neighbour(first, key, first.session_state[url.VALUES_KEY][key]) for key in stale})
        first = opened(page, link)
    refused = [w.value for w in first.warning if w.value.startswith("The link's")]
    assert not refused, refused
    used = first.session_state[url.VALUES_KEY]
    for key, wanted in link.items():
        if key in used:  # a widget the new values hide (e.g. C&W's constants under PGD) is not drawn
            assert used[key] == (wanted if isinstance(wanted, list) else [wanted]), key
    assert used["seed"] == [SEED]

    replay = opened(page, link_params(first))  # the link the page (and the handout) reports
    assert shown(replay) == shown(first)
    assert replay.session_state[url.VALUES_KEY] == used


@pytest.mark.parametrize("value", ["bogus", "", "-5", "1e999"])
def test_a_bad_value_in_the_link_falls_back_to_the_default_with_one_sentence(value):
    page, key = "app_pages/p09_certificate.py", "p09_n"
    default = opened(page, {}).session_state[url.VALUES_KEY][key]
    at = opened(page, {key: value, "p09_alpha": "0.01"})
    sentences = [w.value for w in at.warning if w.value.startswith(f"The link's {key}=")]
    assert len(sentences) == 1 and f"uses {default[0]} instead" in sentences[0]
    assert at.session_state[url.VALUES_KEY][key] == default  # the default is what is shown and used
    assert at.session_state[url.VALUES_KEY]["p09_alpha"] == ["0.01"]  # a good neighbour is kept
    assert str(at.select_slider(key=key).value) == default[0]


def test_out_of_range_and_stale_values_fall_back_with_a_sentence_each():
    page = "app_pages/p07_noise_injection.py"
    at = opened(page, {"p07_toy_x1": "7", "p07_layer": "99", "p07_model": "a-model-since-removed"})
    sentences = [w.value for w in at.warning if w.value.startswith("The link's")]
    assert len(sentences) == 3, sentences
    used = at.session_state[url.VALUES_KEY]
    for key in ("p07_toy_x1", "p07_layer", "p07_model"):
        assert any(
            s.startswith(f"The link's {key}=") and f"uses {used[key][0]} instead" in s for s in sentences
        )


def test_the_uploader_says_a_photo_cannot_travel_in_a_link():
    at = opened("app_pages/p03_cat_to_dog.py", {})
    assert at.get("file_uploader")[0].proto.help == url.UPLOAD_NOT_IN_LINK


WIDGET_CALL = re.compile(
    r"(\w+(?:\.\w+)*(?:\[\d+\])?)\.(selectbox|select_slider|slider|number_input|radio|multiselect|"
    r"toggle|checkbox|text_input|pills|segmented_control|date_input)\("
)


@pytest.mark.parametrize("scene", SCENES, ids=[scene.url_path for scene in SCENES])
def test_every_widget_of_a_scene_page_goes_through_ui_url(scene):
    source = (ROOT / scene.page).read_text(encoding="utf-8")
    unbound = [m.group(0) for m in WIDGET_CALL.finditer(source) if m.group(1) != "url"]
    assert not unbound, f"{scene.page} draws widgets the URL does not carry: {unbound}"


def test_an_expensive_run_opens_with_the_links_settings_and_runs_at_one_click():
    from core.scenes import certificate as C

    at = opened(
        "app_pages/p09_certificate.py",
        {"p09_model": "mnist-gaussian-0.25", "p09_image_n": "100", "p09_alpha": "0.01", "seed": "2"},
    )
    assert not [m for m in at.metric if m.label == "Certified radius of the image"]  # nothing run yet
    button = at.button(key="p09_image_run")
    assert "n = 100" in button.label
    button.click().run()
    assert not at.exception
    expected = C.certify_image(model="mnist-gaussian-0.25", index=0, n0=100, n=100, alpha=0.01, seed=2)
    radius = next(m.value for m in at.metric if m.label == "Certified radius of the image")
    assert abs(float(radius) - expected.radius) < 1e-4
