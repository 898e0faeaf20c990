"""Noise → decision regions: the class probabilities under noise move with σ; the outcome caption
says what the metrics show (F flipped or not, F_rob kept its answer or not); the TV bound follows σ; the
divergence view's generalized-normal radius follows β, beside its 1-D Neyman–Pearson radius (the Rényi order
is λ);
the gallery button counts flips over every image (and at the defaults shows the shipped run without
recomputing)."""

import pytest
import streamlit as st


def outcome_texts(at) -> list[str]:
    """Every markdown or caption on the page that states the attack's outcome."""
    return [
        element.value
        for element in list(at.markdown) + list(at.caption)
        if "flip F" in element.value or "flips F" in element.value
    ]


def agrees(text: str, f_metric: str, rob_metric: str) -> bool:
    before, after = (side.strip() for side in f_metric.split("→"))
    rob_before, rob_after = (side.strip() for side in rob_metric.split("→"))
    return (("flips F" in text) == (before != after)) and (
        ("keeps its answer" in text) == (rob_before == rob_after)
    )


def test_decision_distribution_reacts_to_sigma(open_page, metric, metrics):
    at = open_page("app_pages/p08_decision_distribution.py")
    assert not at.exception
    assert len(at.get("plotly_chart")) >= 4
    # The default scene is Cohen et al.'s picture: PGD flips the base decision, not the smoothed one.
    assert metric(at, "F(x) → F(x_adv)") == "0 → 1"
    assert metric(at, "F_rob(x) → F_rob(x_adv)") == "0 → 0"
    texts = outcome_texts(at)
    assert texts and all(
        agrees(text, f, rob)
        for text, f, rob in zip(texts, metrics(at, "F(x) → F(x_adv)"), metrics(at, "F_rob(x) → F_rob(x_adv)"))
    )
    p_x = float(metric(at, "P(F(x + ε) = 1)"))
    p_adv = float(metric(at, "P(F(x_adv + ε) = 1)"))
    tv = float(metric(at, "TV distance"))
    assert abs(tv - abs(p_x - p_adv)) <= 2e-3  # two classes: TV = |p₁(x) − p₁(x_adv)|

    bound = float(metric(at, "TV bound 2Φ(‖τ‖₂/2σ) − 1"))
    assert 0 < bound < 1 and tv <= bound + 0.05  # the measured TV, up to Monte Carlo error

    at.select_slider(key="p08_sigma").set_value(0.4).run()
    assert not at.exception
    assert float(metric(at, "P(F(x + ε) = 1)")) != p_x
    assert float(metric(at, "TV bound 2Φ(‖τ‖₂/2σ) − 1")) < bound  # more noise, closer laws

    # Pinot et al.'s divergence view: β moves the generalized normal's radius only.
    table = at.dataframe[-1].value
    at.select_slider(key="p08_div_beta").set_value(2.0).run()
    assert not at.exception
    changed = at.dataframe[-1].value
    radius = "sup_λ r_λ (divergence route)"
    assert list(changed[radius][:2]) == list(table[radius][:2]) and changed[radius][2] != table[radius][2]
    # The Rényi order is λ (never α, the confidence level of other pages); the generalized normal's route
    # radius stands beside its 1-D Neyman–Pearson radius, and the caption orders the two as the table shows
    # them.
    assert not any("α" in column for column in changed.columns)
    shift = float(changed["1-D Neyman–Pearson G⁻¹(p_A) (no certificate exceeds it)"][2])
    route = float(changed[radius][2])
    caption = next(c.value for c in at.caption if "Rényi order λ*" in c.value)
    assert "α" not in caption and shift > route
    assert (
        f"G⁻¹(p_A) = {shift:.4f} is larger than the route's {route:.4f}: "
        "the route is sound but possibly loose" in caption
    )

    # A larger budget on the toy: the caption still follows the metrics, whatever the attack achieved.
    at.select_slider(key="p08_eps").set_value(0.3).run()
    assert not at.exception
    assert agrees(outcome_texts(at)[0], metric(at, "F(x) → F(x_adv)"), metric(at, "F_rob(x) → F_rob(x_adv)"))

    if any(w.key == "p08_image_scale" for w in at.select_slider):
        before = metrics(at, "TV distance")[-1]
        at.select_slider(key="p08_image_eps").set_value(3.0).run()
        assert not at.exception
        assert metrics(at, "TV distance")[-1] != before
        assert agrees(
            outcome_texts(at)[-1],
            metrics(at, "F(x) → F(x_adv)")[-1],
            metrics(at, "F_rob(x) → F_rob(x_adv)")[-1],
        )
    else:
        assert at.info, "without zoo models the image tab must say how to build them"


