"""train → evaluate → certify end to end on a tiny MNIST-format folder (no ../shared needed)."""

import json

import pytest
import torch

from core import experiments, results, runs, zoo
from tests.core.fake_mnist import write_mnist_npz


@pytest.fixture(scope="module")
def tiny_data(tmp_path_factory):
    """300 training and 60 test images made from the 20 real MNIST digits of the offline gallery,
    shifted by a pixel or two, in the .npz layout of ../shared/data."""
    folder = write_mnist_npz(tmp_path_factory.mktemp("npz"), train=300, test=60, seed=0)
    return folder


@pytest.fixture(scope="module")
def trained(tiny_data, tmp_path_factory):
    models_dir = tmp_path_factory.mktemp("models")
    results_dir = tmp_path_factory.mktemp("results")
    common = [
        "--data-dir",
        str(tiny_data),
        "--models-dir",
        str(models_dir),
        "--results-dir",
        str(results_dir),
        "--device",
        "cpu",
    ]
    for name in ("mnist-standard", "mnist-gaussian-0.25"):
        assert experiments.main(["train", "--name", name, "--epochs", "1", *common]) == 0
    return models_dir, results_dir, common


def test_train_writes_safetensors_and_a_complete_manifest(trained):
    models_dir, _, _ = trained
    manifest = json.loads((models_dir / "manifest.json").read_text())
    names = [entry["name"] for entry in manifest["models"]]
    assert names == ["mnist-gaussian-0.25", "mnist-standard"]
    for entry in manifest["models"]:
        for key in (
            "file",
            "sha256",
            "architecture",
            "dataset",
            "noise",
            "recipe",
            "command",
            "seed",
            "wall_time_s",
            "device",
            "metrics",
        ):
            assert key in entry, key
        assert entry["file"].endswith(".safetensors")
        assert entry["command"].startswith("python -m core.experiments train --name " + entry["name"])
        assert 0 <= entry["metrics"]["test_accuracy"] <= 1
        assert entry["device"] == f"cpu ({torch.get_num_threads()} threads, {experiments._cpu_name()})"
    noisy = zoo.load("mnist-gaussian-0.25", models_dir=models_dir)
    x = torch.rand(2, 1, 28, 28)
    assert not torch.equal(noisy(x), noisy(x)), "the shipped noise model keeps its noise at inference"


def test_cpu_name_is_the_model_name_of_proc_cpuinfo(tmp_path, monkeypatch):
    """Timings are reported with the machine: the label names the CPU, not just "x86_64"."""
    import pathlib

    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD  EPYC 7B13 64-Core\n")
    real_path = pathlib.Path
    monkeypatch.setattr(runs, "Path", lambda p: cpuinfo if p == "/proc/cpuinfo" else real_path(p))
    assert runs._cpu_name() == "AMD EPYC 7B13 64-Core"
    monkeypatch.setattr(runs, "Path", lambda p: tmp_path / "missing")
    assert runs._cpu_name()  # falls back to the architecture


def test_evaluate_writes_the_talks_table_and_curves(trained):
    _, results_dir, common = trained
    assert (
        experiments.main(
            ["evaluate", "--name", "mnist-standard", "--curve-examples", "20", "--curve-steps", "3", *common]
        )
        == 0
    )
    table = results.read("robustness", "mnist-standard", results_dir)
    assert set(table["table"]) >= {"natural", "pgd", "cw"}
    assert table["table"]["pgd"] <= table["table"]["natural"]
    curves = results.read("attacks", "mnist-standard", results_dir)["curves"]
    assert curves["pgd_linf"]["accuracy"][0] >= curves["pgd_linf"]["accuracy"][-1]


def test_certify_then_tradeoff(trained):
    _, results_dir, common = trained
    assert (
        experiments.main(
            [
                "certify",
                "--name",
                "mnist-gaussian-0.25",
                "--n0",
                "10",
                "--n",
                "100",
                "--every",
                "10",
                "--limit",
                "6",
                "--batch-size",
                "50",
                *common,
            ]
        )
        == 0
    )
    shipped = results.read("certify", "mnist-gaussian-0.25", results_dir)
    assert shipped["examples"] == 6 and shipped["n"] == 100
    curve = shipped["certified_accuracy"]
    assert all(a >= b for a, b in zip(curve, curve[1:])), "certified accuracy falls as r grows"
    assert experiments.main(["tradeoff", "--dataset", "mnist", "--results-dir", str(results_dir)]) == 0
    assert results.read("tradeoff", "mnist", results_dir)["rows"][0]["model"] == "mnist-gaussian-0.25"


