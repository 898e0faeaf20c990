"""2 · A network is a composition F = φ(N)∘…∘φ(1): what each layer does to the data, what width and
depth buy (over-parametrisation, overfitting), and Cybenko's universal approximation.

Three parts, three scene functions: :func:`layers` (a trained toy network, ``core.toys.model``, and
its per-layer representations), :func:`sweep` (a width × depth sweep on a small noisy set; the full
one is computed network by network with :func:`sweep_network` behind a button) and
:func:`approximation` (one-hidden-layer sigmoid fits). Every sweep and fit at seed 0, and the ones the page
opens with at the other seeds of core.toys.SHIPPED_SEEDS, are shipped in ``assets/scenes/composition.json`` by
:func:`build` (its own format, not the scene kit's: the fits of a discontinuous target and the widest sweep
networks are chaotic in the float rounding, so they equal a live run on the same CPU kind only, and the kit's
test compares every result; docs/ARCHITECTURE.md, "Reproducibility"); other values are computed live.
"""

from __future__ import annotations

import dataclasses
import functools
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from core import checks, data, geometry, models, toys, training
from core.files import write_atomic
from core.scenes.parameters import Parameter, declare, defaults
from core.seeds import check_seed, stream_generator, stream_seed

# ── How each layer moves the data ────────────────────────────────────────────
POINTS, DATA_NOISE, EPOCHS, LEARNING_RATE, BATCH_SIZE = 400, 0.1, 150, 3e-2, 64
DATASETS = data.TOY_DATASETS
ACTIVATIONS = models.ACTIVATIONS
DEPTH_RANGE = (1, 5)
WIDTHS = (2, 3, 4, 8, 16, 32)

# ── Width and depth ──────────────────────────────────────────────────────────
SWEEP_POINTS, SWEEP_NOISE, SWEEP_LABEL_NOISE, SWEEP_LR = 100, 0.15, 0.1, 1e-2
QUICK_SWEEP = {"widths": (4, 32, 256), "depths": (2,), "epochs": 300}
FULL_SWEEP = {"widths": (2, 4, 8, 16, 32, 64, 128, 256, 512), "depths": (1, 2, 3), "epochs": 600}

# ── Universal approximation ──────────────────────────────────────────────────
FUNCTIONS = tuple(geometry.TARGET_FUNCTIONS)
APPROXIMATION_WIDTHS = (1, 2, 4, 8, 16, 32, 64)
PARAMETERS = declare(
    Parameter("dataset", "p02_dataset", "moons", choices=DATASETS),
    Parameter("depth", "p02_depth", 3, low=DEPTH_RANGE[0], high=DEPTH_RANGE[1]),
    Parameter("width", "p02_width", 2, choices=WIDTHS),
    Parameter("activation", "p02_activation", "gelu", choices=ACTIVATIONS),
    Parameter("function", "p02_function", FUNCTIONS[0], choices=FUNCTIONS),
    Parameter("max_width", "p02_max_width", 32, choices=APPROXIMATION_WIDTHS[1:]),
)
DEFAULTS = defaults(PARAMETERS)
NETWORK_DEFAULTS = {name: DEFAULTS[name] for name in ("dataset", "depth", "width", "activation")}  # layers()
APPROXIMATION_STEPS, APPROXIMATION_LR, APPROXIMATION_POINTS = 600, 0.03, 200
# Cybenko's theorem covers continuous f only. Whether a target is continuous is measured, not declared: the
# largest step |f(t_{k+1}) − f(t_k)| between neighbours of an equally spaced grid shrinks with the grid's
# spacing for a continuous (here Lipschitz) f, and stays near the jump's size where f jumps. Two grids, 10×
# apart.
CONTINUITY_GRIDS = (10_001, 100_001)

SHIPPED_PATH = Path(__file__).resolve().parents[2] / "assets" / "scenes" / "composition.json"
BUILD_COMMAND = "python -m core.scenes build --scene p02_composition"
SHIPPED_SEED = 0

