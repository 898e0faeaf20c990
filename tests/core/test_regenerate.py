"""core.regenerate / `python -m core.experiments regenerate`: one command per shipped result file, in
dependency order, selectable by model; on a tiny fake zoo it reproduces the results and follows a retrained
model."""

import json

import pytest

from core import experiments, regenerate, results, zoo
from tests.core.fake_mnist import write_mnist_npz


def _files_of(steps):
    return [name for step in steps for name in step.files]


def test_dry_run_lists_one_command_per_shipped_file_then_the_scene_build(capsys):
    shipped = sorted(
        results.path(kind, subject).name for kind in results.KINDS for subject in results.available(kind)
    )
    if not shipped:
        pytest.skip("no shipped result files")
    steps = regenerate.plan(data_dir="../shared/data")
    assert sorted(_files_of(steps)) == shipped  # every file, each in exactly one step
    commands = [step.command for step in steps]
    assert len(set(commands)) == len(commands)
    for step in steps:
        for name in step.files:
            kind = max((k for k in results.KINDS if name.startswith(k + "_")), key=len)
            subject = name[len(kind) + 1 : -len(".json")]
            recorded = results.read(kind, subject)["command"]
            assert step.argv[1] == recorded.split()[3]  # the recorded sub-command …
            assert f"--name {subject}" in step.command or f"--dataset {subject}" in step.command, step.command
            reads_data = step.kind in ("evaluate", "certify") or "--data-dir" in recorded
            assert ("--data-dir ../shared/data" in step.command) == reads_data
    order = [regenerate.ORDER.get(step.kind, 0) for step in steps]
    assert order == sorted(order)  # results → tradeoff → README → scenes
    assert steps[-1].command == "python -m core.scenes build"
    assert sum(step.kind == "scenes" for step in steps) == 1
    assert experiments.main(["regenerate", "--dry-run", "--data-dir", "../shared/data"]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert len(printed) == len(steps) and printed[-1].endswith("# → assets/scenes, assets/toys")


def test_selection_by_model_keeps_its_files_and_what_is_built_from_them():
    names = {results.read("certify", s)["model"] for s in results.available("certify")}
    if "cifar10-gaussian-0.25" not in names:
        pytest.skip("no shipped certify result of cifar10-gaussian-0.25")
    steps = regenerate.plan(model="cifar10-gaussian-0.25")
    files = _files_of(steps)
    assert "certify_cifar10-gaussian-0.25.json" in files and "tradeoff_cifar10.json" in files
    assert not any("mnist" in name or "cifar10-standard" in name for name in files)
    for step in steps:
        if step.files and step.kind != "tradeoff":
            assert "cifar10-gaussian-0.25" in step.models, step.command  # read that model's weights
    assert [s.kind for s in steps][-2:] == ["report", "scenes"]
    scene_step = steps[-1]
    assert scene_step.argv[:2] == ("core.scenes", "build") and "--scene" in scene_step.argv
    for path in scene_step.argv[3::2]:  # each chosen scene's file names the model
        module = next(
            s.module
            for s in __import__("core.scenes.registry", fromlist=["SCENES"]).SCENES
            if s.url_path == path
        )
        text = (regenerate.SCENES_DIR / f"{module.rsplit('.', 1)[-1]}.json").read_text()
        assert '"cifar10-gaussian-0.25"' in text
    standard = regenerate.plan(model="mnist-standard", scenes=False)
    assert all(s.kind in ("evaluate", "report") for s in standard)  # no certify: no tradeoff either
    only = regenerate.plan(only="attacks_*")
    assert _files_of(only) and all(f.startswith(("attacks_", "robustness_")) for f in _files_of(only))
    assert all(s.kind == "evaluate" for s in only)


@pytest.mark.parametrize(
    "kwargs, sentence",
    [(dict(model="nope"), "Unknown model"), (dict(only="nothing-*"), "No shipped result file matches")],
)
def test_bad_selection_is_one_sentence(kwargs, sentence):
    with pytest.raises(ValueError, match=sentence):
        regenerate.plan(**kwargs)


def test_a_command_that_is_not_the_cli_is_refused(tmp_path):
    results.write(
        "tradeoff",
        "mnist",
        {"dataset": "mnist", "rows": []},
        command="make everything",
        device="?",
        results_dir=tmp_path,
    )
    with pytest.raises(ValueError, match="not a `python -m core.experiments` one"):
        regenerate.plan(results_dir=tmp_path, scenes=False)


# --------------------------------------------------------------------------- a tiny fake zoo


@pytest.fixture(scope="module")
def fake_zoo(tmp_path_factory):
    """Two tiny MNIST models (1 epoch on 300 images made from the gallery), one evaluate, one certify, one
    tradeoff."""
    folder = write_mnist_npz(tmp_path_factory.mktemp("npz"), train=300, test=40, seed=1)
    models_dir, results_dir = tmp_path_factory.mktemp("models"), tmp_path_factory.mktemp("results")
    common = [
        "--data-dir",
        str(folder),
        "--models-dir",
        str(models_dir),
        "--results-dir",
        str(results_dir),
        "--device",
        "cpu",
    ]
    for name in ("mnist-standard", "mnist-gaussian-0.25"):
        assert experiments.main(["train", "--name", name, "--epochs", "1", *common]) == 0
    assert (
        experiments.main(
            [
                "evaluate",
                "--name",
                "mnist-standard",
                "--test-limit",
                "12",
                "--curve-examples",
                "6",
                "--curve-steps",
                "2",
                *common,
            ]
        )
        == 0
    )
    assert (
        experiments.main(
            [
                "certify",
                "--name",
                "mnist-gaussian-0.25",
                "--n0",
                "10",
                "--n",
                "50",
                "--every",
                "10",
                "--limit",
                "3",
                "--batch-size",
                "50",
                *common,
            ]
        )
        == 0
    )
    assert experiments.main(["tradeoff", "--dataset", "mnist", "--results-dir", str(results_dir)]) == 0
    return folder, models_dir, results_dir, common


def _in_process(calls):
    def runner(argv):
        calls.append(argv)
        return (
            experiments.main(list(argv[1:])) if argv[0] == "core.experiments" else 0
        )  # scene build: recorded only

    return runner


@pytest.mark.slow
def test_fake_zoo_regenerates_the_same_results_and_follows_a_retrained_model(fake_zoo):
    folder, models_dir, results_dir, common = fake_zoo
    before = {
        name: json.loads((results_dir / name).read_text())
        for name in (
            "attacks_mnist-standard.json",
            "robustness_mnist-standard.json",
            "certify_mnist-gaussian-0.25.json",
        )
    }
    steps = regenerate.plan(results_dir=results_dir, models_dir=models_dir, data_dir=str(folder), readme=None)
    assert sorted(_files_of(steps)) == sorted(p.name for p in results_dir.glob("*.json"))
    calls = []
    assert regenerate.run(steps, runner=_in_process(calls), log=lambda *_: None) == 0
    assert sorted(c[:2] for c in calls[:2]) == [
        ("core.experiments", "certify"),
        ("core.experiments", "evaluate"),
    ]
    assert [c[:2] for c in calls[2:]] == [("core.experiments", "tradeoff"), ("core.scenes", "build")]
    for name, old in before.items():  # same weights, same command: same numbers
        new = json.loads((results_dir / name).read_text())
        for key in ("curves", "table", "certified_accuracy"):
            assert new.get(key) == old.get(key), (name, key)
        timeless = [
            [{k: v for k, v in row.items() if k != "seconds"} for row in r.get("rows", [])]
            for r in (new, old)
        ]
        assert timeless[0] == timeless[1], name
    assert (
        regenerate.plan(results_dir=results_dir, models_dir=models_dir, stale=True, readme=None, scenes=False)
        == []
    )

    # Retrain one model: only the files computed from it (and nothing built from certify files) are stale.
    assert (
        experiments.main(["train", "--name", "mnist-standard", "--epochs", "1", "--seed", "1", *common]) == 0
    )
    stale = regenerate.plan(
        results_dir=results_dir,
        models_dir=models_dir,
        data_dir=str(folder),
        stale=True,
        readme=None,
        scenes=False,
    )
    assert sorted(_files_of(stale)) == ["attacks_mnist-standard.json", "robustness_mnist-standard.json"]
    assert regenerate.run(stale, runner=_in_process([]), log=lambda *_: None) == 0
    sha = zoo.entry("mnist-standard", models_dir)["sha256"]
    assert results.read("attacks", "mnist-standard", results_dir)["model_sha256"] == sha
    assert (
        regenerate.plan(results_dir=results_dir, models_dir=models_dir, stale=True, readme=None, scenes=False)
        == []
    )


def test_a_failing_step_stops_the_run(fake_zoo):
    _, models_dir, results_dir, _ = fake_zoo
    steps = regenerate.plan(results_dir=results_dir, models_dir=models_dir, readme=None)
    calls = []
    status = regenerate.run(steps, runner=lambda argv: calls.append(argv) or 3, log=lambda *_: None)
    assert status == 3 and len(calls) == 1


def test_attack_files_drawn_before_the_per_example_rule_are_stale(fake_zoo, tmp_path):
    """A robustness/attacks file without evaluation.DRAW_RULE was drawn batch by batch: its command would
    no longer reproduce it, so --stale picks it (and only it) although its model is unchanged."""
    import shutil

    from core import evaluation

    _, models_dir, results_dir, _ = fake_zoo
    copy = tmp_path / "results"
    shutil.copytree(results_dir, copy)
    assert (
        regenerate.plan(results_dir=copy, models_dir=models_dir, stale=True, readme=None, scenes=False) == []
    )
    path = copy / "robustness_mnist-standard.json"
    record = json.loads(path.read_text())
    assert record["table"]["draws"] == evaluation.DRAW_RULE
    del record["table"]["draws"]
    path.write_text(json.dumps(record))
    stale = regenerate.plan(results_dir=copy, models_dir=models_dir, stale=True, readme=None, scenes=False)
    assert sorted(_files_of(stale)) == ["attacks_mnist-standard.json", "robustness_mnist-standard.json"]