def test_certify_resumes_an_interrupted_run_with_the_same_rows(trained, capsys):
    """A run stopped after some rows resumes from its checkpoint: the rows it reuses and the rows
    it computes equal those of one uninterrupted run, and other settings are refused."""
    _, results_dir, common = trained
    certify = [
        "certify",
        "--name",
        "mnist-gaussian-0.25",
        "--n0",
        "10",
        "--n",
        "60",
        "--every",
        "7",
        "--batch-size",
        "30",
        *common,
    ]
    assert experiments.main([*certify, "--limit", "5", "--overwrite"]) == 0  # replaces the previous test's
    whole = results.read("certify", "mnist-gaussian-0.25", results_dir)["rows"]
    assert experiments.main([*certify, "--limit", "2"]) == 2  # fewer rows would replace the file…
    assert "--overwrite" in capsys.readouterr().err
    assert results.read("certify", "mnist-gaussian-0.25", results_dir)["rows"] == whole
    assert experiments.main([*certify, "--limit", "2", "--overwrite"]) == 0  # …only when asked
    checkpoint = results_dir / ".certify_mnist-gaussian-0.25.partial.jsonl"
    assert not checkpoint.exists(), "a finished run removes its checkpoint"
    # Simulate a run killed after 2 rows, with a torn third line.
    first_two = results.read("certify", "mnist-gaussian-0.25", results_dir)["rows"]
    settings = {
        "model_sha256": zoo.entry("mnist-gaussian-0.25", common[3])["sha256"],
        "n0": 10,
        "n": 60,
        "alpha": 0.001,
        "every": 7,
        "seed": 0,
        "noise_chunk": 1000,
        "generator": "cpu",
        "fp32_kernels": "ieee",
    }
    checkpoint.write_text(
        "\n".join(json.dumps(row) for row in (settings, *first_two)) + '\n{"index": 2, "lab'
    )
    capsys.readouterr()
    resume_in_other_batches = [*certify[: -len(common)], "--batch-size", "7", *common]
    assert experiments.main([*resume_in_other_batches, "--limit", "5", "--resume"]) == 0
    assert "resuming: 2/5" in capsys.readouterr().out
    resumed = results.read("certify", "mnist-gaussian-0.25", results_dir)["rows"]
    drop_time = lambda rows: [{k: v for k, v in row.items() if k != "seconds"} for row in rows]
    assert drop_time(resumed) == drop_time(whole)
    assert resumed[:2] == first_two, "the checkpointed rows are reused, not recomputed"
    checkpoint.write_text(json.dumps({**settings, "n": 999}) + "\n")
    assert experiments.main([*certify, "--limit", "5", "--resume"]) == 2
    assert "other settings" in capsys.readouterr().err
    checkpoint.unlink()


def test_certify_resume_extends_the_shipped_result(trained, capsys):
    """Without a checkpoint, --resume reuses the rows of the shipped file computed with the same
    settings (100 → 500 images without recomputing the first 100); other settings start afresh."""
    _, results_dir, common = trained
    certify = [
        "certify",
        "--name",
        "mnist-gaussian-0.25",
        "--n0",
        "10",
        "--n",
        "60",
        "--every",
        "7",
        "--batch-size",
        "30",
        *common,
    ]
    assert experiments.main([*certify, "--limit", "5", "--overwrite"]) == 0  # replaces the previous test's
    whole = results.read("certify", "mnist-gaussian-0.25", results_dir)
    assert whole["batch_size"] == 30
    assert experiments.main([*certify, "--limit", "3", "--overwrite"]) == 0
    shipped_three = results.read("certify", "mnist-gaussian-0.25", results_dir)["rows"]
    capsys.readouterr()
    assert experiments.main([*certify, "--limit", "5", "--resume"]) == 0
    assert "resuming: 3/5 rows from the shipped result" in capsys.readouterr().out
    extended = results.read("certify", "mnist-gaussian-0.25", results_dir)["rows"]
    assert extended[:3] == shipped_three, "the shipped rows are reused, not recomputed"
    drop_time = lambda rows: [{k: v for k, v in row.items() if k != "seconds"} for row in rows]
    assert drop_time(extended) == drop_time(whole["rows"])
    capsys.readouterr()  # the draws do not depend on the batch size: another one reuses the rows
    assert (
        experiments.main(
            [*certify[: -len(common)], "--batch-size", "20", *common, "--limit", "6", "--resume"]
        )
        == 0
    )
    assert "resuming: 5/6 rows from the shipped result" in capsys.readouterr().out
    assert drop_time(results.read("certify", "mnist-gaussian-0.25", results_dir)["rows"][:5]) == drop_time(
        whole["rows"]
    )