# Lecture mode (core.scenes.lecture): what the page reveals at each step, in order.
STEPS = (
    "Question: what does each layer do to the data?",
    "Each φ(i) moves the data",
    "Width and depth: over-parametrisation",
    "Cybenko: one hidden layer suffices",
)

EXPLANATION = r"""
A feed-forward network is a composition of simple layers
$F = \varphi^{(N)}\circ\dots\circ\varphi^{(1)}$ with $\varphi^{(i)}(z) = \sigma(W_i z + b_i)$ (the last layer
is affine and outputs the logits). Each layer **moves the data**: below, the training points after
$\varphi^{(1)}$, then $\varphi^{(2)}\circ\varphi^{(1)}$, … up to the logits, which are an affine function of
the last hidden representation: the network classifies well only where that representation is linearly
separable. Then: what width and depth buy (over-parametrisation, overfitting), and why one hidden layer
already suffices in principle (Cybenko 1989).
"""
USES = (
    "2-D toy sets and feed-forward networks trained by ERM (core.toys.model: shipped for the opening "
    "values, trained on demand otherwise); the sweep trains core.models.feed_forward networks "
    "full-batch; 1-D sigmoid networks fitted as in core.geometry.universal_approximation."
)
CYBENKO = (
    r"Finite sums $g(t) = \sum_{j=1}^{N} a_j\,\sigma(w_j t + b_j) + c$ of sigmoids are dense in "
    r"$C([0,1])$ (Cybenko 1989): for every continuous $f$ and $\epsilon > 0$ some width $N$ gives "
    r"$\sup_t |g(t) - f(t)| < \epsilon$. Below, one-hidden-layer fits of growing width $N$ "
    f"({APPROXIMATION_STEPS} Adam steps on the mean squared error)."
)


# ─────────────────────────────────────────────────────────────── layers


def toy_spec(*, dataset: str, depth: int, width: int, activation: str, seed: int) -> toys.ToySpec:
    """The trained composition network of the first part: ``depth`` hidden layers of ``width`` units,
    trained by ERM (Adam, ``EPOCHS`` epochs) on ``POINTS`` points of ``dataset``."""
    check_seed(seed)
    checks.one_of(dataset, DATASETS, "The dataset")
    checks.one_of(activation, ACTIVATIONS, "The activation")
    checks.integer(depth, *DEPTH_RANGE, "The depth (hidden layers)")
    checks.integer(width, 1, max(WIDTHS), "The width")
    return toys.ToySpec(
        dataset=dataset,
        points=POINTS,
        data_noise=DATA_NOISE,
        hidden=(width,) * depth,
        activation=activation,
        epochs=EPOCHS,
        lr=LEARNING_RATE,
        batch_size=BATCH_SIZE,
        seed=seed,
    )


def _variations() -> list[toys.ToySpec]:
    """The opening network and every network one widget away from it (seed 0)."""
    base = dict(NETWORK_DEFAULTS, seed=SHIPPED_SEED)
    values = (
        [base]
        + [base | {"dataset": d} for d in DATASETS]
        + [base | {"width": w} for w in WIDTHS]
        + [base | {"depth": d} for d in range(DEPTH_RANGE[0], DEPTH_RANGE[1] + 1)]
        + [base | {"activation": a} for a in ACTIVATIONS]
    )
    specs = {}
    for value in values:
        spec = toy_spec(**value)
        specs.setdefault(spec.key(), spec)
    return list(specs.values())


def opening_toys(seed: int) -> list[toys.ToySpec]:
    """The toy networks the page opens with at ``seed`` (its default widgets)."""
    return [toy_spec(**NETWORK_DEFAULTS, seed=seed)]


# Seed 0: the opening network and every one a widget away; the other shipped seeds: the opening one.
SHIPPED_TOYS = _variations() + [
    spec for seed in toys.SHIPPED_SEEDS if seed != SHIPPED_SEED for spec in opening_toys(seed)
]


