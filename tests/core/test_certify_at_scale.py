"""CERTIFY at scale: draws independent of the evaluation batch, the calibrated inference path,
and the CLI run by torch.distributed. Tiny models only: no real data."""

import time

import pytest
import torch
from torch import nn

from core import evaluation, smoothing
from core import noise as noise_module
from core.device import make_generator


def tiny_cnn(seed: int = 0) -> nn.Module:
    """A 3×8×8 → 4-class conv net with batch norm (random weights, fixed by ``seed``)."""
    generator = torch.Generator().manual_seed(seed)
    model = nn.Sequential(
        nn.Conv2d(3, 6, 3, padding=1, bias=False),
        nn.BatchNorm2d(6),
        nn.ReLU(),
        nn.Conv2d(6, 8, 3, padding=1),
        nn.BatchNorm2d(8),
        nn.ReLU(),
        nn.AdaptiveMaxPool2d(1),
        nn.Flatten(),
        nn.Linear(8, 4),
    )
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.copy_(torch.randn(parameter.shape, generator=generator) * 0.5)
        for module in model.modules():
            if isinstance(module, nn.BatchNorm2d):
                module.running_mean.copy_(torch.randn(module.running_mean.shape, generator=generator) * 0.1)
                module.running_var.copy_(torch.rand(module.running_var.shape, generator=generator) + 0.5)
    return model.eval()


@pytest.mark.parametrize("name,scale", [("gaussian", 0.3), ("laplace", 0.2), ("uniform", 0.4)])
def test_counts_do_not_depend_on_the_batch_size(name, scale):
    """The noise is drawn NOISE_CHUNK copies at a time whatever the evaluation batch, so every batch
    size (smaller, larger, not dividing the chunk) gives the same counts, for one point and for many."""
    model, noise = tiny_cnn(), noise_module.make(name, scale)
    xs = torch.rand(3, 3, 8, 8, generator=torch.Generator().manual_seed(1))
    num = 2 * smoothing.NOISE_CHUNK + 345  # spans chunks, ends mid-chunk
    counts = {
        batch: smoothing.sample_counts_many(
            model, xs, noise=noise, num=num, batch_size=batch, generator=make_generator(7)
        )
        for batch in (1000, 256, 4096, 999)
    }
    reference = counts[1000]
    assert int(reference.sum()) == 3 * num and (reference > 0).sum() > 3, "several classes get votes"
    for batch, value in counts.items():
        assert torch.equal(value, reference), f"batch size {batch} changed the counts"
    one = smoothing.sample_counts(
        model, xs[0], noise=noise, num=num, batch_size=123, generator=make_generator(7)
    )
    alone = smoothing.sample_counts(
        model, xs[0], noise=noise, num=num, batch_size=4096, generator=make_generator(7)
    )
    assert torch.equal(one, alone)
    assert not torch.equal(
        reference,
        smoothing.sample_counts_many(
            model, xs, noise=noise, num=num, batch_size=1000, generator=make_generator(8)
        ),
    ), "the seed matters"


def test_certify_rows_do_not_depend_on_the_batch_size():
    model, noise = tiny_cnn(), noise_module.make("gaussian", 0.3)
    x = torch.rand(4, 3, 8, 8, generator=torch.Generator().manual_seed(2))
    y = torch.tensor([0, 1, 2, 3])
    strip = lambda rows: [{k: v for k, v in row.items() if k != "seconds"} for row in rows]
    rows = [
        strip(
            evaluation.certify_dataset(
                model, x, y, noise=noise, n0=50, n=1500, alpha=0.01, batch_size=batch, seed=3
            )
        )
        for batch in (1000, 64, 3000)
    ]
    assert rows[0] == rows[1] == rows[2]


# ---------------------------------------------------------------------------- the inference plan
from core import inference  # noqa: E402