def test_certify_resume_never_reuses_rows_drawn_on_another_device_or_under_tf32(trained, capsys):
    """Rows of a file certified on CUDA (another noise stream) or with cuDNN's TF32 convolutions
    (another classifier) are recomputed, not carried into a CPU run's file."""
    _, results_dir, common = trained
    certify = [
        "certify",
        "--name",
        "mnist-gaussian-0.25",
        "--n0",
        "10",
        "--n",
        "60",
        "--every",
        "7",
        "--batch-size",
        "30",
        *common,
    ]
    assert experiments.main([*certify, "--limit", "3", "--overwrite"]) == 0
    file = results.path("certify", "mnist-gaussian-0.25", results_dir)
    shipped = json.loads(file.read_text())
    assert (shipped["generator"], shipped["fp32_kernels"]) == ("cpu", "ieee")
    for other in ({"generator": "cuda", "fp32_kernels": "ieee"}, {"generator": None, "fp32_kernels": None}):
        # generator None: a file from before these keys, run on the GPU without strict fp32 (TF32).
        marked = {
            **shipped,
            "rows": [{**row, "radius": 9.0} for row in shipped["rows"]],
            **other,
            "device": "cuda (NVIDIA H200)",
            "inference": {**shipped["inference"], "device": "cuda"},
        }
        marked = {key: value for key, value in marked.items() if value is not None}
        assert experiments.drawn_with(marked)["generator"] == "cuda"
        file.write_text(json.dumps(marked))
        capsys.readouterr()
        assert experiments.main([*certify, "--limit", "3", "--resume", "--overwrite"]) == 0
        assert "resuming" not in capsys.readouterr().out
        assert all(
            row["radius"] != 9.0
            for row in results.read("certify", "mnist-gaussian-0.25", results_dir)["rows"]
        )


def test_a_tagged_certify_run_writes_beside_the_main_file(trained, capsys):
    """--tag writes certify_<name>@<tag>.json and its own checkpoint; the main file and the list of
    certified models (tables, pages) are untouched; a bad tag gets one sentence."""
    _, results_dir, common = trained
    certify = [
        "certify",
        "--name",
        "mnist-gaussian-0.25",
        "--n0",
        "10",
        "--every",
        "7",
        "--batch-size",
        "30",
        *common,
    ]
    assert experiments.main([*certify, "--n", "60", "--limit", "2", "--overwrite"]) == 0
    main_file = results.path("certify", "mnist-gaussian-0.25", results_dir).read_text()
    assert experiments.main([*certify, "--n", "90", "--limit", "2", "--tag", "n90"]) == 0
    assert results.read("certify", "mnist-gaussian-0.25@n90", results_dir)["n"] == 90
    assert results.path("certify", "mnist-gaussian-0.25", results_dir).read_text() == main_file
    assert "mnist-gaussian-0.25@n90" not in results.available("certify", results_dir)
    assert results.available("certify", results_dir, tagged=True) == ["mnist-gaussian-0.25@n90"]
    capsys.readouterr()
    assert experiments.main([*certify, "--tag", "../x"]) == 2
    assert "A result tag is" in capsys.readouterr().err
    results.path("certify", "mnist-gaussian-0.25@n90", results_dir).unlink()


