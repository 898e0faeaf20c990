"""The "recompute on the local test set" panels of pages 6 and 9.

A local CIFAR-10 test file is made from foolbox's 20 gallery images (no ../shared needed), so the
panel's numbers can be checked against core on the very same images.
"""

import numpy as np
import pytest
import torch

from core import data, evaluation, smoothing, zoo
from core import noise as noises
from core.models import without_noise
from core.scenes import certificate
from ui import recompute

# A click here runs the real CLI in-process (calibration, then CERTIFY or the attacks) on the shipped models:
# minutes on a busy 2-core CI machine. The tests check the numbers, never the speed.
COMPUTE_TIMEOUT = 900

pytestmark = [
    pytest.mark.skipif(
        not {"cifar10-standard", "cifar10-gaussian-0.25", "mnist-gaussian-0.25"} <= set(zoo.names()),
        reason="needs the shipped CIFAR-10 models",
    ),
    pytest.mark.timeout(2 * COMPUTE_TIMEOUT),
]


def _write_npz(folder, images: torch.Tensor, labels: torch.Tensor, dataset: str = "cifar10") -> None:
    # The shared files' layout: N×H×W×C for CIFAR-10, N×H×W for MNIST, uint8 pixels and labels.
    pixels = (images.permute(0, 2, 3, 1) * 255).round().to(torch.uint8).numpy()
    if dataset == "mnist":
        pixels = pixels[..., 0]
    np.savez_compressed(folder / f"{dataset}_test.npz", x=pixels, y=labels.numpy().astype(np.uint8))


@pytest.fixture
def local_cifar(tmp_path, monkeypatch):
    """``local_cifar(repeat)``: a local cifar10_test.npz holding each gallery image ``repeat`` times
    in a row (repeat = 20: every 20th test image, the stride of the shipped certify runs, is gallery
    image 0, 1, 2, …); returns the gallery."""
    images, labels = data.gallery("cifar10")
    monkeypatch.setattr(recompute, "data_dirs", lambda: [tmp_path])

    def write(repeat: int):
        _write_npz(tmp_path, images.repeat_interleave(repeat, dim=0), labels.repeat_interleave(repeat))
        return images, labels

    return write


@pytest.fixture
def local_mnist(tmp_path, monkeypatch):
    """``local_mnist(repeat)``: as ``local_cifar``, with MNIST's gallery (a far cheaper model to certify)."""
    images, labels = data.gallery("mnist")
    monkeypatch.setattr(recompute, "data_dirs", lambda: [tmp_path])

    def write(repeat: int):
        _write_npz(
            tmp_path, images.repeat_interleave(repeat, dim=0), labels.repeat_interleave(repeat), "mnist"
        )
        return images, labels

    return write


def _tables(at) -> list:
    """The talk's tables of page 6: the gallery one, then the recomputed one (once computed)."""
    return [frame.value for frame in at.dataframe if "evaluated on" in frame.value.columns]


def test_p06_recomputed_table_equals_the_gallery_table(open_page, local_mnist):
    """On MNIST: the same recomputation as CIFAR-10's, on networks far cheaper to attack."""
    local_mnist(1)
    at = open_page("app_pages/p06_adversarial_training.py")
    assert not at.exception
    at.selectbox(key="p06_dataset").set_value("mnist").run()
    assert not at.exception
    at.select_slider(key="p06_recompute_images").set_value(20).run()
    assert len(_tables(at)) == 1  # nothing computed before the click
    at.button(key="p06_recompute_button").click().run(timeout=COMPUTE_TIMEOUT)
    assert not at.exception
    gallery_table, table = _tables(at)
    now = table[table["evaluated on"].str.contains("now")].set_index("model")
    # The first 20 local test images are the 20 gallery images: same attacks, same seed, same numbers.
    gallery_rows = gallery_table[gallery_table["evaluated on"].str.contains("gallery")].set_index("training")
    for name in ("mnist-standard", "mnist-adversarial"):
        kind = name.split("-")[1]
        mine = gallery_rows.loc[f"{kind} ({name})"]
        for column in ("natural", "PGD-20", "CW-30"):
            assert now.loc[name, column] == mine[column], (name, column)
    # Another slice size is another request: the old result is not shown as if it were the new one.
    at.select_slider(key="p06_recompute_images").set_value(50).run()
    assert not at.exception
    assert len(_tables(at)) == 1


def test_p09_recomputed_certificates_equal_core(open_page, local_mnist):
    images, labels = local_mnist(20)
    at = open_page("app_pages/p09_certificate.py")
    assert not at.exception
    at.selectbox(key="p09_recompute_model").set_value("mnist-gaussian-0.25").run()
    at.slider(key="p09_recompute_images").set_value(2).run()
    at.select_slider(key="p09_recompute_n").set_value(1000).run()
    at.button(key="p09_recompute_button").click().run(timeout=COMPUTE_TIMEOUT)
    assert not at.exception
    shown = at.dataframe[-1].value["now (2 images, n = 1000)"].tolist()

    entry = zoo.entry("mnist-gaussian-0.25")
    rows = evaluation.certify_dataset(
        without_noise(zoo.load("mnist-gaussian-0.25")),
        images[:2],
        labels[:2],
        noise=noises.make("gaussian", entry["noise"]["scale"]),
        n0=100,
        n=1000,
        alpha=0.001,
        batch_size=1000,
        seed=0,
    )
    expected = evaluation.certified_accuracy_curve(rows, [0.0, 0.25, 0.5, 0.75, 1.0])
    assert shown == [f"{100 * a:.1f} %" for a in expected]
    # n = 1000 against the shipped n = 10 000: another experiment, compared within CERTIFY's statistics.
    assert [m for m in at.metric if m.label == "Rows agreeing within CERTIFY's statistics"]
    assert any(
        c.value.startswith("Not like for like — ") and "n is 1000 here and 10000 shipped" in c.value
        for c in at.caption
    )