def test_calibration_keeps_the_argmax_and_never_modifies_the_model():
    model, noise = tiny_cnn(), noise_module.make("gaussian", 0.3)
    before = {name: tensor.clone() for name, tensor in model.state_dict().items()}
    plan = inference.calibrate(model, torch.rand(3, 8, 8), noise=noise, batch_sizes=(64, 128), rounds=1)
    assert plan.precision == "fp32" and plan.batch_size in (64, 128) and plan.samples_per_second > 0
    labels = {label for label, _, _ in plan.measured}
    assert {"fp32, NCHW", "fp32, NHWC", "fp32, NHWC, frozen graph"} <= labels, (
        "formats and graphs were measured"
    )
    assert all(torch.equal(before[name], tensor) for name, tensor in model.state_dict().items())
    assert next(model.parameters()).is_contiguous()
    for fold, graph in ((False, "eager"), (True, "eager"), (False, "frozen")):
        for memory_format in inference.MEMORY_FORMATS:
            fast = inference.prepare(
                model, inference.InferencePlan(memory_format=memory_format, fold_batchnorm=fold, graph=graph)
            )
            # A frozen graph is traced on its first batch; later batches of other sizes must run it too.
            for size in (200, 7, 1):
                x = torch.rand(size, 3, 8, 8, generator=torch.Generator().manual_seed(4))
                with torch.no_grad():
                    torch.testing.assert_close(fast(x), model(x), rtol=1e-4, atol=1e-5)
    assert inference.InferencePlan.from_record(plan.record()) == plan
    assert inference.InferencePlan.from_record(None) == inference.InferencePlan()


def test_the_calibrated_path_counts_what_the_plain_model_counts():
    model, noise = tiny_cnn(), noise_module.make("gaussian", 0.3)
    x = torch.rand(3, 8, 8, generator=torch.Generator().manual_seed(5))
    plain = smoothing.sample_counts(
        model, x, noise=noise, num=2500, batch_size=1000, generator=make_generator(9)
    )
    for plan in (
        inference.InferencePlan(memory_format="channels_last", fold_batchnorm=True, batch_size=300),
        inference.InferencePlan(memory_format="channels_last", graph="frozen", batch_size=300),
    ):
        fast = smoothing.sample_counts(
            inference.prepare(model, plan),
            x,
            noise=noise,
            num=2500,
            batch_size=300,
            generator=make_generator(9),
        )
        assert torch.equal(fast, plain), plan.label


def test_a_model_that_draws_its_own_noise_is_never_frozen():
    from core.models import inject_noise, mnist_cnn

    noisy = inject_noise(mnist_cnn(width=4), 0, noise_module.make("gaussian", 0.3))
    assert not inference.can_freeze(noisy) and inference.can_freeze(tiny_cnn())
    with pytest.raises(ValueError, match="frozen graph"):
        inference.prepare(noisy, inference.InferencePlan(graph="frozen"))
    with pytest.raises(ValueError, match="fp32 only"):
        inference.PreparedModel(tiny_cnn(), inference.InferencePlan(graph="frozen", precision="bf16"))
    with pytest.raises(ValueError, match="Unknown graph"):
        inference.prepare(tiny_cnn(), inference.InferencePlan(graph="compiled"))


def test_bf16_is_refused_in_one_sentence_where_the_hardware_lacks_it():
    with pytest.raises(ValueError, match="precision"):
        inference.check_precision("fp16")
    if inference.native_bf16("cpu"):
        assert inference.check_precision("bf16") == "bf16"
    else:
        with pytest.raises(ValueError, match="no native bfloat16"):
            inference.check_precision("bf16")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a GPU")
def test_gpu_counts_do_not_depend_on_the_batch_size_and_bf16_runs_there():
    model, noise = tiny_cnn().cuda(), noise_module.make("gaussian", 0.3)
    xs = torch.rand(2, 3, 8, 8, device="cuda")
    counts = [
        smoothing.sample_counts_many(
            model, xs, noise=noise, num=2345, batch_size=batch, generator=make_generator(7, "cuda")
        )
        for batch in (1000, 333, 8000)
    ]
    assert torch.equal(counts[0], counts[1]) and torch.equal(counts[0], counts[2])
    plan = inference.calibrate(model, xs[0], noise=noise, device="cuda", batch_sizes=(1000, 4000), rounds=1)
    assert plan.device.startswith("cuda") and plan.samples_per_second > 0
    if inference.native_bf16("cuda"):
        half = inference.prepare(model, inference.InferencePlan(precision="bf16"))
        assert half(xs).dtype == torch.float32


# ---------------------------------------------------------------------------- torch.distributed
import json  # noqa: E402
import os  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

