"""core.runs.recertify_at_ceiling: the rows of a certify file whose radius its n capped, certified again with
more draws on the same stream; the other rows as the file holds them."""

import json

import pytest

from core import evaluation, runs, smoothing, zoo
from core import noise as noises
from tests.core.fake_mnist import write_mnist_npz

NAME = "mnist-gaussian-0.25"


def _certify_file(folder, data_dir, *, n0=10, n=30, images=4) -> dict:
    """A certify file of NAME on the fake test set, rows from core.evaluation.certify_dataset as runs.certify
    writes them; the last row is marked wrong so that it is never recertified."""
    from core import data

    x, y = data.load_dataset("mnist", "test", data_dir=data_dir, limit=images)
    noise = noises.make("gaussian", 0.25)
    rows = evaluation.certify_dataset(
        zoo.shared_base(NAME), x, y, noise=noise, n0=n0, n=n, alpha=0.001, batch_size=64, seed=0
    )
    rows[-1] = {**rows[-1], "correct": False}
    record = {
        "command": "python -m core.experiments certify --name " + NAME,
        "model": NAME,
        "model_sha256": zoo.entry(NAME)["sha256"],
        "dataset": "mnist",
        "noise": {"name": "gaussian", "scale": 0.25, "layer": 0},
        "n0": n0,
        "n": n,
        "alpha": 0.001,
        "every": 1,
        "seed": 0,
        "radii": [0.0],
        "certified_accuracy": [0.5],
        "rows": rows,
    }
    (folder / f"certify_{NAME}.json").write_text(json.dumps(record))
    return record


def test_rows_at_the_ceiling_are_certified_again_with_more_draws(tmp_path):
    data_dir = write_mnist_npz(tmp_path, train=2, test=6)
    record = _certify_file(tmp_path, data_dir)
    ceiling = smoothing.certify_ceiling(noises.make("gaussian", 0.25), 0.001, record["n"])
    capped = [row["correct"] and row["radius"] >= ceiling - 1e-9 for row in record["rows"]]
    assert any(capped) and not capped[-1]
    result = runs.recertify_at_ceiling(
        NAME, n=200, data_dir=data_dir, results_dir=tmp_path, log=lambda _: None
    )
    assert result["record"] == record and result["n"] == [200 if c else 30 for c in capped]
    from core import data

    x, y = data.load_dataset("mnist", "test", data_dir=data_dir, limit=len(capped))
    for k, row in enumerate(result["rows"]):
        if not capped[k]:
            assert row == record["rows"][k]  # kept as the file holds it
            continue
        image, label, noise = x[k : k + 1], y[k : k + 1], noises.make("gaussian", 0.25)
        options = {"n0": 10, "n": 200, "alpha": 0.001, "batch_size": 1000, "seed": 0, "indices": [k]}
        again = evaluation.certify_dataset(zoo.shared_base(NAME), image, label, noise=noise, **options)[0]
        assert {key: row[key] for key in ("index", "predict", "radius", "correct")} == {
            key: again[key] for key in ("index", "predict", "radius", "correct")
        }  # exact: the same stream (seed + index) and draws
        assert row["radius"] > ceiling  # the larger n lifts the cap
    limited = runs.recertify_at_ceiling(
        NAME, n=200, limit=2, data_dir=data_dir, results_dir=tmp_path, log=lambda _: None
    )
    assert [row["index"] for row in limited["rows"]] == [0, 1]


def test_a_file_of_other_weights_is_refused(tmp_path):
    data_dir = write_mnist_npz(tmp_path, train=2, test=3)
    record = _certify_file(tmp_path, data_dir, images=2)
    (tmp_path / f"certify_{NAME}.json").write_text(json.dumps({**record, "model_sha256": "0" * 64}))
    with pytest.raises(ValueError, match="other weights"):
        runs.recertify_at_ceiling(NAME, n=100, data_dir=data_dir, results_dir=tmp_path)
