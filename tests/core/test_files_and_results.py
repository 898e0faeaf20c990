"""Nothing lost: atomic writes, and shipped result files checked against their schema on read."""

import json
import os
import signal
import subprocess
import sys

import pytest

from core import results
from core.files import write_atomic


def test_a_writer_killed_mid_write_leaves_the_previous_file_intact(tmp_path):
    target = tmp_path / "result.json"
    write_atomic(target, '{"old": true}\n')
    # A child process writes 200 MB through write_atomic and is killed with SIGKILL meanwhile.
    child = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from core.files import write_atomic; big = 'x' * 400_000_000; print('ready', flush=True); "
            f"write_atomic({str(target)!r}, big)",
        ],
        cwd=os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
        stdout=subprocess.PIPE,
    )
    assert child.stdout.readline().strip() == b"ready"
    child.send_signal(signal.SIGKILL)  # while it encodes and writes 400 MB
    child.wait()
    content = target.read_text()
    assert content == '{"old": true}\n'


def _write(tmp_path, kind, subject, payload):
    (tmp_path / f"{kind}_{subject}.json").write_text(json.dumps(payload))


@pytest.mark.parametrize(
    "payload,sentence",
    [
        ("not json {", "is not valid JSON"),
        ([1, 2], "does not hold a result"),
        (
            {
                "command": "c",
                "model": "m",
                "dataset": "mnist",
                "radii": [0, 1],
                "certified_accuracy": [1.0],
                "rows": [],
                "n": 10,
                "alpha": 0.001,
            },
            "has 2 radii but 1 accuracies",
        ),
        (
            {
                "command": "c",
                "model": "m",
                "dataset": "mnist",
                "radii": [0],
                "certified_accuracy": [1.0],
                "n": 10,
                "alpha": 0.001,
            },
            "lacks a valid 'rows'",
        ),
        (
            {
                "command": "c",
                "model": "m",
                "dataset": "mnist",
                "radii": [0],
                "certified_accuracy": ["a"],
                "rows": [],
                "n": 10,
                "alpha": 0.001,
            },
            "an accuracy that is not a number",
        ),
        (
            {
                "command": "c",
                "model": "m",
                "dataset": "mnist",
                "radii": [0],
                "certified_accuracy": [1.0],
                "rows": ["row"],
                "n": 10,
                "alpha": 0.001,
            },
            "malformed row 1",
        ),
        (
            {
                "command": "c",
                "model": "m",
                "dataset": "mnist",
                "radii": [0],
                "certified_accuracy": [1.0],
                "rows": [{"index": 0, "label": 1, "predict": 1, "radius": "0.3", "correct": 1}],
                "n": 10,
                "alpha": 0.001,
            },
            "malformed row 1",
        ),
    ],
)
def test_broken_certify_files_give_one_sentence_with_the_command(tmp_path, payload, sentence):
    if isinstance(payload, str):
        (tmp_path / "certify_m.json").write_text(payload)
    else:
        _write(tmp_path, "certify", "m", payload)
    with pytest.raises(results.ResultsUnavailable, match=sentence) as caught:
        results.read("certify", "m", tmp_path)
    assert "python -m core.experiments certify --name m" in str(caught.value)


def test_every_shipped_result_passes_its_schema():
    for kind in results.KINDS:
        for subject in results.available(kind):
            assert results.read(kind, subject)["command"].startswith("python -m core.experiments")


def test_atomic_files_get_the_permissions_a_plain_write_would(tmp_path):
    fresh = write_atomic(tmp_path / "fresh.json", "{}")
    plain = tmp_path / "plain.json"
    plain.write_text("{}")
    assert fresh.stat().st_mode & 0o777 == plain.stat().st_mode & 0o777
    plain.chmod(0o640)
    assert write_atomic(plain, "[]").stat().st_mode & 0o777 == 0o640


@pytest.mark.timeout(60)
@pytest.mark.parametrize("kind", ["link to /dev/zero", "fifo"])
def test_a_result_file_that_is_not_a_regular_file_is_one_sentence_at_once(tmp_path, kind):
    import os

    file = results.path("certify", "mnist-gaussian-0.25", tmp_path)
    if kind == "fifo":
        os.mkfifo(file)
    else:
        file.symlink_to("/dev/zero")
    with pytest.raises(
        results.ResultsUnavailable, match="not a regular file.*python -m core.experiments certify"
    ):
        results.read("certify", "mnist-gaussian-0.25", tmp_path)


@pytest.mark.parametrize("subject", ["../../x", "a/b", "x@y@z", ".."])
def test_result_subjects_cannot_leave_the_results_folder(tmp_path, subject):
    with pytest.raises(ValueError, match="cannot name a result file"):
        results.path("certify", subject, tmp_path)


@pytest.mark.parametrize(
    "rows",
    [
        [{"model": "m"}],
        ["x"],
        [{"model": "m", "radii": [0], "certified_accuracy": ["a"]}],
        [{"model": "m", "radii": [0, 1], "certified_accuracy": [0.5]}],
    ],
)
def test_tradeoff_rows_of_the_wrong_type_are_one_sentence(tmp_path, rows):
    _write(tmp_path, "tradeoff", "mnist", {"command": "c", "dataset": "mnist", "rows": rows})
    with pytest.raises(
        results.ResultsUnavailable, match="malformed row 1.*python -m core.experiments tradeoff"
    ):
        results.read("tradeoff", "mnist", tmp_path)


def test_tradeoff_refuses_a_certify_file_with_a_string_accuracy(tmp_path, capsys):
    """It used to copy 'a' into the trade-off table and exit 0."""
    from core import experiments

    _write(
        tmp_path,
        "certify",
        "mnist-gaussian-0.25",
        {
            "command": "c",
            "model": "mnist-gaussian-0.25",
            "dataset": "mnist",
            "radii": [0.0],
            "noise": {},
            "norm": "l2",
            "certified_accuracy": ["a"],
            "rows": [],
            "n": 10,
            "alpha": 0.001,
            "examples": 0,
        },
    )
    assert experiments.main(["tradeoff", "--dataset", "mnist", "--results-dir", str(tmp_path)]) == 2
    assert "not a number" in capsys.readouterr().err
    assert not (tmp_path / "tradeoff_mnist.json").exists()