from core import experiments, results, zoo  # noqa: E402
from tests.core.fake_mnist import write_mnist_npz  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def tiny_zoo(tmp_path_factory):
    """An MNIST-format folder made from foolbox's 20 offline digits and a 1-epoch mnist-gaussian-0.25."""
    folder = write_mnist_npz(tmp_path_factory.mktemp("npz"), train=200, test=40, seed=0)
    models_dir = tmp_path_factory.mktemp("models")
    assert (
        experiments.main(
            [
                "train",
                "--name",
                "mnist-gaussian-0.25",
                "--epochs",
                "1",
                "--data-dir",
                str(folder),
                "--models-dir",
                str(models_dir),
                "--results-dir",
                str(models_dir),
                "--device",
                "cpu",
            ]
        )
        == 0
    )
    return folder, models_dir


def _certify_argv(tiny_zoo, results_dir, *extra):
    folder, models_dir = tiny_zoo
    return [
        "certify",
        "--name",
        "mnist-gaussian-0.25",
        "--n0",
        "10",
        "--num-samples",
        "1200",
        "--every",
        "3",
        "--limit",
        "5",
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


def _torchrun(argv, ranks=2):
    environment = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "torch.distributed.run",
            "--standalone",
            "--nproc-per-node",
            str(ranks),
            "-m",
            "core.experiments",
            *argv,
        ],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=600,
    )


def _comparable(record: dict) -> dict:
    """A certify file without what depends on the machine and the moment (times, throughput, ranks)."""
    volatile = ("seconds", "inference", "device", "computed_on", "world_size", "batch_size", "command")
    return {
        **{k: v for k, v in record.items() if k not in volatile},
        "rows": [{k: v for k, v in row.items() if k != "seconds"} for row in record["rows"]],
    }


def test_two_torchrun_ranks_write_the_file_of_one_process_and_resume_a_dead_ranks_run(tiny_zoo, tmp_path):
    single, sharded = tmp_path / "single", tmp_path / "sharded"
    assert experiments.main(_certify_argv(tiny_zoo, single, "--batch-size", "500")) == 0
    one = results.read("certify", "mnist-gaussian-0.25", single)
    run = _torchrun(_certify_argv(tiny_zoo, sharded))
    assert run.returncode == 0, run.stderr[-3000:]
    two = results.read("certify", "mnist-gaussian-0.25", sharded)
    assert two["world_size"] == 2 and one["world_size"] == 1
    assert _comparable(two) == _comparable(one)
    assert two["command"].startswith("python -m core.experiments certify --name mnist-gaussian-0.25")
    assert run.stdout.count("[mnist-gaussian-0.25] [") == 5, "one progress bar, on rank 0: one line per image"
    # A run whose ranks died after 2 images left its checkpoint: --resume computes only the rest.
    checkpoint = sharded / ".certify_mnist-gaussian-0.25.partial.jsonl"
    settings = {
        "model_sha256": zoo.entry("mnist-gaussian-0.25", tiny_zoo[1])["sha256"],
        "n0": 10,
        "n": 1200,
        "alpha": 0.001,
        "every": 3,
        "seed": 0,
        "noise_chunk": 1000,
        "precision": "fp32",
        "generator": "cpu",
        "fp32_kernels": "ieee",
    }
    (sharded / "certify_mnist-gaussian-0.25.json").unlink()
    checkpoint.write_text("".join(json.dumps(line) + "\n" for line in (settings, *one["rows"][:2])) + '{"ind')
    run = _torchrun(_certify_argv(tiny_zoo, sharded, "--resume"))
    assert run.returncode == 0, run.stderr[-3000:]
    assert "resuming: 2/5" in run.stdout
    resumed = results.read("certify", "mnist-gaussian-0.25", sharded)
    assert resumed["rows"][:2] == one["rows"][:2], "checkpointed rows are reused"
    assert _comparable(resumed) == _comparable(one)
    assert not checkpoint.exists()


def test_an_interrupted_image_certificate_is_not_cached():
    """p09's Cancel stops certify_image inside its ``progress(done, total)`` (Streamlit raises there):
    nothing is cached, and the next call computes the whole certificate."""
    from core.scenes import certificate as C

    request = dict(model="mnist-gaussian-0.25", index=1, n0=100, n=1000, alpha=0.001, seed=3)
    calls = []

    def interrupt(done, total):
        calls.append((done, total))
        if done > 0.3 * total:
            raise KeyboardInterrupt("cancelled")

    with pytest.raises(KeyboardInterrupt):
        C.certify_image(**request, progress=interrupt)
    assert calls[-1][1] == 100 + 1000 and 0 < calls[-1][0] < 1100  # draws, n₀ + n
    assert not [key for key in C._image_cache if key[1] == 1 and key[3] == 1000 and key[5] == 3]
    whole = C.certify_image(**request)
    assert whole.certificate.n == 1000 and sum(whole.certificate.counts) == 1000


