"""core.scenes.adversarial_training (scene 6): the toy comparison checked against the attacks run
directly, the gallery table read from its shipped per-image rows, captions from the numbers."""

import json

import numpy as np
import pytest
import torch

from core import attacks, evaluation, toys, zoo
from core.scenes import adversarial_training as scene
from core.seeds import stream_seed


@pytest.fixture(scope="module")
def toy():
    return scene.toy(eps=0.1, seed=0)


def test_shipped_specs_are_standard_and_every_budget_for_seed_0():
    assert scene.toy_spec(0.0, 0) in scene.SHIPPED_TOYS
    assert {spec.adversarial for spec in scene.SHIPPED_TOYS} == {None} | {
        (e, 7) for e in scene.TOY_EPS_CHOICES
    }


def test_toy_table_and_broken_points_agree_with_pgd_run_directly(toy):
    for model_result, spec in (
        (toy.standard, scene.toy_spec(0.0, 0)),
        (toy.adversarial, scene.toy_spec(0.1, 0)),
    ):
        model, parts = toys.model(spec), toys.split(spec)
        assert np.array_equal(toy.x_test, parts.x_test.numpy())
        x_adv = attacks.pgd(
            model,
            parts.x_test,
            parts.y_test,
            eps=0.1,
            step=2.5 * 0.1 / 20,
            steps=20,
            norm="linf",
            generator=evaluation.example_generators(
                stream_seed(0, "toy attacks"), evaluation.START_STREAM, range(len(parts.x_test))
            ),
        )
        with torch.no_grad():
            broken = (model(x_adv).argmax(1) != parts.y_test).numpy()
            natural = float((model(parts.x_test).argmax(1) == parts.y_test).float().mean())
        assert np.array_equal(model_result.broken, broken)
        assert model_result.pgd == pytest.approx(1 - broken.mean())
        assert model_result.natural == pytest.approx(natural)
        assert model_result.pgd <= model_result.natural
    assert toy.pgd_gain == pytest.approx(toy.adversarial.pgd - toy.standard.pgd)
    assert toy.adversarial.pgd > toy.standard.pgd  # what adversarial training is for, at the default


def test_toy_caption_states_the_computed_direction(toy):
    text = scene.toy_caption(toy)
    assert ("raised the accuracy under PGD-20" in text) == (toy.pgd_gain > 0)
    assert ("lowered the clean accuracy" in text) == (toy.clean_cost > 0)
    assert f"{toy.standard.pgd:.1%} → {toy.adversarial.pgd:.1%}" in text
    assert f"{int(toy.standard.broken.sum())} for standard training" in text
    worse = scene.ToyModel(**{**toy.adversarial.__dict__, "pgd": toy.standard.pgd - 0.05})
    assert "lowered the accuracy under PGD-20" in scene.toy_caption(
        scene.Toy(**{**toy.__dict__, "adversarial": worse})
    )


def test_toy_is_deterministic_and_seeds_differ(toy):
    again = scene.toy(eps=0.1, seed=0)
    assert np.array_equal(again.standard.labels, toy.standard.labels)
    assert np.array_equal(again.adversarial.broken, toy.adversarial.broken)
    other = scene.toy(eps=0.02, seed=1)
    assert not np.array_equal(other.x_test, toy.x_test)


def _present(dataset):
    return all(name in zoo.names() for name in (f"{dataset}-standard", f"{dataset}-adversarial"))


@pytest.mark.skipif(not _present("mnist"), reason="the MNIST zoo models are not present")
def test_images_reads_the_shipped_gallery_rows_and_keeps_madry_rows():
    result = scene.images(dataset="mnist", seed=0)
    if result.gallery is None:
        pytest.skip("no shipped gallery table matching the zoo's weights: run " + scene.BUILD_COMMAND)
    assert result.gallery_source == "shipped" and len(result.gallery_images) == 20
    for kind, table in result.gallery.items():
        assert evaluation.table_from_rows(table["rows"]) == {c: table[c] for c in ("natural", "pgd", "cw")}
        assert (table["eps"], table["pgd_steps"], table["cw_steps"], table["seed"]) == (0.3, 20, 30, 0)
    trainings = [row["training"] for row in result.table_rows]
    assert "adversarial — Madry et al. 2018" in trainings and "natural — Madry et al. 2018" in trainings
    madry = next(row for row in result.table_rows if row["training"] == "adversarial — Madry et al. 2018")
    assert madry["pgd"] == evaluation.MADRY_CIFAR10["adversarial_training"]["pgd"]
    assert result.points_per_image == 5
    # Another seed is not shipped: nothing is computed unless asked (live=True, behind the page's button).
    other = scene.images(dataset="mnist", seed=1)
    assert other.gallery is None and other.gallery_images == ()
    assert any("Madry" in row["training"] for row in other.table_rows)


