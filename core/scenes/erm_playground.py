"""1 · ERM playground: train a small network on a 2-D toy set and watch the empirical and held-out risks,
the generalisation gap and the decision regions move.

Stateful by nature (the lecturer presses Train, Step, Reset): a :class:`Session` holds one
``core.training.Trainer`` on the split and the initial network of a ``core.toys.ToySpec`` and is
kept by the page in its own session (never shared: it is mutated). :meth:`Session.view` returns a
frozen :class:`View` of NumPy arrays and numbers, all that the page draws.
"""

from __future__ import annotations

import copy
import numbers
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
import torch

from core import checks, data, geometry, models, toys, training
from core.scenes.parameters import Parameter, declare, defaults
from core.seeds import check_seed

POINTS, DATA_NOISE, BATCH_SIZE = 400, 0.1, 32
AUTO_EPOCHS = 30  # trained when a session opens or the data/network changes, so the page shows its point
RESOLUTION = 120  # decision-region grid points per axis
DATASETS = data.TOY_DATASETS
ACTIVATIONS = models.ACTIVATIONS
LOSSES = training.LOSSES
WIDTHS = (2, 4, 8, 16, 32, 64, 128)
DEPTH_RANGE = (1, 5)
LEARNING_RATES = (1e-3, 3e-3, 1e-2, 3e-2, 1e-1)
STEP_UNITS = ("one epoch", "one mini-batch")
RESET_TOKEN = "0"  # a history (Session.history) that starts from θ₀, untrained
MAX_REPLAYED_EPOCHS = 2000  # what one link may ask the server to train
MAX_REPLAYED_BATCHES = 2000
PARAMETERS = declare(
    Parameter("dataset", "p01_dataset", "moons", choices=DATASETS),
    Parameter("label_noise", "p01_label_noise", 0.0, low=0.0, high=0.4, step=0.05),
    Parameter("test_fraction", "p01_test_fraction", 0.3, low=0.1, high=0.7, step=0.05),
    Parameter("depth", "p01_depth", 2, low=DEPTH_RANGE[0], high=DEPTH_RANGE[1]),
    Parameter("width", "p01_width", 16, choices=WIDTHS),
    Parameter("activation", "p01_activation", "relu", choices=ACTIVATIONS),
    Parameter("loss", "p01_loss", "ce", choices=LOSSES),
    Parameter("lr", "p01_lr", 3e-2, choices=LEARNING_RATES),
    Parameter("epochs", "p01_epochs", 20, low=1, high=500),  # epochs per press of Train
    Parameter("step_unit", "p01_step_unit", STEP_UNITS[0], choices=STEP_UNITS),
    Parameter(
        "run", "p01_run", note="no value: the Train / Step / Reset clicks since the opening (history())"
    ),
)
DEFAULTS = defaults(PARAMETERS)
SPEC_DEFAULTS = {name: DEFAULTS[name] for name in list(PARAMETERS)[:8]}  # spec()'s opening arguments
LOSS_LABELS = {"ce": "cross-entropy", "hinge": "multi-class hinge"}
LOSS_FORMULAS = {
    "ce": r"-\log \frac{e^{F_\theta(x)_y}}{\sum_j e^{F_\theta(x)_j}}",
    "hinge": r"\max\big(0,\ 1 + \max_{j \ne y} F_\theta(x)_j - F_\theta(x)_y\big)",
}

# Lecture mode (core.scenes.lecture): what the page reveals at each step, in order.
STEPS = (
    "Question: does a low empirical risk generalise?",
    "The risks: empirical, held-out and the gap",
    "The figures: learning curves and decision regions",
)

EXPLANATION = r"""
**Empirical risk minimisation.** Given $m$ training examples $(x_i, y_i)$ drawn from $\mathcal D$, pick
the parameters $\theta$ of a network $F_\theta$ that minimise the empirical risk
$\hat R(\theta) = \frac1m \sum_{i=1}^m \ell(F_\theta(x_i), y_i)$. What we care about is the true risk
$R(\theta) = \mathbb E_{(x,y)\sim\mathcal D}\,\ell(F_\theta(x), y)$, estimated on held-out examples; their
difference is the **generalisation gap**. Change the data, the network or the loss, and train.
"""
USES = (
    f"a 2-D toy set (core.toys.split: {POINTS} points in [0, 1]², seeded) and a feed-forward network "
    f"F = φ(N)∘…∘φ(1) (core.toys.untrained) trained here with mini-batch Adam (core.training.Trainer, "
    f"batches of {BATCH_SIZE}); {AUTO_EPOCHS} epochs are trained when the page opens."
)


