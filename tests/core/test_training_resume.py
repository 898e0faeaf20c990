"""train(..., checkpoint_dir, resume=True): an interrupted run continues to the very same weights."""

import json

import pytest
import torch

from core import models, noise, training


def _images(n=48, seed=0):
    generator = torch.Generator().manual_seed(seed)
    x = torch.rand(n, 3, 8, 8, generator=generator)
    y = torch.randint(0, 10, (n,), generator=generator)
    return x, y


class Interrupted(Exception):
    pass


def _stop_after(epoch):
    def callback(row):
        if row["kind"] == "epoch" and row["epoch"] == epoch:
            raise Interrupted

    return callback


def _kwargs(**changes):
    x, y = _images()
    xt, yt = _images(16, seed=1)
    kwargs = dict(
        x_test=xt,
        y_test=yt,
        epochs=3,
        optimizer="sgd",
        lr=0.2,
        batch_size=16,
        weight_decay=5e-4,
        schedule="onecycle",
        augment="crop_flip",
        noise=noise.make("gaussian", 0.25),
        label_smoothing=0.1,
        seed=3,
    )
    kwargs.update(changes)
    return x, y, kwargs


def _model(layer_noise=False):
    model = models.cifar_cnn(width=2, seed=0)
    if layer_noise:  # a noise layer inside the network owns a generator too
        model = models.inject_noise(model, 1, noise.make("gaussian", 0.1), seed=5)
    return model


def _non_time(history):
    return [{key: value for key, value in row.items() if key != "seconds"} for row in history]


@pytest.mark.parametrize("layer_noise", [False, True])
@pytest.mark.parametrize("interrupt_after", [1, 2])
def test_resumed_run_ends_bitwise_identical_to_an_uninterrupted_one(tmp_path, layer_noise, interrupt_after):
    x, y, kwargs = _kwargs()
    whole = _model(layer_noise)
    straight = training.train(whole, x, y, **kwargs)

    # A kill during epoch interrupt_after + 1: its steps ran, the callback dies before its checkpoint.
    first = _model(layer_noise)
    with pytest.raises(Interrupted):
        training.train(
            first,
            x,
            y,
            checkpoint_dir=tmp_path,
            resume=True,
            callback=_stop_after(interrupt_after + 1),
            **kwargs,
        )
    checkpoint = torch.load(tmp_path / "checkpoint.pt", weights_only=True)
    assert checkpoint["epoch"] == interrupt_after

    resumed_model = _model(layer_noise)
    resumed = training.train(resumed_model, x, y, checkpoint_dir=tmp_path, resume=True, **kwargs)
    assert resumed.steps == straight.steps
    for (name, a), (_, b) in zip(whole.state_dict().items(), resumed_model.state_dict().items()):
        assert torch.equal(a, b), name
    assert _non_time(resumed.history) == _non_time(straight.history)
    final = torch.load(tmp_path / "checkpoint.pt", weights_only=True)
    assert final["epoch"] == 3


def test_trainer_state_round_trips_optimiser_and_generators():
    """Two trainers, one restored from the other's state mid-epoch, take identical next steps."""
    x, y, kwargs = _kwargs(schedule="constant")
    kwargs.pop("epochs")
    a = training.Trainer(_model(True), x, y, **kwargs)
    a.step()
    a.step()  # mid-epoch: the order and the cursor matter
    b = training.Trainer(_model(True), x, y, **kwargs)
    b.load_state_dict(a.state_dict())
    for _ in range(3):
        assert a.step()["loss"] == b.step()["loss"]
    for name, state in a.optimizer.state_dict()["state"].items():
        assert torch.equal(
            state["momentum_buffer"], b.optimizer.state_dict()["state"][name]["momentum_buffer"]
        )
    assert torch.equal(a.generator.get_state(), b.generator.get_state())
    assert torch.equal(a.order_generator.get_state(), b.order_generator.get_state())


@pytest.mark.parametrize(
    "change, word", [({"lr": 0.1}, "trainer"), ({"seed": 4}, "trainer"), ({"epochs": 4}, "epochs")]
)
def test_a_checkpoint_of_other_arguments_is_refused(tmp_path, change, word):
    x, y, kwargs = _kwargs(epochs=1)
    training.train(_model(), x, y, checkpoint_dir=tmp_path, **kwargs)
    _, _, other = _kwargs(**{"epochs": 1, **change})
    with pytest.raises(ValueError, match=f"other arguments \\(.*{word}.*\\)"):
        training.train(_model(), x, y, checkpoint_dir=tmp_path, resume=True, **other)


