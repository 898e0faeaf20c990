"""The certificate: CERTIFY's radius stays below the ceiling σΦ⁻¹(α^{1/n}), which moves with n and α; the
image
certificate opens shipped and runs live behind a button; the shipped curves are drawn per dataset."""

import json
import re

from scipy.stats import norm

from core import results
from core.experiments import drawn_with
from core.scenes import certificate as C

PAGE = "app_pages/p09_certificate.py"


def test_certificate_ceiling_moves_with_n_and_alpha(open_page, metric):
    at = open_page(PAGE)
    assert not at.exception
    assert len(at.get("plotly_chart")) >= 4
    ceiling = float(metric(at, "Ceiling at this n, α"))
    assert abs(ceiling - 0.25 * norm.ppf(0.001 ** (1 / 1000))) < 1e-3  # σ = 0.25, n = 1000, α = 0.001
    radius = float(metric(at, "Certified radius α*"))
    toy_ceiling = float(metric(at, "Ceiling σΦ⁻¹(α^{1/n})"))
    assert 0 < radius <= toy_ceiling  # the default point is certified, below the cap
    assert abs(radius - 0.1 * norm.ppf(float(metric(at, "p_A lower bound")))) < 1e-3
    same, total = map(int, metric(at, "Points in the ball with F_rob = c_A").split("/"))
    # The caption states the computed outcome: "No adversarial point" only when none got another class.
    caption = next(m.value for m in at.markdown if "random points of the disc" in m.value)
    assert caption.startswith("**No adversarial point") == ("and 0 get another class" in caption)
    assert f"{same} of {total} random points" in caption and total == C.BALL_POINTS

    at.select_slider(key="p09_n").set_value(10_000).run()
    assert not at.exception
    larger = float(metric(at, "Ceiling at this n, α"))
    assert larger > ceiling
    at.select_slider(key="p09_alpha").set_value(0.1).run()
    assert float(metric(at, "Ceiling at this n, α")) > larger

    at.button(key="p09_more").click().run()
    assert not at.exception
    assert at.select_slider(key="p09_n").value == 100_000
    assert float(metric(at, "Certified radius α*")) <= float(metric(at, "Ceiling σΦ⁻¹(α^{1/n})"))


def test_image_certificate_is_shipped_at_first_paint_and_live_behind_the_button(open_page, metric):
    at = open_page(PAGE)
    assert not at.exception
    if C.image_is_shipped(model=C.DEFAULT_MODEL, index=0, n0=100, n=200, alpha=0.001, seed=0):
        assert float(metric(at, "Certified radius of the image")) >= 0
        assert any("shipped" in caption.value for caption in at.caption)
    at.selectbox(key="p09_model").set_value("mnist-gaussian-0.25").run()
    at.select_slider(key="p09_image_n").set_value(100).run()  # not shipped: nothing computed before the click
    assert not at.exception
    assert not [m for m in at.metric if m.label == "Certified radius of the image"]
    at.button(key="p09_image_run").click().run()
    assert not at.exception
    radius = float(metric(at, "Certified radius of the image"))
    expected = C.certify_image(model="mnist-gaussian-0.25", index=0, n0=100, n=100, alpha=0.001, seed=0)
    assert abs(radius - expected.radius) < 1e-4
    assert any("computed here" in caption.value for caption in at.caption)
    at.select_slider(key="p09_std").set_value(0.5).run()  # another widget: the certificate stays
    assert float(metric(at, "Certified radius of the image")) == radius


def test_shipped_certificates_are_plotted_beside_cohen_per_dataset(open_page):
    at = open_page(PAGE)
    assert not at.exception
    figures = {}
    for chart in at.get("plotly_chart"):
        spec = json.loads(chart.proto.spec)
        figures[chart.proto.id] = [trace.get("name", "") for trace in spec["data"]]
    shipped = {name: results.read("certify", name) for name in results.available("certify")}
    for dataset in ("cifar10", "mnist"):
        names = [name for name, record in shipped.items() if record["dataset"] == dataset]
        if not names:
            continue
        # One figure holds exactly this dataset's shipped curves (and Cohen et al.'s for CIFAR-10).
        traces = next(t for t in figures.values() if any(t_.startswith(names[0] + ",") for t_ in t))
        ours = [t for t in traces if "this code" in t]
        assert sorted(t.split(",")[0] for t in ours) == sorted(names)
        assert sum("Cohen et al." in t for t in traces) == (3 if dataset == "cifar10" else 0)
    # Every shipped file's caption says how it was computed, read off the file: TF32 files say so.
    captions = [caption.value for caption in at.caption]
    for name, record in shipped.items():
        caption = next(c for c in captions if c.startswith(f"{name}: computed on {record['device']}"))
        assert (C.TF32_TEXT in caption) == (drawn_with(record)["fp32_kernels"] == "tf32")
        assert f"{record['n0'] + record['n']:,} forward passes per image".replace(",", " ") in caption


def test_the_page_states_certifys_cost_and_the_hidden_layer_caveat(open_page):
    """CERTIFY's forward passes (n₀ + n, computed) beside the point and the image; the caveat beside the radii
    pulled back from a hidden layer, with the features' computed scales."""
    at = open_page(PAGE)
    assert not at.exception
    captions = [caption.value for caption in at.caption]
    assert any(
        re.search(r"n₀ \+ n = 1 100 noisy copies \(\d+\.\d\d s here, on the 2-D toy network\)", c)
        and "certificate costs 1 100 forward passes per input" in c
        for c in captions
    )
    if C.image_is_shipped(model=C.DEFAULT_MODEL, index=0, n0=100, n=200, alpha=0.001, seed=0):
        assert any(
            "n₀ + n = 300 noisy copies" in c and "shipped in assets/scenes/certificate.json" in c
            for c in captions
        )
    layers = C.hidden_layers(
        model=C.DEFAULT_MODEL, sigma=C.DEFAULTS["sigma"], n=C.DEFAULTS["n"], alpha=C.DEFAULTS["alpha"], seed=0
    )
    assert layers.caveat in captions and "is not comparable with σ = 0.1 in pixels" in layers.caveat


def test_a_cancelled_image_run_says_how_far_it_got_and_keeps_nothing(open_page):
    """The Cancel button reruns the page, which stops CERTIFY at its next progress update; the rerun says how
    many draws were done and shows no certificate (a partial count is never a result)."""
    at = open_page(PAGE)
    at.selectbox(key="p09_model").set_value("mnist-gaussian-0.25").run()
    at.select_slider(key="p09_image_n").set_value(100).run()
    at.session_state["p09_image_run_progress"] = (150, 200)  # the last progress update before the click
    at.session_state["p09_image_run_cancel"] = True
    at.run()
    assert not at.exception
    assert any("cancelled after 150 of 200 draws" in warning.value for warning in at.warning)
    assert not [m for m in at.metric if m.label == "Certified radius of the image"]
    at.run()  # the next rerun is back to the button
    assert not any("cancelled" in warning.value for warning in at.warning)