def spec(
    *,
    dataset: str,
    label_noise: float,
    test_fraction: float,
    depth: int,
    width: int,
    activation: str,
    loss: str,
    lr: float,
    seed: int,
) -> toys.ToySpec:
    """The toy problem and network of the playground as a ``core.toys.ToySpec`` (validated): ``POINTS``
    points of ``dataset`` with a share ``label_noise`` of flipped labels, split into train / held-out,
    and a ReLU-style network of ``depth`` hidden layers of ``width`` units trained on ``loss`` with
    Adam at step ``lr``. Bad values raise a ValueError saying what to choose."""
    check_seed(seed)
    checks.one_of(dataset, DATASETS, "The dataset")
    checks.one_of(activation, ACTIVATIONS, "The activation")
    checks.one_of(loss, LOSSES, "The loss")
    checks.number(label_noise, 0, 0.5, "The label noise")
    if (
        isinstance(test_fraction, bool)
        or not isinstance(test_fraction, numbers.Real)
        or not 0 < test_fraction < 1
        or not 1 <= round(POINTS * test_fraction) < POINTS
    ):
        raise ValueError(f"The held-out fraction must lie strictly between 0 and 1, got {test_fraction!r}.")
    depth = checks.positive_int(depth, "The depth (number of hidden layers)")
    width = checks.positive_int(width, "The width (neurons per hidden layer)")
    if depth > 16 or width > 1024:
        raise ValueError("Keep the network small: at most 16 hidden layers of at most 1024 neurons.")
    lr = checks.positive(lr, "The learning rate")
    return toys.ToySpec(
        dataset=dataset,
        points=POINTS,
        data_noise=DATA_NOISE,
        label_noise=float(label_noise),
        test_fraction=float(test_fraction),
        hidden=(width,) * depth,
        activation=activation,
        loss=loss,
        epochs=AUTO_EPOCHS,
        lr=lr,
        batch_size=BATCH_SIZE,
        seed=seed,
    )


@dataclass(frozen=True)
class View:
    """What the page shows of a session now: NumPy arrays and numbers only."""

    epoch: int  # finished epochs
    steps: int  # mini-batch steps so far
    m: int  # training examples
    m_test: int  # held-out examples
    classes: int
    train_loss: float  # empirical risk R̂(θ) now
    test_loss: float  # held-out risk now
    train_acc: float
    test_acc: float
    gap: float  # held-out risk − empirical risk
    history_epochs: np.ndarray  # one entry per evaluation (steps / steps per epoch)
    history_train_loss: np.ndarray
    history_test_loss: np.ndarray
    history_train_acc: np.ndarray
    history_test_acc: np.ndarray
    xs: np.ndarray  # decision-region grid: x₁ values
    ys: np.ndarray  # x₂ values
    labels: np.ndarray  # arg-max class of F_θ at (xs[j], ys[i]), RESOLUTION × RESOLUTION
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    empirical_latex: str  # R̂(θ) = (1/m) Σ ℓ(F_θ(x_i), y_i) = its value
    held_out_latex: str
    majority_rate: float  # train accuracy of always answering the most frequent class

    @property
    def stalled(self) -> bool:
        """Trained a while and still no better than the majority answer: ERM has not started to work."""
        return self.epoch >= STALL_EPOCHS and self.train_acc <= self.majority_rate + STALL_MARGIN


STALL_EPOCHS, STALL_MARGIN = 5, 0.02


def stall_hint(view: View, spec: toys.ToySpec) -> str:
    """The sentence shown when :attr:`View.stalled` (computed from the view, never a fixed claim)."""
    return (
        f"After {view.epoch} epochs the network is no better than always answering its most frequent class "
        f"(train accuracy {view.train_acc:.0%} against {view.majority_rate:.0%}): with {len(spec.hidden)} "
        f"hidden layers and learning rate {spec.lr:g}, Adam has not found its way down. Lower the learning "
        "rate or the depth, or press Reset and Train again."
    )