def plane(z: np.ndarray) -> tuple[np.ndarray, str]:
    """A 2-D view of the representations ``z`` (n × d): ``z`` itself when d = 2, (z, 0) when d = 1,
    else the projection of the centred z on its first two principal directions, computed by a
    deterministic SVD (each direction's largest entry made positive, so the view never flips)."""
    z = np.asarray(z, dtype=np.float64).reshape(len(z), -1)
    if z.shape[1] == 2:
        return z.copy(), "coordinates"
    if z.shape[1] == 1:
        return np.concatenate([z, np.zeros_like(z)], axis=1), "coordinate"
    centred = z - z.mean(axis=0)
    _, _, directions = np.linalg.svd(centred, full_matrices=False)
    directions = directions[:2]
    signs = np.sign(directions[np.arange(2), np.abs(directions).argmax(axis=1)])
    return centred @ (directions * signs[:, None]).T, "PCA"


@dataclass(frozen=True)
class Layers:
    """The data after each layer of the trained network F (all ``POINTS`` points)."""

    names: tuple[str, ...]  # "input x", "φ(1)(x)", …, "logits F(x)"
    dims: tuple[int, ...]  # dimension of each representation
    planes: tuple[np.ndarray, ...]  # n × 2 view of each (see plane)
    projections: tuple[str, ...]  # "coordinates", "coordinate" or "PCA"
    labels: np.ndarray  # class of each point
    classes: int
    train_acc: float
    test_acc: float
    parameters: int
    separated: bool  # the affine last layer classifies every training point right
    caption: str


def layers(*, dataset: str, depth: int, width: int, activation: str, seed: int) -> Layers:
    """The representations x, φ(1)(x), φ(2)∘φ(1)(x), …, F(x) of the toy set through the trained network
    F = φ(N)∘…∘φ(1), φ(i)(z) = σ(W_i z + b_i) (``core.models.Layered.representations``), with its
    train / held-out accuracy. The logits are affine in the last hidden representation, so the train
    accuracy says how far the network made the classes linearly separable there."""
    spec = toy_spec(dataset=dataset, depth=depth, width=width, activation=activation, seed=seed)
    model = toys.model(spec)
    parts = toys.split(spec)
    x, y = torch.cat([parts.x_train, parts.x_test]), torch.cat([parts.y_train, parts.y_test])
    with torch.inference_mode():
        representations = [z.flatten(1).numpy() for z in model.representations(x)]
        _, train_acc = training.risk_and_accuracy(model, parts.x_train, parts.y_train)
        _, test_acc = training.risk_and_accuracy(model, parts.x_test, parts.y_test)
    hidden = len(representations) - 2
    names = (
        ("input x",)
        + tuple("φ(1)(x)" if i == 1 else f"φ({i})∘…∘φ(1)(x)" for i in range(1, hidden + 1))
        + ("logits F(x)",)
    )
    views = [plane(z) for z in representations]
    separated = train_acc == 1.0
    caption = f"The affine last layer classifies {train_acc:.1%} of the training points right: " + (
        "the classes are linearly separable in the last hidden representation."
        if separated
        else f"{1 - train_acc:.1%} still lie on the wrong side of its boundary in the last hidden "
        "representation."
    )
    return Layers(
        names=names,
        dims=tuple(z.shape[1] for z in representations),
        planes=tuple(view for view, _ in views),
        projections=tuple(how for _, how in views),
        labels=y.numpy(),
        classes=parts.classes,
        train_acc=train_acc,
        test_acc=test_acc,
        parameters=models.count_parameters(model),
        separated=separated,
        caption=caption,
    )


# ─────────────────────────────────────────────────────────────── width and depth


def sweep_spec(*, dataset: str, seed: int) -> toys.ToySpec:
    """The sweep's small, noisy problem: ``SWEEP_POINTS`` points with ``SWEEP_LABEL_NOISE`` of flipped
    labels, half held out (only the data fields matter: ``core.toys.split``)."""
    check_seed(seed)
    checks.one_of(dataset, DATASETS, "The dataset")
    return toys.ToySpec(
        dataset=dataset,
        points=SWEEP_POINTS,
        data_noise=SWEEP_NOISE,
        label_noise=SWEEP_LABEL_NOISE,
        test_fraction=0.5,
        seed=seed,
    )


