"""Adversarial training: on the 2-D toy, Madry-trained boundaries resist PGD better and react to ε; the
image table shows the gallery rows (shipped for seed 0), the shipped rows and Madry et al.'s."""


def test_adversarial_training_reacts_to_eps(open_page, percent):
    at = open_page("app_pages/p06_adversarial_training.py")
    assert not at.exception
    assert len(at.get("plotly_chart")) == 2
    standard_pgd = percent(at, "Standard · PGD-20")
    robust_pgd = percent(at, "Adversarial · PGD-20")
    assert robust_pgd > standard_pgd  # the point of adversarial training
    assert standard_pgd <= percent(at, "Standard · natural")

    at.select_slider(key="p06_eps").set_value(0.15).run()
    assert not at.exception
    assert percent(at, "Standard · PGD-20") < standard_pgd  # a larger ball breaks more points

    # The image table: a row per zoo model present (plus Madry et al.'s), one sentence per missing model.
    zoo_metrics = [
        m
        for m in at.metric
        if m.label.endswith("-standard · PGD-20") or m.label.endswith("-adversarial · PGD-20")
    ]
    if zoo_metrics:
        assert at.dataframe
    if len(zoo_metrics) < 2:
        assert at.info or at.button


def test_other_seeds_run_the_gallery_attacks_only_at_the_click(open_page):
    at = open_page("app_pages/p06_adversarial_training.py")
    at.sidebar.number_input(key="seed").set_value(3).run()
    assert not at.exception
    buttons = [b for b in at.button if b.key == "p06_gallery_button"]
    if buttons:  # zoo models present: not computed before the click
        assert not [m for m in at.metric if m.label.endswith("-standard · PGD-20")]
        assert at.dataframe  # the shipped and Madry et al.'s rows are still shown


def test_the_price_shows_the_cost_measured_on_one_machine_and_the_batch_norm_mode(open_page):
    """The gradient computations per step come from the recipes; a ratio of seconds is shown only for times
    measured on one machine (the zoo's wall times of CIFAR-10 come from a CPU and a GPU: none for them); the
    batch-norm mode of the shipped adversarial model's training attack is said."""
    from core import zoo
    from core.scenes import adversarial_training as scene_module

    at = open_page("app_pages/p06_adversarial_training.py")
    assert not at.exception
    if not {"cifar10-standard", "cifar10-adversarial"} <= set(zoo.names()):
        return
    result = scene_module.images(dataset="cifar10", seed=0)
    metrics = {metric.label: metric.value for metric in at.metric}
    captions = " ".join(caption.value for caption in at.caption)
    assert "cifar10-adversarial ran its training attack with batch norm in train mode" in captions
    assert "Time ratio adversarial / standard" not in metrics
    assert ("Zoo wall times, adversarial / standard (same device)" in metrics) == (
        result.time_ratio is not None
    )
    if result.cost is None:
        assert any(result.cost_note in info.value for info in at.info)
        return
    assert metrics["Gradient computations per step"] == "2 vs 1"
    ratio = metrics.get("Adversarial / standard, per epoch (one machine)")
    assert (ratio is not None) == result.cost.same_machine
    if ratio is not None:
        assert ratio == f"{result.cost.epoch_ratio:.1f}×"
    assert result.cost.caption in captions
