"""Scene 1 (ERM playground): the spec's checks, the session's training and its view, on tiny settings."""

import dataclasses
import threading
import time

import numpy as np
import pytest
import torch

from core import toys, training
from core.scenes import erm_playground as erm


def tiny(**changes) -> toys.ToySpec:
    values = dict(erm.SPEC_DEFAULTS, depth=1, width=4, seed=0) | changes
    return dataclasses.replace(erm.spec(**values), epochs=2)


@pytest.mark.parametrize(
    "bad",
    [
        dict(dataset="mnist"),
        dict(label_noise=0.7),
        dict(test_fraction=1.0),
        dict(test_fraction=0.0),
        dict(depth=0),
        dict(width=2.5),
        dict(lr=0.0),
        dict(activation="swish"),
        dict(loss="mse"),
        dict(seed=-1),
    ],
)
def test_bad_arguments_raise_one_sentence(bad):
    with pytest.raises(ValueError):
        erm.spec(**(dict(erm.SPEC_DEFAULTS, seed=0) | bad))


def test_spec_carries_the_widgets():
    spec = erm.spec(**dict(erm.SPEC_DEFAULTS, depth=3, width=8, seed=5))
    assert spec.hidden == (8, 8, 8) and spec.seed == 5 and spec.epochs == erm.AUTO_EPOCHS
    assert spec.batch_size == erm.BATCH_SIZE and spec.points == erm.POINTS


def test_opened_session_is_what_core_toys_trains():
    spec = tiny()
    session = erm.opened(spec)
    reference, history = toys.train(spec)
    for ours, theirs in zip(session.trainer.model.state_dict().values(), reference.state_dict().values()):
        assert torch.equal(ours, theirs)
    view = session.view()
    assert view.epoch == spec.epochs and view.train_loss == pytest.approx(history[-1]["train_loss"])


def test_view_numbers_agree_with_an_independent_computation():
    spec = tiny()
    session = erm.opened(spec)
    view = session.view()
    parts = toys.split(spec)
    model = session.trainer.model.eval()
    with torch.no_grad():
        train_logits, test_logits = model(parts.x_train), model(parts.x_test)
        risk = float(torch.nn.functional.cross_entropy(train_logits, parts.y_train))
        held_out = float(torch.nn.functional.cross_entropy(test_logits, parts.y_test))
        assert view.train_loss == pytest.approx(risk, rel=1e-5)
        assert view.test_loss == pytest.approx(held_out, rel=1e-5)
        assert view.gap == pytest.approx(held_out - risk, rel=1e-4, abs=1e-6)
        assert view.test_acc == pytest.approx(float((test_logits.argmax(1) == parts.y_test).float().mean()))
        i, j = 17, 93
        point = torch.tensor([[float(view.xs[j]), float(view.ys[i])]])
        assert view.labels[i, j] == int(model(point).argmax(1))
    assert view.m == len(parts.x_train) and view.m_test == len(parts.x_test)
    assert view.labels.shape == (erm.RESOLUTION, erm.RESOLUTION)
    assert f"= {view.train_loss:.3f}" in view.empirical_latex and f"m = {view.m}" in view.empirical_latex
    assert f"= {view.test_loss:.3f}" in view.held_out_latex
    assert len(view.history_epochs) == spec.epochs + 1 and view.history_epochs[-1] == spec.epochs


def test_same_seed_replays_and_another_seed_differs():
    first, again, other = (erm.opened(tiny(seed=s)).view() for s in (0, 0, 1))
    assert first.train_loss == again.train_loss and np.array_equal(first.labels, again.labels)
    assert first.train_loss != other.train_loss
    assert not np.array_equal(first.x_train, other.x_train)


def test_step_train_and_reset():
    session = erm.Session(tiny())
    start = session.view()
    assert start.epoch == 0 and start.steps == 0
    session.step("one mini-batch")
    assert (session.view().epoch, session.view().steps) == (0, 1)
    session.step("one epoch")
    steps_per_epoch = session.trainer.steps_per_epoch
    assert session.view().epoch == 1 and session.view().steps == 1 + steps_per_epoch
    calls = []
    session.train(2, lambda done, total: calls.append((done, total)))
    assert calls == [(1, 2), (2, 2)] and session.view().epoch == 3
    assert session.view().train_loss < start.train_loss
    session.reset()
    assert session.view().epoch == 0 and session.view().train_loss == start.train_loss
    with pytest.raises(ValueError):
        session.step("one week")
    with pytest.raises(ValueError):
        session.train(0)