@dataclass(frozen=True)
class SweepRow:
    width: int
    depth: int
    parameters: int
    train_loss: float
    train_acc: float
    test_loss: float
    test_acc: float


def _fit_network(
    parts: toys.Split, *, width: int, depth: int, epochs: int, init_seed: int, order_seed: int
) -> SweepRow:
    """ERM on the full batch: ``epochs`` Adam steps (lr ``SWEEP_LR``) of a ReLU network of ``depth``
    hidden layers of ``width`` units, then its empirical and held-out risk and accuracy. Same maths as
    ``core.geometry.width_depth_sweep`` without its per-epoch evaluations."""
    model = models.feed_forward(2, [width] * depth, parts.classes, activation="relu", seed=init_seed)
    trainer = training.Trainer(
        model,
        parts.x_train,
        parts.y_train,
        x_test=parts.x_test,
        y_test=parts.y_test,
        lr=SWEEP_LR,
        batch_size=len(parts.x_train),
        seed=order_seed,
    )
    for _ in range(epochs * trainer.steps_per_epoch):
        trainer.step()
    last = trainer.evaluate()
    return SweepRow(
        width=width,
        depth=depth,
        parameters=models.count_parameters(model),
        train_loss=last["train_loss"],
        train_acc=last["train_acc"],
        test_loss=last["test_loss"],
        test_acc=last["test_acc"],
    )


def sweep_network(*, dataset: str, width: int, depth: int, epochs: int, seed: int) -> SweepRow:
    """One network of the sweep (see :func:`_fit_network`), initialised from the stream "sweep/init"
    and batched by "sweep/order" of ``seed``."""
    checks.integer(width, 1, 4096, "The width")
    checks.integer(depth, 0, 8, "The depth")
    checks.integer(epochs, 1, 100_000, "The number of epochs")
    parts = toys.split(sweep_spec(dataset=dataset, seed=seed))
    return _fit_network(
        parts,
        width=width,
        depth=depth,
        epochs=epochs,
        init_seed=stream_seed(seed, "sweep/init"),
        order_seed=stream_seed(seed, "sweep/order"),
    )


def sweep_pairs(full: bool) -> list[tuple[int, int]]:
    """The (width, depth) pairs of the quick or the full sweep, depth-major."""
    settings = FULL_SWEEP if full else QUICK_SWEEP
    return [(width, depth) for depth in settings["depths"] for width in settings["widths"]]


@dataclass(frozen=True)
class Sweep:
    dataset: str
    full: bool
    epochs: int
    rows: tuple[SweepRow, ...]
    widest: SweepRow  # largest width, then largest depth
    memorised: bool  # the widest network fits every training label (flipped ones too)
    gap: float  # its held-out − train accuracy
    train_points: int
    caption: str


def summarise(rows, *, dataset: str, full: bool) -> Sweep:
    """The sweep's rows with what its caption states, computed from them."""
    rows = tuple(rows)
    if not rows:
        raise ValueError("A sweep needs at least one network.")
    widest = max(rows, key=lambda row: (row.width, row.depth))
    memorised = widest.train_acc == 1.0
    gap = widest.test_acc - widest.train_acc
    train_points = SWEEP_POINTS - round(SWEEP_POINTS * 0.5)
    flipped = f"{SWEEP_LABEL_NOISE:.0%} flipped labels"
    caption = (
        f"The widest network (width {widest.width}, depth {widest.depth}, {widest.parameters:,} "
        f"parameters for {train_points} points) "
        + (
            f"fits every training label, the {flipped} included: it memorised them; "
            if memorised
            else f"fits {widest.train_acc:.0%} of the training labels ({flipped}); "
        )
        + f"its held-out accuracy is {widest.test_acc:.0%}, {abs(gap):.0%} "
        + ("below" if gap < 0 else "above" if gap > 0 else "equal to")
        + " its train accuracy."
    )
    settings = FULL_SWEEP if full else QUICK_SWEEP
    return Sweep(
        dataset=dataset,
        full=full,
        epochs=settings["epochs"],
        rows=rows,
        widest=widest,
        memorised=memorised,
        gap=gap,
        train_points=train_points,
        caption=caption,
    )


