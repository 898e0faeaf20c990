"""Noise injection: the Monte Carlo estimate of F_rob moves with the noise scale and the layer; its band is a
confidence sequence and says so; the smoothing reading follows the layer; the pure-strategy table backs the
game caption's counts."""


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
    assert (
        "Non-adaptive attack: draws wrong" in labels
        and any(label.startswith("Adaptive (EOT-") for label in labels)
        and any("fixed draws" in c.value for c in at.caption)
    ) or at.info
    # Every running chart's band is a confidence sequence (all draw counts, all classes), and its caption says
    # so.
    bands = [c.value for c in at.caption if c.value.startswith("Band: Robbins' mixture confidence sequence")]
    assert len(bands) == len(interval) and all("at every number of draws" in band for band in bands)

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
        # The game caption's counts are the table's: draws wrong on x are left out, every x' meets every draw.
        table = next(frame.value for frame in at.dataframe if "input" in frame.value.columns)
        kept = [column for column in table.columns if column.startswith("f_") and "left out" not in column]
        caption = next(c.value for c in at.caption if "fixed draws f_k" in c.value)
        assert f"), {len(kept)} answer" in caption
        if kept:
            most = max(
                sum(row[column] == "fooled" for column in kept) for _, row in table.iloc[1:].iterrows()
            )
            assert f"the most one x'_j fools is {most}." in caption
        # The smoothing reading: F * p_ε at the input, the head in layer-i space after layer i.
        assert any(r"\int F(x + e)" in m.value for m in at.markdown)
        at.slider(key="p07_layer").set_value(2).run()
        assert not at.exception
        assert any("in the space of layer 2" in m.value for m in at.markdown)
        assert not any(r"\int F(x + e)" in m.value for m in at.markdown)
        at.slider(key="p07_layer").set_value(0).run()
        before = metrics(at, "95 % interval")[0]
        at.slider(key="p07_scale").set_value(0.6).run()
        assert not at.exception
        assert metrics(at, "95 % interval")[0] != before
    else:
        assert at.info, "without zoo models the image tab must say how to build them"
