"""The certificate: CERTIFY's radius stays below the ceiling σΦ⁻¹(α^{1/n}), which moves with n and α."""
from scipy.stats import norm


def test_certificate_ceiling_moves_with_n_and_alpha(open_page, metric):
    at = open_page("app_pages/p09_certificate.py")
    assert not at.exception
    assert len(at.get("plotly_chart")) >= 4
    ceiling = float(metric(at, "Ceiling at this n, α"))
    assert abs(ceiling - 0.25 * norm.ppf(0.001 ** (1 / 1000))) < 1e-3   # σ = 0.25, n = 1000, α = 0.001
    radius = float(metric(at, "Certified radius α*"))
    toy_ceiling = float(metric(at, "Ceiling σΦ⁻¹(α^{1/n})"))
    assert 0 < radius <= toy_ceiling                 # the default point is certified, below the cap
    same, total = map(int, metric(at, "Points in the ball with F_rob = c_A").split("/"))
    assert same == total > 0                          # no adversarial point inside the certified ball

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


def test_shipped_certificates_are_plotted_beside_cohen_per_dataset(open_page):
    import json

    from core import results

    at = open_page("app_pages/p09_certificate.py")
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
