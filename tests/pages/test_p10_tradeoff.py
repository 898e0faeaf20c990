"""Trade-off page: certified accuracy at r falls as r grows (same certificates), clean accuracy does not
move; the bounds follow σ; the gallery button runs the image bounds (tiny settings here)."""

import pytest
import streamlit as st

from core.scenes import tradeoff as scene


def _tradeoff(values: list[str]) -> list[tuple[int, int]]:
    """(clean %, certified %) of each Gaussian scale, from the values of the metrics 'gaussian std …'."""
    return [tuple(int(part.strip().rstrip("%")) for part in value.split("→")) for value in values]


def test_tradeoff_reacts_to_radius_and_sigma(open_page, metric, metrics):
    at = open_page("app_pages/p10_tradeoff.py")
    assert not at.exception
    assert len(at.get("plotly_chart")) >= 4
    small_r = _tradeoff(metrics(at, "gaussian std"))
    assert len(small_r) == 3

    at.slider(key="p10_radius").set_value(0.2).run()
    assert not at.exception
    large_r = _tradeoff(metrics(at, "gaussian std"))
    assert large_r != small_r
    for (clean_a, certified_a), (clean_b, certified_b) in zip(small_r, large_r):
        assert clean_a == clean_b  # r only changes which certificates count
        assert certified_b <= certified_a  # certified accuracy is non-increasing in r
    # the caption names the std with the most certified points, as computed
    best = scene.toy_tradeoff(seed=0, noises_chosen=("gaussian",), radius=0.2).facts[0].most_certified
    assert any(f"r = 0.20 at std {best[0]:g}" in caption.value for caption in at.caption)

    # certified accuracy at 1.74: measured only from a file whose ceiling reaches it, else the command
    limits = scene.alpha_star_limits(dataset="cifar10")
    shown = metric(at, f"Certified accuracy at {limits.needed:.2f}")
    if limits.measured is None:
        assert shown == "not measured" and not shown.endswith("%")
        assert any(block.value == scene.MEASURE_COMMAND for block in at.code)
    else:
        assert shown == f"{limits.measured.certified_at_needed:.0%}"
    small = scene.what_is_small(seed=0, std=scene.DEFAULTS["bounds_std"])
    assert any(caption.value == scene.what_is_small_caption(small) for caption in at.caption)

    median_radius = float(metric(at, "Median certified α*"))
    assert median_radius > 0
    at.select_slider(key="p10_bounds_std").set_value(0.25).run()
    assert not at.exception
    assert float(metric(at, "Median certified α*")) != median_radius


@pytest.fixture
def tiny_image_settings(monkeypatch):
    for name, value in {
        "IMAGE_EPS": (0.0, 0.5),
        "IMAGE_N0": 5,
        "IMAGE_N": 10,
        "IMAGE_VOTES": 5,
        "IMAGE_CHUNK": 10,
        "IMAGE_ATTACK": {"eps_max": 1.0, "search_steps": 1, "steps": 1, "draws": 1, "restarts": 1},
    }.items():
        monkeypatch.setattr(scene, name, value)
    yield
    scene._image_part.cache_clear()  # tiny results must not outlive the test
    st.cache_data.clear()


def test_gallery_button_runs_the_image_bounds(open_page, metric, tiny_image_settings):
    at = open_page("app_pages/p10_tradeoff.py")
    at.selectbox(key="p10_model").set_value("mnist-gaussian-0.25").run()
    before = len(at.get("plotly_chart"))
    at.button(key="p10_run_images").click().run()
    assert not at.exception
    assert len(at.get("plotly_chart")) == before + 2
    assert metric(at, "Certified at ε = 0.5").endswith("%")  # the image run's last budget
