"""The shipped zoo: every manifest entry loads, matches its sha256, and classifies real images."""

import json
import shutil

import pytest
import torch

from core import data, zoo
from core.models import noise_layers

SHIPPED = zoo.names()


def test_manifest_lists_files_that_exist():
    for name in SHIPPED:
        entry = zoo.entry(name)
        assert (zoo.MODELS_DIR / entry["file"]).exists(), name
        assert entry["command"].startswith("python -m core.experiments train")


@pytest.mark.parametrize("name", SHIPPED)
def test_every_shipped_model_loads_and_matches_its_sha256(name):
    entry = zoo.entry(name)
    assert zoo.sha256_of(zoo.MODELS_DIR / entry["file"]) == entry["sha256"]
    model = zoo.load(name)
    assert not model.training
    shape = (2, 1, 28, 28) if entry["dataset"] == "mnist" else (2, 3, 32, 32)
    assert model(torch.rand(shape)).shape == (2, 10)
    assert bool(noise_layers(model)) == bool(entry.get("noise"))


@pytest.mark.parametrize("name,minimum", [("mnist-standard", 0.95), ("cifar10-standard", 0.85)])
def test_standard_models_classify_the_offline_gallery(name, minimum):
    if name not in SHIPPED:
        pytest.skip(f"{name} is not shipped yet")
    images, labels = data.gallery(name.split("-")[0])
    with torch.no_grad():
        accuracy = (zoo.load(name)(images).argmax(1) == labels).float().mean().item()
    assert accuracy >= minimum


def test_corrupted_or_missing_weights_say_how_to_rebuild(tmp_path):
    if not SHIPPED:
        pytest.skip("no shipped model")
    name = SHIPPED[0]
    entry = zoo.entry(name)
    shutil.copy(zoo.MODELS_DIR / "manifest.json", tmp_path / "manifest.json")
    with pytest.raises(zoo.ModelUnavailable, match="missing.*python -m core.experiments train"):
        zoo.load(name, models_dir=tmp_path)
    corrupted = bytearray((zoo.MODELS_DIR / entry["file"]).read_bytes())
    corrupted[-1] ^= 0xFF
    (tmp_path / entry["file"]).write_bytes(bytes(corrupted))
    with pytest.raises(zoo.ModelUnavailable, match="sha256.*python -m core.experiments train"):
        zoo.load(name, models_dir=tmp_path)
    with pytest.raises(zoo.ModelUnavailable, match="No model named"):
        zoo.load("no-such-model")


def test_every_shipped_result_belongs_to_the_shipped_weights():
    """A result computed on older weights would be a silent wrong number on screen."""
    from core import results

    for kind in ("attacks", "robustness", "certify"):
        for subject in results.available(kind):
            shipped = results.read(kind, subject)
            assert shipped["model_sha256"] == zoo.entry(subject)["sha256"], f"{kind}_{subject}.json is stale"
            assert shipped["command"].startswith("python -m core.experiments ")


def _copy_of_zoo(tmp_path, name):
    shutil.copy(zoo.MODELS_DIR / zoo.entry(name)["file"], tmp_path)
    record = dict(zoo.entry(name))
    (tmp_path / zoo.MANIFEST_NAME).write_text(json.dumps({"models": [record]}))
    return record


@pytest.mark.parametrize(
    "manifest_text,sentence",
    [
        ('{"models": [{"name": "a", "fi', "is not readable JSON"),
        ('{"model": []}', "has no list of models"),
        ('{"models": [{"name": "a", "sha256": "0", "architecture": {}}]}', "Entry 1 of .* lacks file"),
        (
            '{"models": [{"name": "a", "file": "../../etc/passwd", "sha256": "0", "architecture": {}}]}',
            "malformed name, file name",
        ),
    ],
)
def test_a_broken_manifest_gives_one_sentence_without_server_paths(tmp_path, manifest_text, sentence):
    (tmp_path / zoo.MANIFEST_NAME).write_text(manifest_text)
    with pytest.raises(zoo.ModelUnavailable, match=sentence) as caught:
        zoo.names(tmp_path)
    assert str(tmp_path) not in str(caught.value) and "\n" not in str(caught.value)


def test_weights_that_do_not_fit_the_architecture_give_one_sentence(tmp_path):
    name = "mnist-standard"
    record = _copy_of_zoo(tmp_path, name)
    record["architecture"] = {**record["architecture"], "width": record["architecture"].get("width", 16) * 2}
    (tmp_path / zoo.MANIFEST_NAME).write_text(json.dumps({"models": [record]}))
    with pytest.raises(zoo.ModelUnavailable, match="do not match its weights") as caught:
        zoo.load(name, models_dir=tmp_path)
    assert str(tmp_path) not in str(caught.value)
    record["architecture"] = {"kind": "transformer"}
    (tmp_path / zoo.MANIFEST_NAME).write_text(json.dumps({"models": [record]}))
    with pytest.raises(zoo.ModelUnavailable, match="architecture of 'mnist-standard'"):
        zoo.load(name, models_dir=tmp_path)