class Session:
    """One lecturer's run of ERM: the network θ₀ of ``spec`` (``core.toys.untrained``), the seeded split
    (``core.toys.split``) and a mini-batch Adam ``Trainer`` seeded by ``spec.seed`` — exactly what
    ``core.toys.train(spec)`` runs, so after ``spec.epochs`` epochs both hold the same weights.

    ``train(epochs)``, ``step(unit)`` and ``reset()`` change it; ``view()`` reads it."""

    def __init__(self, spec: toys.ToySpec):
        self.spec = spec
        self._initialise()
        self.actions: list[str] = []  # what was done since the opening, as a link carries it (history())

    def reset(self) -> None:
        """Back to the seeded initialisation θ₀, untrained (same seed, so the same θ₀ and batch order)."""
        self._initialise()
        self.actions = [RESET_TOKEN]

    def history(self) -> str:
        """The actions since the opening as one URL value, e.g. "e20.b3" (20 epochs, then 3 mini-batch
        steps) or "0.e5" (reset to θ₀, then 5 epochs): :func:`replayed` redoes them draw for draw."""
        return ".".join(self.actions)

    def _record(self, kind: str, count: int) -> None:
        last = self.actions[-1] if self.actions else ""
        if last[:1] == kind:  # consecutive runs merge: e5 then e5 trains as e10 does
            self.actions[-1] = f"{kind}{int(last[1:]) + count}"
        else:
            self.actions.append(f"{kind}{count}")

    def _initialise(self) -> None:
        parts = toys.split(self.spec)
        self.trainer = training.Trainer(
            toys.untrained(self.spec),
            parts.x_train,
            parts.y_train,
            x_test=parts.x_test,
            y_test=parts.y_test,
            loss=self.spec.loss,
            lr=self.spec.lr,
            batch_size=self.spec.batch_size,
            seed=self.spec.seed,
        )
        self.rows = [self.trainer.evaluate()]
        self._view: tuple[int, View] | None = None

    def train(self, epochs: int, progress=None) -> None:
        """``epochs`` passes of mini-batch Adam over the training set, one evaluation row per epoch;
        ``progress(done, epochs)`` after each."""
        epochs = checks.positive_int(epochs, "The number of epochs")
        for done in range(1, epochs + 1):
            self.rows.append(self.trainer.epoch())
            if progress is not None:
                progress(done, epochs)
        self._record("e", epochs)

    def step(self, unit: str) -> None:
        """One epoch, or one mini-batch step θ ← Adam(θ, ∇θ (1/|B|) Σ_B ℓ), then an evaluation row."""
        if unit not in STEP_UNITS:
            raise ValueError(f"A step is {' or '.join(STEP_UNITS)}, got {unit!r}.")
        if unit == STEP_UNITS[0]:
            self.rows.append(self.trainer.epoch())
            self._record("e", 1)
        else:
            self.trainer.step()
            self.rows.append(self.trainer.evaluate())
            self._record("b", 1)

    def view(self) -> View:
        """The risks R̂(θ) (train) and held-out, their history, and the decision regions of F_θ on a
        ``RESOLUTION``² grid of [0, 1]² (``core.geometry.decision_regions``), as NumPy."""
        if self._view is not None and self._view[0] == len(self.rows):
            return self._view[1]
        trainer, rows, current = self.trainer, self.rows, self.rows[-1]
        trainer.model.eval()
        with torch.inference_mode():
            regions = geometry.decision_regions(trainer.model, bounds=(0.0, 1.0), resolution=RESOLUTION)
        trainer.model.train()
        parts = toys.split(self.spec)
        m, m_test = len(parts.x_train), len(parts.x_test)
        column = lambda key: np.array([row[key] for row in rows], dtype=float)  # noqa: E731
        view = View(
            epoch=trainer.epoch_count,
            steps=trainer.step_count,
            m=m,
            m_test=m_test,
            classes=parts.classes,
            train_loss=current["train_loss"],
            test_loss=current["test_loss"],
            train_acc=current["train_acc"],
            test_acc=current["test_acc"],
            gap=current["test_loss"] - current["train_loss"],
            history_epochs=column("step") / trainer.steps_per_epoch,
            history_train_loss=column("train_loss"),
            history_test_loss=column("test_loss"),
            history_train_acc=column("train_acc"),
            history_test_acc=column("test_acc"),
            xs=regions.xs.numpy(),
            ys=regions.ys.numpy(),
            labels=regions.labels.numpy(),
            x_train=parts.x_train.numpy(),
            y_train=parts.y_train.numpy(),
            x_test=parts.x_test.numpy(),
            y_test=parts.y_test.numpy(),
            empirical_latex=(
                rf"\hat R(\theta) = \frac{{1}}{{m}}\sum_{{i=1}}^{{m}} \ell\big(F_\theta(x_i), y_i\big) "
                rf"= {current['train_loss']:.3f}\quad\text{{with }} m = {m},\quad "
                rf"\ell(F_\theta(x), y) = {LOSS_FORMULAS[self.spec.loss]}"
            ),
            held_out_latex=(
                rf"\hat R_{{\text{{held-out}}}}(\theta) = \frac{{1}}{{{m_test}}}"
                rf"\sum_{{j=1}}^{{{m_test}}} \ell\big(F_\theta(x'_j), y'_j\big) = {current['test_loss']:.3f}"
            ),
            majority_rate=float(np.bincount(parts.y_train.numpy()).max() / m),
        )
        self._view = (len(rows), view)
        return view