@pytest.mark.skipif(not _present("mnist"), reason="the MNIST zoo models are not present")
def test_a_gallery_table_is_read_only_for_its_seed_settings_and_weights():
    call = scene._gallery_call("mnist-standard", 0)

    def read(arguments, model="mnist-standard"):
        return scene.shipped.read(scene.__name__, "gallery_table", arguments, [model])

    assert read(call) is not None
    assert read({**call, "seed": 1}) is None and read({**call, "pgd_steps": 7}) is None
    assert read(call, model="mnist-adversarial") is None  # other weights' sha256


@pytest.mark.parametrize(
    "call",
    [
        lambda: scene.images(dataset="svhn", seed=0),
        lambda: scene.images(dataset="mnist", seed=-1),
        lambda: scene.toy(eps=0.33, seed=0),
        lambda: scene.toy(eps=0.1, seed=1.5),
    ],
)
def test_bad_arguments_raise_one_sentence(call):
    with pytest.raises(ValueError):
        call()


@pytest.mark.skipif(not _present("mnist"), reason="the MNIST zoo models are not present")
def test_live_gallery_table_is_built_from_the_per_image_rows(monkeypatch):
    from core import data
    from core.scenes import common

    two = tuple(part[:2] for part in common.gallery("mnist"))
    monkeypatch.setattr(scene, "gallery", lambda dataset: two)  # 2 images: a fast live run
    result = scene.images(dataset="mnist", seed=5, live=True)
    assert result.gallery_source == "computed now" and len(result.gallery_images) == 2
    assert result.points_per_image == 50
    names = data.CLASS_NAMES["mnist"]
    direct = evaluation.robustness_table(zoo.shared("mnist-adversarial"), *two, eps=0.3, seed=5)
    for image, row in zip(result.gallery_images, direct["rows"]):
        assert image["class"] == names[row["label"]]
        assert image["adversarial · PGD-20"] == names[row["pgd_predict"]]
        assert image["adversarial · CW-30"] == names[row["cw_predict"]]
    shown = next(row for row in result.table_rows if row["training"] == "adversarial (mnist-adversarial)")
    assert shown["pgd"] == direct["pgd"] and shown["evaluated on"] == "2 gallery images"


def test_randomized_rows_come_from_the_talk_table_file(monkeypatch):
    """The noise-trained models' rows beside Madry's: read from talk_table_<dataset>.json, with the vote and
    EOT settings and the abstentions counted in the note; a missing file names the command that makes it."""
    shipped = {
        "command": "python -m core.experiments talk-table --dataset mnist",
        "votes": 100,
        "eot": 8,
        "examples": 4,
        "computed_on": "2026-11-30",
        "models": [
            {
                "model": "mnist-gaussian-0.25",
                "noise": {"name": "gaussian", "scale": 0.25},
                "natural": 1.0,
                "pgd": 0.25,
                "cw": 0.5,
                "abstained": {"natural": 0, "pgd": 1, "cw": 0},
            }
        ],
    }
    monkeypatch.setattr(scene.results, "read", lambda kind, subject: shipped)
    rows, note = scene.talk_table_rows("mnist")
    assert [(row["natural"], row["pgd"], row["cw"]) for row in rows] == [(1.0, 0.25, 0.5)]
    assert (
        "vote of 100" in rows[0]["training"]
        and "EOT-8" in rows[0]["training"]
        and "4 test images" in rows[0]["evaluated on"]
    )
    assert "1 of 12 predictions" in note and shipped["command"] in note

    def missing(kind, subject):
        raise scene.results.ResultsUnavailable(f"No shipped {kind} results for {subject} yet: run X")

    monkeypatch.setattr(scene.results, "read", missing)
    assert scene.talk_table_rows("mnist") == ([], "No shipped talk_table results for mnist yet: run X")