def sweep(*, dataset: str, seed: int, full: bool = False) -> Sweep:
    """Networks of every width and depth of the quick (or full) sweep trained to convergence on
    ``sweep_spec``'s few noisy points: train vs held-out accuracy (over-parametrisation and
    overfitting). The quick sweep is read from the shipped results where :func:`build` shipped it."""
    if not isinstance(full, bool):
        raise ValueError(f"full must be True or False, got {full!r}.")
    sweep_spec(dataset=dataset, seed=seed)
    settings = FULL_SWEEP if full else QUICK_SWEEP
    shipped = None if full else _shipped().get("sweeps", {}).get(str(seed), {}).get(dataset)
    if shipped is not None:
        rows = [SweepRow(**row) for row in shipped]
    else:
        rows = [
            sweep_network(dataset=dataset, width=width, depth=depth, epochs=settings["epochs"], seed=seed)
            for width, depth in sweep_pairs(full)
        ]
    return summarise(rows, dataset=dataset, full=full)


# ─────────────────────────────────────────────────────────────── universal approximation


def fit_width(*, function: str, width: int, seed: int) -> tuple[np.ndarray, float]:
    """One width N's fit g of f (core.geometry's Cybenko fit: Adam on the MSE from N soft steps spread
    over [0, 1]), started from the stream "approximation/N" of ``seed``: (g on the points, its MSE)."""
    check_seed(seed)
    checks.one_of(function, FUNCTIONS, "The function")
    checks.integer(width, 1, 4096, "The width")
    # float64: the fit is then the same on every x86 CPU and thread count (see fit_sigmoid_network).
    xs = torch.linspace(0.0, 1.0, APPROXIMATION_POINTS, dtype=torch.float64)
    fitted, mse = geometry.fit_sigmoid_network(
        xs,
        geometry.TARGET_FUNCTIONS[function](xs).double(),
        width,
        steps=APPROXIMATION_STEPS,
        lr=APPROXIMATION_LR,
        generator=stream_generator(seed, f"approximation/{width}"),
    )
    return fitted.float().numpy(), mse


@functools.lru_cache(maxsize=256)
def _fit(function: str, width: int, seed: int) -> tuple[np.ndarray, float]:
    """:func:`fit_width`, read from the shipped results where :func:`build` shipped it, kept per width in
    this process (so moving the largest width fits only the new one)."""
    shipped = _shipped().get("approximation", {}).get(str(seed), {}).get(function, {}).get(str(width))
    if shipped is not None:
        return np.asarray(shipped["fit"], dtype=np.float32), float(shipped["mse"])
    return fit_width(function=function, width=width, seed=seed)


@dataclass(frozen=True)
class Continuity:
    """Whether a target f is continuous on [0, 1], measured on the grids CONTINUITY_GRIDS."""

    function: str
    continuous: bool
    jump: float  # largest step of f on the finer grid: a jump's size, ~0 when continuous
    jumps_at: tuple[float, ...]  # where f jumps by more than half its largest jump (empty when continuous)
    sup_floor: float  # every continuous g has sup_t |g(t) − f(t)| ≥ jump / 2 (0 when continuous)


@functools.lru_cache(maxsize=16)
def continuity(function: str) -> Continuity:
    """Measure whether TARGET_FUNCTIONS[function] is continuous: its largest step between neighbours of the
    coarse and of the fine grid (CONTINUITY_GRIDS, float64). The step shrinks about 10× for a continuous f; a
    jump keeps it (≥ half the coarse grid's). A jump of size J at t₀ bounds every continuous g:
    sup_t |g(t) − f(t)| ≥ J/2, since g, continuous at t₀, cannot come closer than J/2 to both one-sided limits
    of f there."""
    checks.one_of(function, FUNCTIONS, "The function")
    target = geometry.TARGET_FUNCTIONS[function]
    steps = [
        target(torch.linspace(0.0, 1.0, n, dtype=torch.float64)).double().diff().abs()
        for n in CONTINUITY_GRIDS
    ]
    coarse, fine = (float(step.max()) for step in steps)
    if fine < 0.5 * coarse:
        return Continuity(function, True, 0.0, (), 0.0)
    where = (steps[1] > fine / 2).nonzero().flatten().double()
    at = tuple(sorted({round(float((k + 0.5) / (CONTINUITY_GRIDS[1] - 1)), 3) for k in where}))
    return Continuity(function, False, fine, at, fine / 2)