class _Kept:
    """Sessions computed once per process and kept (the last ``size`` keys), handed out as deep copies.

    A key asked for while another caller computes it is not computed twice: the later callers wait for
    the first one and follow its ``progress(done, total)`` on their own callback. A run that stops half-way
    (an exception, a session that goes away) keeps nothing, and one of the waiting callers computes it."""

    def __init__(self, size: int):
        self.size = size
        self._done: OrderedDict = OrderedDict()
        self._running: dict = {}  # key → [latest (done, total) or None, finished?]
        self._changed = threading.Condition()  # guards both; notified at each progress and at each end

    def get(self, key, compute, progress=None) -> Session:
        """A deep copy of the session kept under ``key``, made by ``compute(progress)`` if none is."""
        while True:
            with self._changed:
                if key in self._done:
                    self._done.move_to_end(key)
                    return copy.deepcopy(self._done[key])  # copies only read it: never while another copies
                run = self._running.get(key)
                if run is None:
                    run = self._running[key] = [None, False]
                    break
            self._follow(run, progress)  # another caller computes it: wait, then take the kept one

        def report(done: int, total: int) -> None:
            with self._changed:
                run[0] = (done, total)
                self._changed.notify_all()
            if progress is not None:
                progress(done, total)

        try:
            session = compute(report)
            session.view()  # every copy opens with the view already drawn
            with self._changed:
                self._done[key] = session
                while len(self._done) > self.size:
                    self._done.popitem(last=False)
                return copy.deepcopy(session)
        finally:
            with self._changed:
                run[1] = True
                del self._running[key]
                self._changed.notify_all()

    def _follow(self, run: list, progress) -> None:
        shown = None
        while True:
            with self._changed:
                if run[0] == shown and not run[1]:
                    self._changed.wait(timeout=1.0)
                now, finished = run
            if progress is not None and now is not None and now != shown:
                progress(*now)  # on the waiting caller's own thread (its page's progress bar)
            if finished:
                return
            shown = now


OPENED_KEPT = 16  # trained opening sessions kept per process
REPLAYS_KEPT = 16  # replayed links kept per process
_opened = _Kept(OPENED_KEPT)
_replays = _Kept(REPLAYS_KEPT)


