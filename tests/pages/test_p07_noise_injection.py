"""Noise injection: the Monte Carlo estimate of F_rob moves with the noise scale and the layer."""


def test_noise_injection_reacts_to_scale_and_layer(open_page, metrics):
    at = open_page("app_pages/p07_noise_injection.py")
    assert not at.exception
    soft = metrics(at, "E[softmax")
    interval = metrics(at, "95 % interval")
    assert soft and len(soft) == len(interval)
    assert all(0.0 <= float(v) <= 1.0 for v in soft)
    assert len(at.get("plotly_chart")) >= 4
    # The game-theory reading: the non-adaptive and the adaptive (EOT) attacks, both labelled, with the
    # no-pure-equilibrium sentence computed from the image's numbers.
    labels = [m.label for m in at.metric]
    assert ("Non-adaptive attack: draws wrong" in labels and any(label.startswith("Adaptive (EOT-") for label in labels)
            and any("fixed draws" in c.value for c in at.caption)) or at.info

    # 2-D toy tab (always available): the last estimate on the page belongs to it.
    at.slider(key="p07_toy_scale").set_value(0.3).run()
    assert not at.exception
    assert metrics(at, "95 % interval")[-1] != interval[-1]
    louder = metrics(at, "95 % interval")[-1]
    at.slider(key="p07_toy_layer").set_value(2).run()
    assert not at.exception
    assert metrics(at, "95 % interval")[-1] != louder

    # Image tab, when a zoo model is installed: the scale moves the estimate of F_rob(x).
    if any(s.key == "p07_scale" for s in at.slider):
        before = metrics(at, "95 % interval")[0]
        at.slider(key="p07_scale").set_value(0.6).run()
        assert not at.exception
        assert metrics(at, "95 % interval")[0] != before
    else:
        assert at.info, "without zoo models the image tab must say how to build them"