def test_each_caller_of_opened_gets_its_own_copy():
    spec = tiny(seed=11)
    first = erm.opened(spec)
    first.train(3)
    first.step("one mini-batch")
    second = erm.opened(spec)  # the kept opening, untouched by the first caller's training
    assert second is not first and second.view().epoch == spec.epochs
    assert second.trainer.model is not first.trainer.model
    fresh = erm.Session(spec)
    fresh.train(spec.epochs)
    second.train(2)
    fresh.train(2)  # a copy continues exactly as the original would (Adam state, batches)
    assert second.view().train_loss == fresh.view().train_loss


def test_the_stall_hint_follows_the_training_outcome():
    learning = erm.Session(tiny(lr=3e-2))
    learning.train(erm.STALL_EPOCHS)
    assert not learning.view().stalled  # moons are learnt: no hint
    frozen = erm.Session(tiny(lr=1e-9))  # a step too small to leave θ₀'s accuracy
    frozen.train(erm.STALL_EPOCHS)
    view = frozen.view()
    assert view.train_acc <= view.majority_rate + erm.STALL_MARGIN and view.stalled
    assert f"{view.train_acc:.0%}" in erm.stall_hint(view, frozen.spec)


def test_history_replays_the_clicks_draw_for_draw():
    spec = erm.spec(**erm.SPEC_DEFAULTS, seed=0)
    session = erm.opened(spec)
    assert session.history() == ""  # the opening epochs are the spec's
    session.train(2)
    session.train(1)  # consecutive runs merge
    session.step(erm.STEP_UNITS[1])
    session.step(erm.STEP_UNITS[0])
    assert session.history() == "e3.b1.e1"
    again = erm.replayed(spec, session.history())
    for name in ("epoch", "steps", "train_loss", "test_loss"):
        assert getattr(again.view(), name) == getattr(session.view(), name)
    np.testing.assert_array_equal(again.view().history_train_loss, session.view().history_train_loss)
    np.testing.assert_array_equal(again.view().labels, session.view().labels)
    session.reset()
    session.train(2)
    assert session.history() == "0.e2"
    assert erm.replayed(spec, "0.e2").view().train_loss == session.view().train_loss
    assert erm.replayed(spec, "").view().epoch == erm.opened(spec).view().epoch


@pytest.mark.parametrize(
    "history",
    [
        "x",
        "e0",
        "e3.0",
        "b",
        "e-1",
        "e1.zz",
        f"e{erm.MAX_REPLAYED_EPOCHS + 1}",
        f"b{erm.MAX_REPLAYED_BATCHES + 1}",
        "e²",
        "e٣",
        "e" + "9" * 5000,
        "e01",
    ],
)
def test_a_history_this_page_did_not_write_is_one_sentence(history):
    with pytest.raises(ValueError) as error:
        erm.replayed(erm.spec(**erm.SPEC_DEFAULTS, seed=0), history)
    message = str(error.value)
    assert message.endswith("opening instead.") and "\n" not in message and len(message) < 200
    assert "invalid literal" not in message and "digits" not in message  # our sentence, not Python's


def counting(monkeypatch, pause: float = 0.0) -> list:
    """Patch Session.train to record each call (and sleep ``pause`` per epoch); returns the record."""
    calls, train = [], erm.Session.train

    def counted(session, epochs, progress=None):
        calls.append((session.spec, epochs))
        slow = (
            (lambda done, total: (time.sleep(pause), progress and progress(done, total)))
            if pause
            else progress
        )
        return train(session, epochs, slow)

    monkeypatch.setattr(erm.Session, "train", counted)
    return calls