def test_a_checkpoint_of_other_data_or_weights_is_refused(tmp_path):
    x, y, kwargs = _kwargs(epochs=1)
    training.train(_model(), x, y, checkpoint_dir=tmp_path, **kwargs)
    with pytest.raises(ValueError, match="train_sha256"):
        training.train(_model(), x[:-1], y[:-1], checkpoint_dir=tmp_path, resume=True, **kwargs)
    with pytest.raises(ValueError, match="initial_weights_sha256"):
        training.train(
            models.cifar_cnn(width=2, seed=1), x, y, checkpoint_dir=tmp_path, resume=True, **kwargs
        )


def test_a_corrupted_checkpoint_is_refused_in_one_sentence(tmp_path):
    x, y, kwargs = _kwargs(epochs=1)
    training.train(_model(), x, y, checkpoint_dir=tmp_path, **kwargs)
    path = tmp_path / "checkpoint.pt"
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(ValueError, match="corrupted or not a training checkpoint"):
        training.train(_model(), x, y, checkpoint_dir=tmp_path, resume=True, **kwargs)


def test_resume_without_a_checkpoint_starts_afresh_and_needs_a_folder(tmp_path):
    x, y, kwargs = _kwargs(epochs=1)
    a, b = _model(), _model()
    training.train(a, x, y, **kwargs)
    training.train(b, x, y, checkpoint_dir=tmp_path / "new", resume=True, **kwargs)
    assert all(torch.equal(p, q) for p, q in zip(a.state_dict().values(), b.state_dict().values()))
    with pytest.raises(ValueError, match="checkpoint_dir"):
        training.train(_model(), x, y, resume=True, **kwargs)


def test_cli_train_resume_gives_the_uninterrupted_weights(tmp_path, monkeypatch):
    """python -m core.experiments train --resume on a tiny MNIST folder: interrupted after epoch 1, rerun
    with the same command, the shipped weights equal those of a run that was never interrupted."""
    from core import experiments, zoo
    from tests.core.fake_mnist import write_mnist_npz

    data = write_mnist_npz(tmp_path, train=64, test=16, seed=0)

    def command(models_dir, *extra):
        return [
            "train",
            "--name",
            "mnist-gaussian-0.25",
            "--epochs",
            "2",
            "--width",
            "2",
            "--data-dir",
            str(data),
            "--models-dir",
            str(models_dir),
            "--results-dir",
            str(tmp_path / "results"),
            "--device",
            "cpu",
            *extra,
        ]

    assert experiments.main(command(tmp_path / "straight")) == 0
    checkpoints = tmp_path / "checkpoints"
    real_train = training.train

    def interrupted_train(*args, **kwargs):
        kwargs["callback"] = _stop_after(2)
        return real_train(*args, **kwargs)

    monkeypatch.setattr(training, "train", interrupted_train)
    with pytest.raises(Interrupted):
        experiments.main(command(tmp_path / "resumed", "--resume", "--checkpoint-dir", str(checkpoints)))
    monkeypatch.setattr(training, "train", real_train)
    assert torch.load(checkpoints / "checkpoint.pt", weights_only=True)["epoch"] == 1
    # --resume forgotten: refused before any epoch, the interrupted run's checkpoint untouched.
    saved = (checkpoints / "checkpoint.pt").read_bytes()
    assert experiments.main(command(tmp_path / "forgot", "--checkpoint-dir", str(checkpoints))) == 2
    assert (checkpoints / "checkpoint.pt").read_bytes() == saved and not (
        tmp_path / "forgot" / "manifest.json"
    ).exists()
    assert (
        experiments.main(command(tmp_path / "resumed", "--resume", "--checkpoint-dir", str(checkpoints))) == 0
    )
    straight = zoo.load("mnist-gaussian-0.25", models_dir=tmp_path / "straight")
    resumed = zoo.load("mnist-gaussian-0.25", models_dir=tmp_path / "resumed")
    for (name, a), (_, b) in zip(straight.state_dict().items(), resumed.state_dict().items()):
        assert torch.equal(a, b), name
    entry = json.loads((tmp_path / "resumed" / "manifest.json").read_text())["models"][0]
    assert "--resume" in entry["command"]
    # Another seed is another run: refused in one sentence (exit 2), nothing overwritten.
    assert (
        experiments.main(
            command(tmp_path / "resumed", "--resume", "--checkpoint-dir", str(checkpoints), "--seed", "1")
        )
        == 2
    )
