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
    assert {spec.adversarial for spec in scene.SHIPPED_TOYS} == {None} | {(e, 7) for e in scene.TOY_EPS_CHOICES}


def test_toy_table_and_broken_points_agree_with_pgd_run_directly(toy):
    for model_result, spec in ((toy.standard, scene.toy_spec(0.0, 0)), (toy.adversarial, scene.toy_spec(0.1, 0))):
        model, parts = toys.model(spec), toys.split(spec)
        assert np.array_equal(toy.x_test, parts.x_test.numpy())
        x_adv = attacks.pgd(model, parts.x_test, parts.y_test, eps=0.1, step=2.5 * 0.1 / 20, steps=20, norm="linf",
                            generator=evaluation.example_generators(stream_seed(0, "toy attacks"),
                                                                    evaluation.START_STREAM, range(len(parts.x_test))))
        with torch.no_grad():
            broken = (model(x_adv).argmax(1) != parts.y_test).numpy()
            natural = float((model(parts.x_test).argmax(1) == parts.y_test).float().mean())
        assert np.array_equal(model_result.broken, broken)
        assert model_result.pgd == pytest.approx(1 - broken.mean())
        assert model_result.natural == pytest.approx(natural)
        assert model_result.pgd <= model_result.natural
    assert toy.pgd_gain == pytest.approx(toy.adversarial.pgd - toy.standard.pgd)
    assert toy.adversarial.pgd > toy.standard.pgd          # what adversarial training is for, at the default


def test_toy_caption_states_the_computed_direction(toy):
    text = scene.toy_caption(toy)
    assert ("raised the accuracy under PGD-20" in text) == (toy.pgd_gain > 0)
    assert ("lowered the clean accuracy" in text) == (toy.clean_cost > 0)
    assert f"{toy.standard.pgd:.1%} → {toy.adversarial.pgd:.1%}" in text
    assert f"{int(toy.standard.broken.sum())} for standard training" in text
    worse = scene.ToyModel(**{**toy.adversarial.__dict__, "pgd": toy.standard.pgd - 0.05})
    assert "lowered the accuracy under PGD-20" in scene.toy_caption(scene.Toy(**{**toy.__dict__, "adversarial": worse}))


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
def test_shipped_gallery_is_refused_for_other_weights_or_seeds(tmp_path):
    record = {"seed": 0, "sha256": zoo.entry("mnist-standard")["sha256"],
              "table": {"eps": 0.3, "pgd_steps": 20, "cw_steps": 30, "seed": 0, "rows": []}}
    path = tmp_path / "shipped.json"
    path.write_text(json.dumps({"models": {"mnist-standard": record}}))
    assert scene.shipped_gallery("mnist-standard", 0, path) is not None
    assert scene.shipped_gallery("mnist-standard", 1, path) is None
    path.write_text(json.dumps({"models": {"mnist-standard": {**record, "sha256": "0" * 64}}}))
    assert scene.shipped_gallery("mnist-standard", 0, path) is None
    other_stream = {**record, "table": {**record["table"], "seed": 12345}}   # attacks seeded otherwise
    path.write_text(json.dumps({"models": {"mnist-standard": other_stream}}))
    assert scene.shipped_gallery("mnist-standard", 0, path) is None


@pytest.mark.parametrize("call", [lambda: scene.images(dataset="svhn", seed=0),
                                  lambda: scene.images(dataset="mnist", seed=-1),
                                  lambda: scene.toy(eps=0.33, seed=0),
                                  lambda: scene.toy(eps=0.1, seed=1.5)])
def test_bad_arguments_raise_one_sentence(call):
    with pytest.raises(ValueError):
        call()


@pytest.mark.skipif(not _present("mnist"), reason="the MNIST zoo models are not present")
def test_live_gallery_table_is_built_from_the_per_image_rows(monkeypatch):
    from core import data
    from core.scenes import common

    two = tuple(part[:2] for part in common.gallery("mnist"))
    monkeypatch.setattr(scene, "gallery", lambda dataset: two)          # 2 images: a fast live run
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
    shipped = {"command": "python -m core.experiments talk-table --dataset mnist", "votes": 100, "eot": 8,
               "examples": 4, "computed_on": "2026-11-30",
               "models": [{"model": "mnist-gaussian-0.25", "noise": {"name": "gaussian", "scale": 0.25},
                           "natural": 1.0, "pgd": 0.25, "cw": 0.5, "abstained": {"natural": 0, "pgd": 1, "cw": 0}}]}
    monkeypatch.setattr(scene.results, "read", lambda kind, subject: shipped)
    rows, note = scene.talk_table_rows("mnist")
    assert [(row["natural"], row["pgd"], row["cw"]) for row in rows] == [(1.0, 0.25, 0.5)]
    assert "vote of 100" in rows[0]["training"] and "EOT-8" in rows[0]["training"] and "4 test images" in rows[0]["evaluated on"]
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
    result = scene.images(dataset=dataset, seed=12345)          # an unshipped seed: nothing is attacked
    fgsm_rs = [name for name in result.models.values()
               if (zoo.entry(name)["recipe"].get("adversarial") or {}).get("kind") == "fgsm_rs"]
    notes = " ".join(result.notes)
    assert ("catastrophically" in notes) == bool(fgsm_rs)
    assert all(name in notes for name in fgsm_rs)
    assert "45.8 %" in notes and "replaces each mini-batch" in notes and "2.5·ε/steps" in notes
    natural = next(row for row in result.table_rows if row["training"] == "natural — Madry et al. 2018")
    assert natural["pgd"] is None                                # the unverified 0 % is not shown


def test_batch_note_matches_core_training():
    """BATCH_NOTE says the trainer replaces the mini-batch by its adversarial version: the model is trained on
    batch_size inputs per step, none of them the clean ones."""
    from core.models import feed_forward
    from core.training import Trainer

    seen = []
    model = feed_forward(2, [8], 2, seed=0)
    hook = model.register_forward_pre_hook(lambda module, inputs: seen.append(inputs[0].detach().clone())
                                           if module.training else None)
    x, y = torch.rand(16, 2) * 0.6 + 0.2, torch.randint(0, 2, (16,))
    trainer = Trainer(model, x, y, batch_size=8, adversarial={"kind": "fgsm_rs", "eps": 0.1, "step": 0.125}, seed=0)
    trainer.step()
    hook.remove()
    trained_on = seen[-1]                                        # the forward pass the optimiser used
    assert "replaces each mini-batch" in scene.BATCH_NOTE
    assert len(trained_on) == 8                                  # not 16: the clean batch is not added
    assert not any(torch.equal(row, clean) for row in trained_on for clean in x)