@pytest.fixture
def short_attack(monkeypatch):
    """Two PGD steps instead of twenty: the page's wiring, not the attack's strength, is under test here."""
    from core.scenes import decision_distribution as scene

    st.cache_data.clear()
    monkeypatch.setattr(scene, "PGD_STEPS", 2)
    yield
    st.cache_data.clear()  # results of the short attack must not outlive the test


def test_gallery_button_counts_flips_over_every_image(open_page, metric, short_attack):
    from core.scenes import decision_distribution as scene

    at = open_page("app_pages/p08_decision_distribution.py")
    if not any(w.key == "p08_model" for w in at.selectbox):
        pytest.skip("no zoo model trained with noise at the input")
    at.selectbox(key="p08_model").set_value("mnist-gaussian-0.25").run()
    at.select_slider(key="p08_votes").set_value(100).run()
    assert not any(m.label.startswith("Gallery:") for m in at.metric)  # nothing runs before the click
    at.button(key="p08_gallery_run").click().run()
    assert not at.exception
    flipped, images = (int(part) for part in metric(at, "Gallery: PGD flips F").split("/"))
    changed, _ = (int(part) for part in metric(at, "Gallery: F_rob changes its answer").split("/"))
    table = next(frame.value for frame in at.dataframe if "F flipped" in frame.value.columns)
    assert images == len(table) == 20
    # the run finished: its Cancel is gone
    assert not any(w.key == "p08_gallery_run_cancel" for w in at.button)
    assert flipped == int(table["F flipped"].sum()) and changed == int(table["F_rob changed"].sum())
    caption = next(c.value for c in at.caption if c.value.startswith("On 20 gallery images"))
    assert f"flips F on {scene._how_many(flipped, images, 'images')};" in caption
    assert f"changes its answer on {scene._how_many(changed, images)}." in caption
    at.run()  # a rerun keeps the run shown …
    assert metric(at, "Gallery: PGD flips F") == f"{flipped} / {images}"
    at.select_slider(key="p08_image_scale").set_value(0.5).run()
    assert not at.exception and not any(
        m.label.startswith("Gallery:") for m in at.metric
    )  # … a new setting waits


def test_gallery_button_at_the_defaults_shows_the_shipped_run(open_page, metric, monkeypatch):
    """At the opening settings the gallery-wide run is read from the shipped file: the click shows its counts
    at once, and nothing is recomputed (the live run would fail here)."""
    from core.scenes import decision_distribution as scene
    from core.scenes import shipped as kit

    record = kit.records(scene).get(kit.call_key("gallery_outcomes", kit.defaults(scene.gallery_outcomes)))
    shipped = kit.decode(record["result"], scene) if record else None
    at = open_page("app_pages/p08_decision_distribution.py")
    if shipped is None or not any(w.key == "p08_model" for w in at.selectbox):
        pytest.skip("no shipped default zoo model")
    assert at.selectbox(key="p08_model").value == scene.DEFAULT_MODEL

    def recompute(**_):
        raise AssertionError("the shipped gallery was recomputed")

    monkeypatch.setattr(scene, "gallery_outcomes_live", recompute)
    at.button(key="p08_gallery_run").click().run()
    assert not at.exception
    assert metric(at, "Gallery: PGD flips F") == f"{shipped.flipped} / {shipped.images}"
    assert metric(at, "Gallery: F_rob changes its answer") == f"{shipped.changed} / {shipped.images}"
    assert metric(at, "Gallery: F flips, F_rob keeps") == f"{shipped.flipped_kept} / {shipped.flipped}"
    assert not any(w.key == "p08_gallery_run_cancel" for w in at.button)  # nothing ran: no Cancel left behind