def _record(kind: str, counts, *, n=10_000, alpha=0.001, sigma=0.25) -> dict:
    """A certify file's content as core.experiments writes it (kind: "cpu", "cuda" IEEE, or "tf32" as the
    CUDA files written before core.device.strict_fp32, without generator keys), one row per vote count."""
    noise = noises.make("gaussian", sigma)
    rows = []
    for index, count in enumerate(counts):
        radius = float(smoothing.certified_radius(noise, smoothing.clopper_pearson_lower(count, n, alpha)))
        rows.append(
            {"index": index, "label": 3, "predict": 3, "radius": radius, "correct": 1, "seconds": 1.0}
        )
    how = {
        "cpu": {"device": "cpu (2 threads, x86_64)", "generator": "cpu", "fp32_kernels": "ieee"},
        "cuda": {"device": "cuda (NVIDIA H100)", "generator": "cuda", "fp32_kernels": "ieee"},
        "tf32": {"device": "cuda (NVIDIA H200)", "inference": {"device": "cuda", "precision": "fp32"}},
    }[kind]
    radii = [0.0, 0.25, 0.5, 0.75, 1.0]
    return {
        "command": "python -m core.experiments certify --name cifar10-gaussian-0.25",
        "model": "cifar10-gaussian-0.25",
        "model_sha256": "abc",
        "dataset": "cifar10",
        "noise": {"name": "gaussian", "scale": sigma, "layer": 0},
        "norm": "l2",
        "n0": 100,
        "n": n,
        "alpha": alpha,
        "every": 20,
        "seed": 0,
        "noise_chunk": 1000,
        "precision": "fp32",
        "examples": len(rows),
        "lipschitz_bound": 1.0,
        "radii": radii,
        "certified_accuracy": evaluation.certified_accuracy_curve(rows, radii),
        "seconds": float(len(rows)),
        "rows": rows,
        **how,
    }


@pytest.mark.parametrize("shipped_kind,exact", [("cpu", True), ("cuda", False), ("tf32", False)])
def test_p09_compares_like_with_like(open_page, tmp_path, monkeypatch, shipped_kind, exact):
    """A CPU recomputation of a CPU IEEE file must repeat its rows; of a CUDA or a TF32 file it is another
    random experiment, checked within CERTIFY's statistics, and the panel says why in one sentence (never
    "must" then).
    The shipped file's provenance is shown before and after the click."""
    counts = [9500, 9900, 9990]
    shipped = _record(shipped_kind, counts)
    fresh = _record("cpu", [9510, 9900, 9990] if not exact else counts)
    (tmp_path / "cifar10_test.npz").write_bytes(b"")  # only its presence is checked before the click
    monkeypatch.setattr(recompute, "data_dirs", lambda: [tmp_path])
    monkeypatch.setattr(recompute, "shipped_certify", lambda: {"cifar10-gaussian-0.25": shipped})
    calls = []
    monkeypatch.setattr(recompute, "recompute_certify", lambda *request: calls.append(request) or fresh)
    at = open_page("app_pages/p09_certificate.py")
    assert not at.exception
    at.slider(key="p09_recompute_images").set_value(3).run()
    made = certificate.provenance(shipped).sentence
    assert any(c.value.startswith(f"The shipped file, {made}") for c in at.caption)
    assert ("TF32 convolutions (not the IEEE fp32 classifier; being recertified)" in made) == (
        shipped_kind == "tf32"
    )
    at.button(key="p09_recompute_button").click().run()
    assert not at.exception
    assert calls == [("cifar10-gaussian-0.25", str(tmp_path), 3, 10_000, 20, 0, 100, 0.001)]
    label = "Rows identical to the shipped ones" if exact else "Rows agreeing within CERTIFY's statistics"
    assert [m.value for m in at.metric if m.label == label] == ["3/3"]
    captions = [c.value for c in at.caption]
    assert any(c.startswith(f"Shipped: {made}. Now: computed on cpu (2 threads") for c in captions)
    comparison = next(c for c in captions if "CERTIFY's statistics" in c or "must repeat exactly" in c)
    assert ("must repeat exactly" in comparison) == exact
    if not exact:
        assert comparison.startswith("Not like for like — ") and "must" not in comparison


def test_missing_or_broken_local_data_gives_one_sentence(open_page, tmp_path, monkeypatch):
    monkeypatch.setattr(recompute, "data_dirs", lambda: [tmp_path])
    at = open_page("app_pages/p09_certificate.py")
    assert not at.exception
    assert any(
        "cifar10_test.npz" in caption.value and "core.experiments certify" in caption.value
        for caption in at.caption
    )
    (tmp_path / "cifar10_test.npz").write_bytes(b"not a zip archive")
    at.selectbox(key="p09_recompute_model").set_value("cifar10-gaussian-0.25").run()
    at.slider(key="p09_recompute_images").set_value(2).run()
    at.button(key="p09_recompute_button").click().run(timeout=COMPUTE_TIMEOUT)
    assert not at.exception
    assert any("replace it with a fresh copy" in warning.value for warning in at.warning)