def theorem_text(fact: Continuity) -> str:
    """What Cybenko's theorem says about this target, from its measured continuity."""
    if fact.continuous:
        return (
            f"$f$ = {fact.function} is continuous on $[0, 1]$: Cybenko's theorem applies, so a wide enough "
            r"$N$ makes the sup-norm error $\sup_t |g(t) - f(t)|$ as small as wanted (and the mean squared "
            "error with it)."
        )
    places = ", ".join(f"{t:g}" for t in fact.jumps_at)
    return (
        f"$f$ = {fact.function} is **not continuous**: it jumps by up to {fact.jump:.3g} at "
        f"$t \\approx$ {places}. Cybenko's theorem covers continuous $f$ only. Every $g$ here is "
        "continuous, so "
        rf"$\sup_t |g(t) - f(t)| \ge$ {fact.sup_floor:.3g} (half the jump) for every width $N$: the sup-norm "
        "error cannot go to 0. Only the mean squared ($L^2$) error can, as steeper sigmoids confine the "
        "error to a shrinking interval around each jump."
    )


@dataclass(frozen=True)
class Approximation:
    function: str
    xs: np.ndarray
    target: np.ndarray
    widths: tuple[int, ...]
    fits: tuple[np.ndarray, ...]
    mse: tuple[float, ...]
    decreasing: bool  # every wider fit has a smaller MSE
    caption: str
    continuity: Continuity  # whether f is continuous (Cybenko's theorem applies) and its jumps
    theorem: str  # what the theorem says for this f, from ``continuity``


def approximation(*, function: str, max_width: int, seed: int) -> Approximation:
    """Cybenko 1989: fits g(t) = Σⱼ₌₁ᴺ aⱼ σ(wⱼ t + bⱼ) + c of the target f on ``APPROXIMATION_POINTS``
    points of [0, 1] for every width N ≤ ``max_width`` of APPROXIMATION_WIDTHS (Adam,
    ``APPROXIMATION_STEPS`` full-batch steps of the MSE), and the final MSE of each."""
    check_seed(seed)
    checks.one_of(function, FUNCTIONS, "The function")
    checks.one_of(max_width, APPROXIMATION_WIDTHS[1:], "The largest width")
    widths = tuple(w for w in APPROXIMATION_WIDTHS if w <= max_width)
    results = [_fit(function, width, seed) for width in widths]
    xs = torch.linspace(0.0, 1.0, APPROXIMATION_POINTS)
    mse = tuple(error for _, error in results)
    decreasing = all(b < a for a, b in zip(mse, mse[1:]))
    caption = (
        f"The mean squared error falls from {mse[0]:.2e} (N = {widths[0]}) to {mse[-1]:.2e} "
        f"(N = {widths[-1]}), {mse[0] / mse[-1]:.3g}× smaller"
        if mse[-1] < mse[0]
        else f"The mean squared error does not fall from N = {widths[0]} ({mse[0]:.2e}) to "
        f"N = {widths[-1]} ({mse[-1]:.2e})"
    )
    fact = continuity(function)
    if not decreasing:
        worse = next(k for k in range(1, len(mse)) if mse[k] >= mse[k - 1])
        exists = (
            "Cybenko's theorem says a good g exists"
            if fact.continuous
            else "a g with a smaller mean squared error exists"
        )
        caption += (
            f"; not at every step: N = {widths[worse]} does no better than N = {widths[worse - 1]} "
            f"(a local minimum of a non-convex fit; {exists}, not that Adam finds it)"
        )
    return Approximation(
        function=function,
        xs=xs.numpy(),
        target=geometry.TARGET_FUNCTIONS[function](xs).numpy(),
        widths=widths,
        fits=tuple(fit for fit, _ in results),
        mse=mse,
        decreasing=decreasing,
        caption=caption + ".",
        continuity=fact,
        theorem=theorem_text(fact),
    )