def test_certify_generalized_normal_noise_in_l1(trained):
    """Pinot et al.'s generalized normal (β = 1.5) is certified in ℓ1 by the divergence route."""
    from core import noise as noise_module
    from core import smoothing

    models_dir, results_dir, common = trained
    name = "mnist-generalized_normal-0.2909"
    assert experiments.main(["train", "--name", name, "--epochs", "1", *common]) == 0
    assert zoo.noise_record(name, models_dir)["params"] == {"beta": 1.5}
    assert (
        experiments.main(
            [
                "certify",
                "--name",
                name,
                "--n0",
                "10",
                "--n",
                "100",
                "--every",
                "20",
                "--limit",
                "3",
                "--batch-size",
                "50",
                *common,
            ]
        )
        == 0
    )
    shipped = results.read("certify", name, results_dir)
    assert shipped["norm"] == "l1" and len(shipped["rows"]) == 3
    ceiling = smoothing.certify_ceiling(noise_module.make("generalized_normal", 0.2909, beta=1.5), 0.001, 100)
    for row in shipped["rows"]:
        assert (row["radius"] > 0) == (row["predict"] != smoothing.ABSTAIN) and row[
            "radius"
        ] <= ceiling + 1e-9


def test_certify_refuses_a_model_without_noise(trained, capsys):
    _, _, common = trained
    assert experiments.main(["certify", "--name", "mnist-standard", "--n", "10", *common]) == 2
    assert "no noise" in capsys.readouterr().err


def test_missing_data_gives_one_sentence(tmp_path, capsys):
    code = experiments.main(
        [
            "train",
            "--name",
            "mnist-standard",
            "--data-dir",
            str(tmp_path),
            "--root",
            str(tmp_path),
            "--models-dir",
            str(tmp_path),
        ]
    )
    assert code == 2
    assert "error:" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv,sentence",
    [
        (
            ["certify", "--name", "mnist-gaussian-0.25", "--limit", "-3"],
            "--limit must be a positive whole number",
        ),
        (
            ["certify", "--name", "mnist-gaussian-0.25", "--alpha", "1.5"],
            "--alpha must lie strictly between 0 and 1",
        ),
        (["certify", "--name", "mnist-gaussian-0.25", "--n", "0"], "--n must be a positive whole number"),
        (["evaluate", "--name", "mnist-standard", "--device", "gpu7"], "Unknown device 'gpu7'"),
        (["evaluate", "--name", "mnist-standard", "--eps", "-0.1"], "--eps must be a positive number"),
        (["train", "--name", "mnist-standard", "--seed", "-1"], "--seed must be a non-negative whole number"),
    ],
)
def test_bad_cli_arguments_are_one_sentence_before_anything_is_written(tmp_path, capsys, argv, sentence):
    code = experiments.main([*argv, "--results-dir", str(tmp_path), "--models-dir", str(tmp_path)])
    error = capsys.readouterr().err
    assert code == 2 and sentence in error and "Traceback" not in error
    assert list(tmp_path.iterdir()) == []


def test_a_rerun_without_resume_keeps_the_interrupted_runs_rows(tmp_path, capsys):
    checkpoint = tmp_path / ".certify_mnist-gaussian-0.25.partial.jsonl"
    checkpoint.write_text('{"n": 10}\n{"index": 0}\n')
    code = experiments.main(
        [
            "certify",
            "--name",
            "mnist-gaussian-0.25",
            "--results-dir",
            str(tmp_path),
            "--data-dir",
            str(tmp_path),
        ]
    )
    assert code == 2 and "--resume" in capsys.readouterr().err
    assert checkpoint.read_text() == '{"n": 10}\n{"index": 0}\n'