def test_distance_claim_follows_what_pgd_found(toy):
    claim = scene.distance_claim(toy)
    broken = int(toy.adversarial.broken.sum())
    assert ("is not pushed ε away from every point" in claim) == (broken > 0)
    if broken:
        assert f"{broken} of {len(toy.x_test)} held-out points" in claim
    clean = scene.ToyModel(**{**toy.adversarial.__dict__, "broken": np.zeros_like(toy.adversarial.broken)})
    none = scene.distance_claim(scene.Toy(**{**toy.__dict__, "adversarial": clean}))
    assert "finds no wrong class" in none and "not a proof" in none
    assert scene.distance_claim(toy) in scene.toy_caption(toy)


@pytest.mark.parametrize("dataset", ["mnist", "cifar10"])
def test_table_notes_name_fgsm_rs_models_only(dataset):
    if not _present(dataset):
        pytest.skip(f"the {dataset} zoo models are not present")
    result = scene.images(dataset=dataset, seed=12345)  # an unshipped seed: nothing is attacked
    fgsm_rs = [
        name
        for name in result.models.values()
        if (zoo.entry(name)["recipe"].get("adversarial") or {}).get("kind") == "fgsm_rs"
    ]
    notes = " ".join(result.notes)
    assert ("catastrophically" in notes) == bool(fgsm_rs)
    assert all(name in notes for name in fgsm_rs)
    assert "45.8 %" in notes and "replaces each mini-batch" in notes and "2.5·ε/steps" in notes
    natural = next(row for row in result.table_rows if row["training"] == "natural — Madry et al. 2018")
    assert natural["pgd"] is None  # the unverified 0 % is not shown


def test_batch_note_matches_core_training():
    """BATCH_NOTE says the trainer replaces the mini-batch by its adversarial version: the model is trained on
    batch_size inputs per step, none of them the clean ones."""
    from core.models import feed_forward
    from core.training import Trainer

    seen = []
    model = feed_forward(2, [8], 2, seed=0)
    hook = model.register_forward_pre_hook(
        lambda module, inputs: seen.append(inputs[0].detach().clone()) if module.training else None
    )
    x, y = torch.rand(16, 2) * 0.6 + 0.2, torch.randint(0, 2, (16,))
    trainer = Trainer(
        model, x, y, batch_size=8, adversarial={"kind": "fgsm_rs", "eps": 0.1, "step": 0.125}, seed=0
    )
    trainer.step()
    hook.remove()
    trained_on = seen[-1]  # the forward pass the optimiser used
    assert "replaces each mini-batch" in scene.BATCH_NOTE
    assert len(trained_on) == 8  # not 16: the clean batch is not added
    assert not any(torch.equal(row, clean) for row in trained_on for clean in x)


# --------------------------------------------------------------------------- the price in training time


def _bench_row(
    name,
    *,
    seconds_per_step,
    machine="cpu (2 threads, AMD EPYC)",
    adversarial=None,
    width=32,
    precision="bf16",
    epochs=12,
    steps_per_epoch=98,
    gradient_computations=None,
):
    return {
        "recipe": name,
        "dataset": "cifar10",
        "architecture": {"kind": "cifar_cnn", "width": width},
        "batch_size": 512,
        "precision": precision,
        "channels_last": True,
        "adversarial": adversarial,
        "attack_bn_mode": None if adversarial is None else adversarial.get("attack_bn_mode", "eval"),
        "gradient_computations": gradient_computations,
        "epochs": epochs,
        "steps_per_epoch": steps_per_epoch,
        "timed_steps": 3,
        "seconds_per_step_timed": [seconds_per_step] * 3,
        "seconds_per_step": seconds_per_step,
        "seconds_per_epoch": seconds_per_step * steps_per_epoch,
        "run": {
            "command": "python -m bench.bench_training --recipes --batches 3 --ship",
            "machine": machine,
            "load_average_before": 2.5,
            "load_average_after": 3.0,
        },
    }


FGSM_RS = {"kind": "fgsm_rs", "eps": 8 / 255, "step": 10 / 255, "attack_bn_mode": "train"}