# ─────────────────────────────────────────────────────────────── shipped results


def _settings() -> dict:
    """Everything the shipped numbers depend on besides the code: a change invalidates them."""
    return {
        "seeds": list(toys.SHIPPED_SEEDS),
        "sweep": {
            "points": SWEEP_POINTS,
            "noise": SWEEP_NOISE,
            "label_noise": SWEEP_LABEL_NOISE,
            "lr": SWEEP_LR,
            "quick": {k: list(v) if isinstance(v, tuple) else v for k, v in QUICK_SWEEP.items()},
        },
        "approximation": {
            "steps": APPROXIMATION_STEPS,
            "lr": APPROXIMATION_LR,
            "points": APPROXIMATION_POINTS,
            "widths": list(APPROXIMATION_WIDTHS),
        },
    }


@functools.lru_cache(maxsize=4)
def _read(path: str) -> dict:
    try:
        content = json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return {}
    return content if isinstance(content, dict) and content.get("settings") == _settings() else {}


def _shipped() -> dict:
    """The shipped results when they exist and were built with today's settings, else {} (computed live)."""
    return _read(str(SHIPPED_PATH))


def warm() -> None:
    """Load the shipped networks and results and compute the opening layers once (ui.warmup), so the
    first visit and every one-widget move from the opening values read memory."""
    _shipped()
    for spec in SHIPPED_TOYS:
        if spec.seed == SHIPPED_SEED and toys.shipped(spec) is not None:
            toys.model(spec)
    layers(**NETWORK_DEFAULTS, seed=SHIPPED_SEED)
    approximation(function=DEFAULTS["function"], max_width=DEFAULTS["max_width"], seed=SHIPPED_SEED)


def shipped_calls() -> list[tuple[int, str, str, int | None]]:
    """What :func:`build` ships, as (seed, "sweep" or "fit", dataset or function, width): at seed 0 the quick
    sweep of every dataset and the fits of every function and width; at the other seeds of
    core.toys.SHIPPED_SEEDS what the page opens with (the default dataset's sweep, the first function's fits
    up to the opening max_width), so that moving the sidebar's seed reads the file."""
    calls = []
    for seed in toys.SHIPPED_SEEDS:
        opening = seed != SHIPPED_SEED
        datasets = (DEFAULTS["dataset"],) if opening else DATASETS
        functions = FUNCTIONS[:1] if opening else FUNCTIONS
        widths = (
            [w for w in APPROXIMATION_WIDTHS if w <= DEFAULTS["max_width"]]
            if opening
            else APPROXIMATION_WIDTHS
        )
        calls += [(seed, "sweep", dataset, None) for dataset in datasets]
        calls += [(seed, "fit", function, width) for function in functions for width in widths]
    return calls


def build(path: Path | None = None) -> dict:
    """Compute every result of :func:`shipped_calls` and write them (atomically) to
    ``assets/scenes/composition.json``: ``sweeps[seed][dataset]`` rows, ``approximation[seed][function]
    [width]`` fits."""
    path = Path(path or SHIPPED_PATH)
    _read.cache_clear()
    _fit.cache_clear()
    content = {"command": BUILD_COMMAND, "settings": _settings(), "sweeps": {}, "approximation": {}}
    for seed, kind, name, width in shipped_calls():
        if kind == "sweep":
            rows = [
                sweep_network(dataset=name, width=w, depth=d, epochs=QUICK_SWEEP["epochs"], seed=seed)
                for w, d in sweep_pairs(False)
            ]
            content["sweeps"].setdefault(str(seed), {})[name] = [dataclasses.asdict(row) for row in rows]
        else:
            fit, mse = fit_width(function=name, width=width, seed=seed)
            fits = content["approximation"].setdefault(str(seed), {}).setdefault(name, {})
            fits[str(width)] = {"fit": [float(v) for v in fit], "mse": mse}
    write_atomic(path, json.dumps(content) + "\n")
    _read.cache_clear()
    _fit.cache_clear()
    return content