def _save_one(folder: str, seed: int) -> None:
    from core.models import cifar_cnn

    zoo.save(cifar_cnn(width=2, seed=seed), {"name": f"model-{seed}", "dataset": "cifar10"}, folder)


def test_trainings_finishing_at_once_keep_every_manifest_entry(tmp_path):
    """Several `train` processes may save into one zoo at the same moment (a GPU runs them side by side):
    the manifest's read-modify-write is locked, so none of their entries is lost."""
    import multiprocessing

    context = multiprocessing.get_context("spawn")
    processes = [context.Process(target=_save_one, args=(str(tmp_path), seed)) for seed in range(6)]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=120)
    assert [process.exitcode for process in processes] == [0] * 6
    assert sorted(zoo.names(tmp_path)) == sorted(f"model-{seed}" for seed in range(6))


def _copy_zoo_entry(tmp_path, name):
    shutil.copy(zoo.MODELS_DIR / "manifest.json", tmp_path / "manifest.json")
    return zoo.entry(name)["file"]


@pytest.mark.timeout(60)
@pytest.mark.parametrize("kind", ["link to /dev/zero", "fifo", "oversized"])
def test_weights_that_are_not_a_regular_file_of_a_plausible_size_are_refused_at_once(tmp_path, kind):
    """A link to /dev/zero would hash forever and a FIFO would block open(): both are refused on the
    open descriptor, and a file larger than the architecture can hold is refused before it is read."""
    import os

    name = "mnist-standard"
    file = tmp_path / _copy_zoo_entry(tmp_path, name)
    if kind == "link to /dev/zero":
        file.symlink_to("/dev/zero")
    elif kind == "fifo":
        os.mkfifo(file)
    else:
        with open(file, "wb") as handle:
            handle.truncate(zoo.weights_limit(zoo.load(name)) + 1)
    with pytest.raises(zoo.ModelUnavailable) as refused:
        zoo.load(name, models_dir=tmp_path)
    message = str(refused.value)
    assert ("not a regular file" in message) == (kind != "oversized") and str(tmp_path) not in message
    assert ("more than the" in message) == (kind == "oversized")


@pytest.mark.parametrize("bad", ["../../../x/evil", "a/b", "..", "evil\n", ""])
def test_model_names_cannot_leave_their_folder(tmp_path, bad):
    manifest = json.loads((zoo.MODELS_DIR / "manifest.json").read_text())
    manifest["models"][0]["name"] = bad
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(zoo.ModelUnavailable, match="malformed name"):
        zoo.read_manifest(tmp_path)
    with pytest.raises(zoo.ModelUnavailable, match="is not a model name"):
        zoo.entry(bad)


def test_no_chosen_model_is_one_sentence_not_none():
    with pytest.raises(zoo.ModelUnavailable) as refused:
        zoo.entry(None)
    assert "None" not in str(refused.value) and "No model is chosen" in str(refused.value)


@pytest.mark.timeout(60)
def test_a_toy_file_that_is_a_fifo_is_retrained_not_waited_for(tmp_path):
    import os

    from core import toys

    spec = toys.ToySpec(dataset="moons", epochs=1)
    manifest = {"toys": {spec.key(): {"sha256": "0" * 64}}}
    (tmp_path / toys.MANIFEST_NAME).write_text(json.dumps(manifest))
    os.mkfifo(tmp_path / f"{spec.key()}.safetensors")
    assert toys.shipped(spec, tmp_path) is None


@pytest.mark.parametrize(
    "change,sentence",
    [
        (lambda e: e.pop("dataset"), "names no dataset"),
        (lambda e: e["noise"].pop("scale"), "without a positive scale"),
        (lambda e: e["noise"].update(scale="0.25"), "without a positive scale"),
        (lambda e: e["noise"].update(scale=float("nan")), "without a positive scale"),
        (lambda e: e["noise"].update(layer=-1), "layer is not a whole number"),
        (lambda e: e.update(noise={"scale": 0.25}), "without a name"),
    ],
)
def test_an_entry_whose_dataset_or_noise_pages_cannot_use_is_one_sentence(tmp_path, change, sentence):
    """Pages read an entry's dataset and noise record (p08, p09 raised KeyError 'scale'): the manifest
    check refuses such an entry by name, without a server path."""
    manifest = json.loads((zoo.MODELS_DIR / "manifest.json").read_text())
    entry = next(e for e in manifest["models"] if e["name"] == "mnist-gaussian-0.25")
    change(entry)
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(zoo.ModelUnavailable, match=sentence) as refused:
        zoo.names(tmp_path)
    assert "mnist-gaussian-0.25" in str(refused.value) and str(tmp_path) not in str(refused.value)