def opened(spec: toys.ToySpec, progress=None) -> Session:
    """A session of one's own on ``spec``, already trained ``spec.epochs`` (= AUTO_EPOCHS) epochs so the
    page opens with its point. The trained openings are kept per process (the last OPENED_KEPT specs),
    each trained once even when several sessions open it at once, and each caller gets a deep copy
    (weights, Adam state, batch order, history), so a spec opened before, by anyone, opens at once and
    no caller ever sees another's training."""

    def compute(report) -> Session:
        session = Session(spec)
        session.train(spec.epochs, report)
        return session

    mine = _opened.get(spec, compute, progress)
    mine.actions = []  # the opening epochs are the spec's, not this lecturer's
    return mine


# The work of a replay, in multiply-add equivalents, counted from the spec and the history before any
# training (replay_work). The two overheads are the fixed cost of a mini-batch step (autograd, Adam) and of
# an evaluation per layer, expressed in multiply-adds; WORK_PER_SECOND is what one CPU core did when
# they were measured (the commit that set them gives the machine and the figures).
STEP_OVERHEAD = 2_000_000  # per (layers + 2), each mini-batch step
EVAL_OVERHEAD = 500_000  # per (layers + 5), each evaluation row
WORK_PER_SECOND = 8_000_000_000
REPLAY_BUDGET = 2 * WORK_PER_SECOND  # what a link replays by itself: what a click does in about 2 s
CLASSES_AT_MOST = 3  # outputs of the network: 2 classes, 3 for blobs (core.data.toy_2d)


@dataclass(frozen=True)
class Replay:
    """What a link's training history asks the server to redo, counted before anything is trained."""

    spec: toys.ToySpec
    tokens: tuple[str, ...]  # the history's actions ("0", "e20", "b3")
    epochs: int
    batches: int  # mini-batch steps
    work: int  # multiply-add equivalents (replay_work)

    @property
    def history(self) -> str:
        return ".".join(self.tokens)

    @property
    def units(self) -> int:
        """Epochs and mini-batch steps, what the replay's ``progress(done, total)`` counts."""
        return self.epochs + self.batches

    @property
    def within_budget(self) -> bool:
        return self.work <= REPLAY_BUDGET

    @property
    def seconds(self) -> float:
        """The replay's time on the core that calibrated WORK_PER_SECOND (a busier server takes longer)."""
        return self.work / WORK_PER_SECOND

    def what(self) -> str:
        """ "2000 epochs", "3 epochs and 1 mini-batch step"."""
        parts = [
            f"{count} {name}{'s' if count != 1 else ''}"
            for count, name in ((self.epochs, "epoch"), (self.batches, "mini-batch step"))
            if count
        ]
        return " and ".join(parts) or "no training"

    def about(self) -> str:
        return f"about {self.seconds:.0f} s" if self.seconds >= 1 else "under a second"

    def refusal(self) -> str:
        """Why the page opens at its trained opening instead of replaying (one sentence)."""
        return (
            f"This link's training ({self.what()}, {self.about()} of the server's time) is more than "
            f"a link starts by itself (what a click does in about {REPLAY_BUDGET / WORK_PER_SECOND:.0f} s), "
            "so the page shows the trained opening with the link's settings: press the button to replay it."
        )

    def button(self) -> str:
        return f"Replay this link's training: {self.what()}, {self.about()}"


class OverBudget(ValueError):
    """A valid history whose replay is beyond REPLAY_BUDGET; ``replay`` says what it would cost."""

    def __init__(self, replay: Replay):
        super().__init__(replay.refusal())
        self.replay = replay