def _ship(path, standard_s, adversarial_s, *, machines=("cpu (2 threads, AMD EPYC)",) * 2, **adversarial_kw):
    rows = [
        _bench_row("cifar10-standard", seconds_per_step=standard_s, machine=machines[0]),
        _bench_row(
            "cifar10-adversarial",
            seconds_per_step=adversarial_s,
            machine=machines[1],
            adversarial=FGSM_RS,
            width=64,
            epochs=24,
            **adversarial_kw,
        ),
    ]
    scene.ship_training_cost(rows, path)


def test_measured_cost_ratio_and_caption_follow_the_numbers(tmp_path):
    path = tmp_path / "shipped.json"
    _ship(path, 0.5, 3.0, gradient_computations=99)  # a typed-in count is not read: the recipe's is
    cost, note = scene.training_cost("cifar10", {}, path)
    assert note == "" and cost.same_machine
    standard, adversarial = cost.rows
    assert (standard.gradient_computations, adversarial.gradient_computations) == (1, 2)
    assert (standard.inner, adversarial.inner, adversarial.bn_mode) == ("—", "FGSM-RS", "train")
    assert standard.seconds_per_epoch == pytest.approx(49) and adversarial.seconds_per_epoch == pytest.approx(
        294
    )
    assert cost.epoch_ratio == pytest.approx(6.0) and cost.gradient_ratio == 2
    assert cost.recipe_ratio == pytest.approx(12.0)  # 24 epochs against 12, on the same machine
    assert (
        "294 s" in cost.caption and "49 s" in cost.caption and "6.0× per epoch, above the 2×" in cost.caption
    )
    assert "12.0×" in cost.caption and "cpu (2 threads, AMD EPYC)" in cost.caption
    assert "the architecture (cifar_cnn (width 32) → cifar_cnn (width 64))" in cost.caption
    assert "outside the bf16 autocast" in cost.caption
    _ship(path, 1.0, 1.9)
    cost, _ = scene.training_cost("cifar10", {}, path)
    assert cost.epoch_ratio == pytest.approx(1.9) and "1.9× per epoch, close to the 2×" in cost.caption
    _ship(path, 1.0, 1.0)
    assert "below the 2×" in scene.training_cost("cifar10", {}, path)[0].caption


def test_no_ratio_from_rows_timed_on_different_machines(tmp_path):
    path = tmp_path / "shipped.json"
    _ship(path, 6.4, 0.2, machines=("cpu (2 threads, AMD EPYC)", "cuda (NVIDIA H200)"))
    cost, _ = scene.training_cost("cifar10", {}, path)
    assert not cost.same_machine and cost.epoch_ratio is None and cost.recipe_ratio is None
    assert "different machines" in cost.caption and "no ratio" in cost.caption
    assert "× per epoch" not in cost.caption and "0.0×" not in cost.caption
    assert cost.gradient_ratio == 2 and "2×" in cost.caption  # the count needs no clock


def test_a_missing_cost_names_the_bench_command(tmp_path):
    cost, note = scene.training_cost("mnist", {}, tmp_path / "none.json")
    assert cost is None
    assert (
        "python -m bench.bench_training --recipes mnist-standard mnist-adversarial --batches 3 --ship" in note
    )


def test_shipping_cost_rows_replaces_a_recipe_and_build_keeps_them(tmp_path, monkeypatch):
    path = tmp_path / "shipped.json"
    _ship(path, 0.5, 3.0)
    scene.ship_training_cost([_bench_row("cifar10-standard", seconds_per_step=0.7)], path)
    rows = json.loads(path.read_text())["training_cost"]["rows"]
    assert sorted(row["recipe"] for row in rows) == ["cifar10-adversarial", "cifar10-standard"]
    assert next(row for row in rows if row["recipe"] == "cifar10-standard")["seconds_per_step"] == 0.7
    monkeypatch.setattr(scene, "deterministic_models", lambda datasets: [])
    monkeypatch.setattr(scene.shipped, "scene_file", lambda module: path)
    scene.build()  # the gallery rebuilt, the measurement kept
    content = json.loads(path.read_text())
    assert content["training_cost"]["rows"] == rows and content["command"] == scene.BUILD_COMMAND
    path.write_text("{not json")
    with pytest.raises(ValueError, match="not valid JSON"):
        scene.ship_training_cost(rows, path)