def test_the_budget_is_a_pure_function_of_spec_and_history(monkeypatch):
    big, small = (
        erm.spec(**dict(erm.SPEC_DEFAULTS, depth=5, width=128, seed=0)),
        erm.spec(**erm.SPEC_DEFAULTS, seed=0),
    )
    with monkeypatch.context() as patched:  # no clock is read and nothing is trained to count the work

        def refuse(*_, **__):
            raise AssertionError("the budget read a clock or trained")

        for name in ("perf_counter", "monotonic", "time", "process_time"):
            patched.setattr(time, name, refuse)
        patched.setattr(erm.Session, "train", refuse)
        patched.setattr(training.Trainer, "step", refuse)
        first, again = erm.plan(big, "e2000"), erm.plan(big, "e2000")
        cheap = erm.plan(small, "e3.b1")
        with pytest.raises(erm.OverBudget) as refused:
            erm.replayed(big, "e2000")
    assert first == again and first.work == erm.replay_work(big, ("e2000",)) > 0
    assert (first.epochs, first.batches, first.history) == (2000, 0, "e2000")
    assert not first.within_budget and cheap.within_budget and erm.plan(small, "").work == 0
    assert erm.replay_work(big, ("e2",)) == 2 * erm.replay_work(big, ("e1",))  # linear in the epochs
    assert erm.replay_work(small, ("e1",)) < erm.replay_work(big, ("e1",))  # and grows with the network
    assert erm.replay_work(small, ("b1",)) < erm.replay_work(small, ("e1",))
    assert erm.replay_work(small, ("0", "e1")) > erm.replay_work(
        small, ("e1",)
    )  # a reset evaluates once more
    message = str(refused.value)
    assert isinstance(refused.value, ValueError) and refused.value.replay == first
    assert "2000 epochs" in message and "\n" not in message and message.count(". ") == 0
    assert first.button().startswith("Replay this link's training: 2000 epochs, about ")
    assert erm.plan(small, "e3.b1").what() == "3 epochs and 1 mini-batch step"


def test_a_cheap_link_replays_at_once_and_an_expensive_one_only_when_asked(monkeypatch):
    spec = tiny(seed=21)
    replay = erm.plan(spec, "e3")
    assert replay.within_budget
    assert erm.replayed(spec, "e3").view().epoch == spec.epochs + 3
    monkeypatch.setattr(erm, "REPLAY_BUDGET", replay.work - 1)  # now just beyond it
    with pytest.raises(erm.OverBudget):
        erm.replayed(spec, "e3")
    assert erm.replayed(spec, "e3", beyond_budget=True).view().epoch == spec.epochs + 3


def test_the_same_link_trains_once_and_each_caller_gets_its_own_copy(monkeypatch):
    spec = tiny(seed=22)
    calls = counting(monkeypatch)
    first = erm.replayed(spec, "e3.b2")
    assert calls == [(spec, spec.epochs), (spec, 3)]  # the opening, then the link's epochs
    steps = []
    monkeypatch.setattr(training.Trainer, "step", lambda trainer: steps.append(1))
    second = erm.replayed(spec, "e3.b2")
    assert len(calls) == 2 and not steps  # nothing trained the second time
    assert second is not first and second.trainer.model is not first.trainer.model
    assert second.history() == first.history() == "e3.b2"
    for ours, theirs in zip(first.trainer.model.parameters(), second.trainer.model.parameters()):
        assert torch.equal(ours, theirs) and ours.data_ptr() != theirs.data_ptr()
    monkeypatch.undo()
    first.train(2)  # one caller's training…
    third = erm.replayed(spec, "e3.b2")
    assert third.view().epoch == second.view().epoch == spec.epochs + 3  # …is nobody else's
    assert third.view().train_loss == second.view().train_loss


@pytest.mark.parametrize("history, seed", [("", 23), ("e4", 24)], ids=["opening", "link"])
def test_sessions_opening_the_same_link_at_once_train_it_once(monkeypatch, history, seed):
    spec = tiny(seed=seed)
    calls = counting(monkeypatch, pause=0.05)
    start, results, seen = threading.Barrier(3), [None] * 3, [[], [], []]

    def open_it(i):
        start.wait()
        results[i] = erm.replayed(spec, history, lambda done, total: seen[i].append((done, total)))

    threads = [threading.Thread(target=open_it, args=(i,)) for i in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert calls == [(spec, spec.epochs)] + [(spec, 4)] * bool(history)  # once, whoever came first
    assert len({id(session) for session in results}) == 3 and len({id(s.trainer.model) for s in results}) == 3
    assert len({session.view().train_loss for session in results}) == 1
    last = seen[0][-1]
    assert all(shown and shown[-1] == last for shown in seen)  # every waiting caller followed the run


def test_a_replay_stopped_half_way_keeps_nothing(monkeypatch):
    spec = tiny(seed=30)
    erm.opened(spec)
    calls = counting(monkeypatch)

    def stop(done, total):
        if done == 2:
            raise KeyboardInterrupt  # e.g. the session went away mid-run

    with pytest.raises(KeyboardInterrupt):
        erm.replayed(spec, "e3", stop)
    assert erm.replayed(spec, "e3").view().epoch == spec.epochs + 3  # computed again, from the start
    assert calls == [(spec, 3), (spec, 3)]