def replay_work(spec: toys.ToySpec, tokens) -> int:
    """The work of redoing ``tokens`` on ``spec``, in multiply-add equivalents, with F the multiply-adds of
    one forward pass of one point through the L affine layers (widths 2, hidden…, CLASSES_AT_MOST), B the
    batch size, m the training and N all the points: an epoch is ⌈m/B⌉ steps, 3·m·F multiply-adds (forward
    and backward) and one evaluation; a mini-batch step 3·B·F and one evaluation; a reset one evaluation.
    A step costs ``STEP_OVERHEAD·(L + 2)`` more, an evaluation N·F/2 + ``EVAL_OVERHEAD·(L + 5)``.
    A pure function of its arguments: nothing is trained, nothing is timed."""
    sizes = (2, *spec.hidden, CLASSES_AT_MOST)
    forward, layers = sum(a * b for a, b in zip(sizes, sizes[1:])), len(sizes) - 1
    held_out = min(max(1, round(spec.points * spec.test_fraction)), spec.points - 1)  # data.train_test_split
    m = spec.points - held_out
    step = STEP_OVERHEAD * (layers + 2)
    evaluation = spec.points * forward // 2 + EVAL_OVERHEAD * (layers + 5)
    epoch = -(-m // spec.batch_size) * step + 3 * m * forward + evaluation
    batch = step + 3 * spec.batch_size * forward + evaluation
    work = 0
    for token in tokens:
        count = 1 if token == RESET_TOKEN else int(token[1:])
        work += count * {"e": epoch, "b": batch}.get(token[0], evaluation)
    return work


def plan(spec: toys.ToySpec, history: str) -> Replay:
    """The replay that ``history`` (:meth:`Session.history`) asks for, counted before any training.
    ValueError (one sentence) for a history this page did not write or beyond MAX_REPLAYED_EPOCHS /
    MAX_REPLAYED_BATCHES; a history within them but beyond REPLAY_BUDGET is a valid plan
    (``within_budget`` False)."""
    tokens = [token for token in str(history).split(".") if token] if history else []
    epochs = batches = 0
    for position, token in enumerate(tokens):
        # ASCII digits only, at most 6: str.isdigit accepts '²' (which int() refuses in its own words)
        # and a 5,000-digit count would reach Python's own limit on int().
        ok = (token == RESET_TOKEN and position == 0) or re.fullmatch(r"[eb][1-9][0-9]{0,5}", token)
        if not ok:
            shown = str(history) if len(str(history)) <= 40 else str(history)[:40] + "…"
            raise ValueError(
                f'The training history {shown!r} is not one this page wrote (e.g. "e20.b3" or '
                f'"0.e5"): the page opens at its trained opening instead.'
            )
        epochs += int(token[1:]) if token[:1] == "e" else 0
        batches += int(token[1:]) if token[:1] == "b" else 0
    if epochs > MAX_REPLAYED_EPOCHS or batches > MAX_REPLAYED_BATCHES:
        raise ValueError(
            f"A link replays at most {MAX_REPLAYED_EPOCHS} epochs and {MAX_REPLAYED_BATCHES} mini-batch "
            f"steps, this one asks for {epochs} and {batches}: the page opens at its trained opening instead."
        )
    return Replay(
        spec=spec, tokens=tuple(tokens), epochs=epochs, batches=batches, work=replay_work(spec, tokens)
    )


def replayed(spec: toys.ToySpec, history: str, progress=None, *, beyond_budget: bool = False) -> Session:
    """The opened session of ``spec`` with ``history`` (:meth:`Session.history`) redone: a link replays the
    training a lecturer clicked through, with the same weights, numbers and risk curves (the batch order
    and θ₀ come from the spec's seed). ``progress(done, total)`` counts the opening's epochs, then the
    history's epochs and mini-batch steps.

    ValueError (one sentence) for a history that is not one (:func:`plan`); :class:`OverBudget` for one
    beyond REPLAY_BUDGET unless ``beyond_budget`` (the page's button, pressed). Each (spec, history) is
    replayed once per process (the last REPLAYS_KEPT kept) and every caller gets its own deep copy."""
    replay = plan(spec, history)
    if not replay.tokens:
        return opened(spec, progress)
    if not (replay.within_budget or beyond_budget):
        raise OverBudget(replay)

    def compute(report) -> Session:
        session, done = opened(spec, report), 0
        for token in replay.tokens:
            count = 0 if token == RESET_TOKEN else int(token[1:])
            if token == RESET_TOKEN:
                session.reset()
            elif token[0] == "e":
                session.train(count, lambda finished, _, start=done: report(start + finished, replay.units))
            else:
                for finished in range(1, count + 1):
                    session.step(STEP_UNITS[1])
                    report(done + finished, replay.units)
            done += count
        return session

    return _replays.get((spec, replay.tokens), compute, progress)


def warm() -> None:
    """Train the opening session of the default widgets at seed 0 (ui.warmup, before the first visit)."""
    opened(spec(**SPEC_DEFAULTS, seed=0)).view()