def test_zoo_wall_times_give_a_ratio_only_on_one_device():
    def entry(name, device, seconds, epochs):
        return {"name": name, "device": device, "wall_time_s": seconds, "recipe": {"epochs": epochs}}

    ratio, caption = scene.wall_times(
        {
            "standard": entry("s", "cpu (2 threads, x86_64)", 636.8, 12),
            "adversarial": entry("a", "cuda (NVIDIA H200)", 115.3, 24),
        }
    )
    assert ratio is None and "Different devices: no ratio" in caption and "115.3 s" in caption
    ratio, caption = scene.wall_times(
        {
            "standard": entry("s", "cpu (2 threads, x86_64)", 280.0, 3),
            "adversarial": entry("a", "cpu (2 threads, x86_64)", 801.7, 4),
        }
    )
    assert (
        ratio == pytest.approx(801.7 / 280.0)
        and f"{801.7 / 280.0:.1f}×" in caption
        and "4 and 3 epochs" in caption
    )


def test_bn_mode_of_the_shipped_models_is_train_and_a_recorded_one_is_read():
    assert scene.shipped_bn_mode({"recipe": {"adversarial": {"kind": "pgd", "eps": 0.3}}}) == ("train", False)
    assert scene.shipped_bn_mode({"recipe": {"adversarial": {"kind": "pgd", "attack_bn_mode": "eval"}}}) == (
        "eval",
        True,
    )
    with pytest.raises(ValueError, match="attack_bn_mode"):
        scene.shipped_bn_mode({"recipe": {"adversarial": {"attack_bn_mode": "batch"}}})
    for dataset in ("mnist", "cifar10"):
        if f"{dataset}-adversarial" not in zoo.names():
            continue
        entry = zoo.entry(f"{dataset}-adversarial")
        assert scene.shipped_bn_mode(entry) == ("train", False)  # trained by the code before the setting
        note = scene.bn_note({"adversarial": entry, "standard": zoo.entry(f"{dataset}-standard")})
        assert f"{dataset}-adversarial ran its training attack with batch norm in train mode" in note
        assert note.count("batch norm in") == 1  # nothing said of the standard model


@pytest.mark.parametrize("dataset", ["mnist", "cifar10"])
def test_the_shipped_cost_was_timed_on_one_machine_for_the_zoo_recipes(dataset):
    if not _present(dataset):
        pytest.skip(f"the {dataset} zoo models are not present")
    result = scene.images(dataset=dataset, seed=12345)  # an unshipped seed: nothing is attacked
    if result.cost is None:
        pytest.skip(result.cost_note)
    standard, adversarial = result.cost.rows
    assert result.cost.same_machine and standard.machine == adversarial.machine
    assert standard.command.startswith("python -m bench.bench_training --recipes")
    assert standard.matches_zoo and adversarial.matches_zoo, (
        standard.differs_from_zoo,
        adversarial.differs_from_zoo,
    )
    assert (standard.gradient_computations, adversarial.gradient_computations) == (
        (1, 8) if dataset == "mnist" else (1, 2)
    )
    assert result.cost.epoch_ratio == pytest.approx(
        adversarial.seconds_per_epoch / standard.seconds_per_epoch
    )
    assert f"{result.cost.epoch_ratio:.1f}× per epoch" in result.cost.caption
    devices = {entry.get("device") for entry in result.entries.values()}
    assert (result.time_ratio is None) == (len(devices) > 1)


def test_the_caption_says_when_the_load_exceeded_the_threads(tmp_path):
    path = tmp_path / "shipped.json"
    _ship(path, 0.5, 1.0)
    assert (
        "load average 2.5 before the run and 3 after" in scene.training_cost("cifar10", {}, path)[0].caption
    )
    rows = json.loads(path.read_text())["training_cost"]["rows"]
    for threads, busy in ((2, True), (4, False)):
        for row in rows:
            row["run"]["threads"] = threads
        scene.ship_training_cost(rows, path)
        caption = scene.training_cost("cifar10", {}, path)[0].caption
        assert ("other work shared the cores" in caption) == busy


def test_a_shipped_seed_opens_with_shipped_networks(asked_toys):
    asked = asked_toys
    scene.toy(eps=scene.DEFAULTS["eps"], seed=3)
    assert set(asked) == set(scene.opening_toys(3)) and set(asked) <= set(scene.SHIPPED_TOYS)