def test_a_frozen_graph_traced_on_a_small_batch_runs_larger_ones():
    model = tiny_cnn()
    fast = inference.prepare(model, inference.InferencePlan(memory_format="channels_last", graph="frozen"))
    for size in (2, 300):  # CERTIFY's first batch is often its small selection batch (n0)
        x = torch.rand(size, 3, 8, 8, generator=torch.Generator().manual_seed(size))
        with torch.no_grad():
            torch.testing.assert_close(fast(x), model(x), rtol=1e-4, atol=1e-5)


def test_calibration_limited_to_eager_graphs_never_traces():
    lines = []
    plan = inference.calibrate(
        tiny_cnn(),
        torch.rand(3, 8, 8),
        noise=noise_module.make("gaussian", 0.3),
        batch_sizes=(32,),
        rounds=1,
        graphs=("eager",),
        log=lines.append,
    )
    assert plan.graph == "eager" and plan.batch_size == 32
    assert {label for label, _, _ in plan.measured} == {
        "fp32, NCHW",
        "fp32, NCHW, BN folded",
        "fp32, NHWC",
        "fp32, NHWC, BN folded",
    }
    for graphs, message in ((("compiled",), "graphs must name"), ((), "graphs must name")):
        with pytest.raises(ValueError, match=message):
            inference.calibrate(
                tiny_cnn(),
                torch.rand(3, 8, 8),
                noise=noise_module.make("gaussian", 0.3),
                batch_sizes=(32,),
                rounds=1,
                graphs=graphs,
            )


class Sleepy(nn.Module):
    """A model that takes ``seconds`` per call, whatever the batch: a candidate of known speed."""

    def __init__(self, seconds):
        super().__init__()
        self.seconds = seconds

    def forward(self, x):
        time.sleep(self.seconds)
        return x.flatten(1)


def test_the_best_batch_sizes_meet_again_and_the_fastest_per_row_wins():
    """A lucky first measurement must not decide: _tournament times the contenders again, side by side."""
    candidates = [
        (inference.InferencePlan(), Sleepy(0.02)),
        (inference.InferencePlan(memory_format="channels_last"), Sleepy(0.002)),
    ]
    batch, lines = torch.zeros(8, 3), []
    assert inference._tournament(candidates, batch, [(0, 8), (1, 8)], log=lines.append) == (1, 8)
    assert inference._tournament(candidates, batch, [(1, 8), (0, 8)]) == (1, 8)
    assert "side by side" in lines[0] and f"{inference.CONFIRM_ROUNDS} rounds" in lines[0]
    # Per row: 4 rows in 0.002 s beat 8 rows in 0.02 s (each key runs as many rows in a round).
    assert inference._tournament(candidates, batch, [(0, 8), (1, 4), (0, 4)]) == (1, 4)


class Branchy(nn.Module):
    """A model whose Python branches on its input's values: a trace would record one branch only."""

    def __init__(self):
        super().__init__()
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(3 * 8 * 8, 4))

    def forward(self, x):
        logits = self.head(x)
        return logits if bool(x.mean() > 0.5) else -logits


def test_calibration_skips_the_frozen_graph_of_a_model_that_branches_on_values():
    lines = []
    plan = inference.calibrate(
        Branchy(),
        torch.rand(3, 8, 8),
        noise=noise_module.make("gaussian", 0.3),
        batch_sizes=(16, 32),
        rounds=1,
        log=lines.append,
    )
    assert plan.graph == "eager"
    assert any("frozen graph does not run" in line and "skipped" in line for line in lines), lines
    with pytest.raises(ValueError, match="include 'eager'"):  # nothing left to choose from: one sentence
        inference.calibrate(
            Branchy(),
            torch.rand(3, 8, 8),
            noise=noise_module.make("gaussian", 0.3),
            batch_sizes=(16,),
            rounds=1,
            graphs=("frozen",),
        )