def test_a_recipe_study_trains_on_the_rest_and_measures_on_the_held_out_images(tiny_data, tmp_path, capsys):
    study = tmp_path / "study"
    common = ["--data-dir", str(tiny_data), "--device", "cpu"]
    assert (
        experiments.main(
            [
                "train",
                "--name",
                "mnist-standard",
                "--epochs",
                "1",
                "--holdout",
                "50",
                "--recipe",
                '{"architecture": {"width": 4}, "lr": 0.05}',
                "--models-dir",
                str(study),
                *common,
            ]
        )
        == 0
    )
    entry = zoo.entry("mnist-standard", study)
    assert entry["train_examples"] == 250 and entry["test_examples"] == 50
    assert "held out" in entry["evaluated_on"]
    assert entry["architecture"]["width"] == 4 and entry["recipe"]["lr"] == 0.05
    assert entry["architecture"]["kind"] == "mnist_cnn", "a nested override keeps the keys it does not name"
    assert "--holdout 50" in entry["command"] and "--recipe" in entry["command"]
    capsys.readouterr()
    # Refused in one sentence each: a study into the shipped zoo, a bad override, a holdout too large.
    for argv, words in (
        (["--holdout", "50"], "not a shipped model"),
        (["--holdout", "300", "--models-dir", str(study)], "--holdout must be between"),
        (["--recipe", "[1]", "--models-dir", str(study)], "JSON object"),
        (["--recipe", '{"noise": null}', "--models-dir", str(study)], "cannot set noise"),
        (["--recipe", '{"epochs": "12"}', "--models-dir", str(study)], "whole number"),
        (["--recipe", '{"lr": -1}', "--models-dir", str(study)], "lr must be a number > 0"),
        (
            ["--recipe", '{"architecture": {"blocks": [3, 3, 3]}}', "--models-dir", str(study)],
            "does not build and run on mnist",
        ),
        (
            ["--recipe", '{"architecture": {"kind": "cifar_resnet"}}', "--models-dir", str(study)],
            "not one for mnist",
        ),
    ):
        assert experiments.main(["train", "--name", "mnist-standard", "--epochs", "1", *argv, *common]) != 0
        err = capsys.readouterr().err
        assert words in err and "Traceback" not in err, (argv, err)


def test_default_checkpoints_are_kept_apart_per_command():
    parser = experiments.make_parser()

    def folder(*argv):
        args = parser.parse_args(list(argv))
        return runs._checkpointing(
            args.name, list(argv), resume=args.resume, checkpoint_dir=args.checkpoint_dir
        )["checkpoint_dir"]

    shipping = folder("train", "--name", "mnist-standard", "--resume")
    assert shipping.name.startswith("mnist-standard-")
    assert folder("train", "--name", "mnist-standard", "--resume") == shipping, (
        "the same command resumes its own"
    )
    assert (
        folder("train", "--name", "mnist-standard", "--resume", "--holdout", "50", "--models-dir", "x")
        != shipping
    )
    assert folder("train", "--name", "mnist-standard", "--resume", "--seed", "1") != shipping
    assert folder("train", "--name", "mnist-standard", "--checkpoint-dir", "mine") == runs.Path("mine")


@pytest.mark.parametrize(
    "extra,sentence",
    [
        (["--every", str(10**18)], "--every 1000000000000000000 is beyond what a run can use"),
        (["--n", str(10**12)], "--n 1000000000000 is beyond what a run can use"),
        (["--batch-size", str(10**9)], "--batch-size 1000000000 is beyond what a run can use"),
        (["--batch-size", "9000000"], "GiB of noisy copies at once"),
        (["--tag", "../up"], "A result tag is"),
    ],
)
def test_certify_counts_beyond_any_run_are_one_sentence_and_leave_no_file(trained, capsys, extra, sentence):
    _, results_dir, common = trained
    before = sorted(path.name for path in results_dir.iterdir())
    assert (
        experiments.main(
            ["certify", "--name", "mnist-gaussian-0.25", "--limit", "1", "--overwrite", *common, *extra]
        )
        == 2
    )
    error = capsys.readouterr().err
    assert sentence in error and "Traceback" not in error and len(error.strip().splitlines()) == 1
    assert sorted(path.name for path in results_dir.iterdir()) == before  # no stale checkpoint


def test_certify_refuses_a_name_that_leaves_the_results_folder(trained, capsys):
    _, results_dir, common = trained
    assert experiments.main(["certify", "--name", "../../escaped", *common]) == 2
    assert "is not a model name" in capsys.readouterr().err
    assert not list(results_dir.parent.parent.glob("*escaped*")) and not list(
        results_dir.parent.glob("*escaped*")
    )


def test_a_data_folder_without_the_split_or_with_no_images_is_named(tmp_path, capsys, trained):
    import numpy as np

    _, _, common = trained
    rest = common[2:]  # common starts with --data-dir and its folder
    empty = tmp_path / "empty"
    empty.mkdir()
    assert (
        experiments.main(["certify", "--name", "mnist-gaussian-0.25", "--data-dir", str(empty), *rest]) == 2
    )
    assert f"not found in {empty}" in capsys.readouterr().err
    np.savez(empty / "mnist_test.npz", x=np.zeros((0, 28, 28), np.uint8), y=np.zeros(0, np.uint8))
    assert (
        experiments.main(["certify", "--name", "mnist-gaussian-0.25", "--data-dir", str(empty), *rest]) == 2
    )
    assert "holds no images" in capsys.readouterr().err


