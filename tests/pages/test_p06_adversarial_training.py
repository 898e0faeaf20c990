"""Adversarial training: on the 2-D toy, Madry-trained boundaries resist PGD better and react to ε."""


def test_adversarial_training_reacts_to_eps(open_page, percent):
    at = open_page("app_pages/p06_adversarial_training.py")
    assert not at.exception
    assert len(at.get("plotly_chart")) == 2
    standard_pgd = percent(at, "Standard · PGD-20")
    robust_pgd = percent(at, "Adversarial · PGD-20")
    assert robust_pgd > standard_pgd                       # the point of adversarial training
    assert standard_pgd <= percent(at, "Standard · natural")

    at.select_slider(key="p06_eps").set_value(0.15).run()
    assert not at.exception
    assert percent(at, "Standard · PGD-20") < standard_pgd  # a larger ball breaks more points

    # The image table: a row per zoo model present (plus Madry et al.'s), one sentence per missing model.
    zoo_metrics = [m for m in at.metric if m.label.endswith("-standard · PGD-20") or m.label.endswith("-adversarial · PGD-20")]
    if zoo_metrics:
        assert at.dataframe
    if len(zoo_metrics) < 2:
        assert at.info
