"""evaluate at scale: every row depends only on (seed, image index), so the batch size and the number of
torch.distributed ranks never change the result file. Tiny models only: no real data."""

import pytest
import torch
from torch import nn

from core import evaluation, experiments, results
from core.noise import make as make_noise
from tests.core.test_certify_at_scale import _torchrun, tiny_zoo  # noqa: F401  (tiny_zoo is a pytest fixture)


def tiny_models():
    """A deterministic 3×8×8 → 4-class MLP and the same MLP behind Gaussian input noise."""
    generator = torch.Generator().manual_seed(0)
    base = nn.Sequential(nn.Flatten(), nn.Linear(3 * 8 * 8, 16), nn.ReLU(), nn.Linear(16, 4))
    with torch.no_grad():
        for parameter in base.parameters():
            parameter.copy_(torch.randn(parameter.shape, generator=generator) * 0.3)
    noisy = nn.Sequential(
        evaluation.StreamNoise(make_noise("gaussian", 0.3), torch.Generator().manual_seed(1)), base
    )
    return {"deterministic": base.eval(), "randomized": noisy.eval()}


def images(n=7):
    generator = torch.Generator().manual_seed(2)
    return torch.rand(n, 3, 8, 8, generator=generator), torch.randint(0, 4, (n,), generator=generator)


@pytest.mark.parametrize("kind", ["deterministic", "randomized"])
def test_table_rows_do_not_depend_on_the_batch_size_or_on_the_other_images(kind):
    model, (x, y) = tiny_models()[kind], images()
    options = dict(eps=0.1, pgd_steps=3, cw_steps=3, eot=2, votes=5, seed=4)
    tables = {
        batch: evaluation.robustness_table(model, x, y, batch_size=batch, **options) for batch in (256, 3, 1)
    }
    assert tables[256]["rows"] == tables[3]["rows"] == tables[1]["rows"]
    assert {tables[256][c] for c in ("natural", "pgd", "cw")} != {1.0}, "the attacks break some rows"
    # Rows 4 and 5 recomputed alone (their indices given) are the rows of the whole run.
    alone = evaluation.robustness_table(model, x[4:6], y[4:6], indices=[4, 5], **options)
    assert alone["rows"] == tables[256]["rows"][4:6]
    if kind == "randomized":
        other = evaluation.robustness_table(model, x, y, **{**options, "seed": 5})
        assert other["rows"] != tables[256]["rows"], "the seed drives the votes"


@pytest.mark.parametrize("kind", ["deterministic", "randomized"])
@pytest.mark.parametrize(
    "attack,budgets,options",
    [
        ("pgd_linf", [0, 0.05, 0.2], {"steps": 3, "restarts": 2}),
        ("pgd_l2", [0, 0.5, 2.0], {"steps": 3}),
        ("cw_l2", [0, 0.5, 2.0], {"steps": 5, "binary_search_steps": 2}),
    ],
)
def test_curves_do_not_depend_on_the_batch_size(kind, attack, budgets, options):
    model, (x, y) = tiny_models()[kind], images()
    curves = [
        evaluation.accuracy_under_attack(
            model, x, y, attack=attack, budgets=budgets, batch_size=batch, seed=3, **options
        )
        for batch in (256, 2)
    ]
    assert curves[0] == curves[1]


def _evaluate_argv(tiny_zoo, results_dir, *extra):  # noqa: F811
    folder, models_dir = tiny_zoo
    return [
        "evaluate",
        "--name",
        "mnist-gaussian-0.25",
        "--test-limit",
        "10",
        "--eot",
        "2",
        "--curve-examples",
        "3",
        "--curve-steps",
        "2",
        "--data-dir",
        str(folder),
        "--models-dir",
        str(models_dir),
        "--results-dir",
        str(results_dir),
        "--device",
        "cpu",
        *extra,
    ]


def _comparable(record: dict) -> dict:
    """A result file without what depends on the machine, the moment and the run's layout."""
    volatile = ("seconds", "device", "computed_on", "world_size", "batch_size", "command")
    return {k: v for k, v in record.items() if k not in volatile}


def test_two_torchrun_ranks_write_the_files_of_one_process(tiny_zoo, tmp_path):  # noqa: F811
    single, sharded = tmp_path / "single", tmp_path / "sharded"
    assert experiments.main(_evaluate_argv(tiny_zoo, single, "--batch-size", "256")) == 0
    run = _torchrun(_evaluate_argv(tiny_zoo, sharded, "--batch-size", "3"))  # 4 batches over 2 ranks
    assert run.returncode == 0, run.stderr[-3000:]
    for kind in ("robustness", "attacks"):
        one, two = (results.read(kind, "mnist-gaussian-0.25", folder) for folder in (single, sharded))
        assert _comparable(two) == _comparable(one), kind
    one, two = (results.read("robustness", "mnist-gaussian-0.25", folder) for folder in (single, sharded))
    assert two["world_size"] == 2 and one["world_size"] == 1
    assert [row["index"] for row in two["table"]["rows"]] == list(range(10))
    assert two["command"].startswith("python -m core.experiments evaluate --name mnist-gaussian-0.25")
    assert run.stdout.count("[mnist-gaussian-0.25] [") == 4, "one progress bar, on rank 0: one line per batch"