def test_the_library_runs_write_what_the_cli_writes(trained, tmp_path):
    """core.runs.certify with keywords gives the CLI's rows; without argv its file records the equivalent
    command, which the CLI runs to the same rows; the CLI records its arguments exactly as typed."""
    models_dir, _, common = trained
    folders = {"data_dir": common[1], "models_dir": models_dir, "device": "cpu"}
    settings = {"n0": 10, "n": 60, "every": 9, "limit": 3, "batch_size": 30}
    library = runs.certify("mnist-gaussian-0.25", results_dir=tmp_path / "library", **folders, **settings)
    recorded = results.read("certify", "mnist-gaussian-0.25", tmp_path / "library")
    assert recorded["rows"] == library["rows"]
    assert recorded["command"] == runs.equivalent_command(
        runs.certify, name="mnist-gaussian-0.25", results_dir=tmp_path / "library", **folders, **settings
    )
    argv = recorded["command"].split()[3:]
    assert argv[:3] == ["certify", "--name", "mnist-gaussian-0.25"] and "--batch-size" in argv
    typed = [str(tmp_path / "cli") if item == str(tmp_path / "library") else item for item in argv]
    assert experiments.main(typed) == 0
    cli = results.read("certify", "mnist-gaussian-0.25", tmp_path / "cli")

    def drawn(rows):
        return [{key: value for key, value in row.items() if key != "seconds"} for row in rows]

    assert drawn(cli["rows"]) == drawn(library["rows"])
    assert cli["command"] == "python -m core.experiments " + " ".join(typed)
    assert runs.tradeoff("mnist", results_dir=tmp_path / "cli")["rows"][0]["model"] == "mnist-gaussian-0.25"
    assert results.read("tradeoff", "mnist", tmp_path / "cli")["command"] == (
        f"python -m core.experiments tradeoff --dataset mnist --results-dir {tmp_path / 'cli'}"
    )


@pytest.mark.parametrize(
    "command,required",
    [
        ("train", ["--name", "mnist-standard"]),
        ("evaluate", ["--name", "mnist-standard"]),
        ("certify", ["--name", "mnist-gaussian-0.25"]),
        ("tradeoff", ["--dataset", "mnist"]),
        ("talk-table", ["--dataset", "mnist"]),
    ],
)
def test_every_keyword_of_a_run_is_an_option_of_its_sub_command(command, required):
    """The CLI hands every parsed option to the core.runs function of the same name: none is left at the
    library's default behind the user's back, and the defaults agree."""
    import inspect

    args = experiments.make_parser().parse_args([command, *required])
    run = args.handler.run
    assert run is getattr(runs, command.replace("-", "_"))
    for key, parameter in inspect.signature(run).parameters.items():
        if key in ("argv", "name", "dataset"):
            continue
        assert hasattr(args, key), f"{command} has no option for {run.__name__}'s {key}"
        assert str(getattr(args, key)) == str(parameter.default), (command, key)


def test_the_cli_module_stays_a_thin_command_line():
    """Issue 22: algorithms live in core.runs / core.recipes / core.report; core/experiments.py parses and
    checks."""
    from pathlib import Path

    assert len(Path(experiments.__file__).read_text().splitlines()) <= 300


def test_no_ui_module_builds_an_argv_for_core_experiments():
    """The dashboard calls the library (core.runs) with keywords, never the command line: no ui module imports
    core.experiments, and none puts "core.experiments" into a list or tuple (an argv for a subprocess)."""
    import ast
    from pathlib import Path

    ui = Path(__file__).resolve().parents[2] / "ui"
    offenders = []
    for path in sorted(ui.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                offenders += [
                    f"{path.name}: import {a.name}" for a in node.names if a.name == "core.experiments"
                ]
            elif isinstance(node, ast.ImportFrom):
                names = [a.name for a in node.names]
                if node.module == "core.experiments" or (node.module == "core" and "experiments" in names):
                    offenders.append(f"{path.name}: from {node.module} import {', '.join(names)}")
            elif isinstance(node, (ast.List, ast.Tuple)):
                if any(isinstance(e, ast.Constant) and e.value == "core.experiments" for e in node.elts):
                    offenders.append(f"{path.name}:{node.lineno}: an argv naming core.experiments")
    assert not offenders
