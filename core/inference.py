"""The fastest way to run a frozen classifier on many noisy copies, on the machine this runs on.

CERTIFY spends all its time in forward passes of the base classifier F on x + ε. How fast F runs
depends on the machine (memory format, native bf16 or not, whether a frozen TorchScript graph
with convolutions fused to their batch norm and ReLU beats the eager model: bench/RESULTS.md holds
the figures). So :func:`calibrate` measures, at the start of a run, a few exact fp32 ways of running F —
memory format, convolution–batch-norm folding, eager or frozen graph, batch size within a memory
budget — on noisy copies drawn on the device, and returns the fastest as an :class:`InferencePlan`;
:func:`prepare` applies it to a copy of the model (the caller's model is never modified).

fp32 is the certified classifier: a candidate that changes the argmax of any calibration copy is
rejected, and the noise never depends on the plan (``core.smoothing`` draws it in fixed chunks), so
the counts are those of the plain model. bf16 autocast is a different classifier: only on explicit
request (``precision="bf16"``), only where the hardware runs bf16 natively (:func:`native_bf16`),
and recorded with the results, so that PREDICT and CERTIFY both use it.
"""

from __future__ import annotations

import copy
import statistics
import threading
import time
import warnings
from dataclasses import asdict, dataclass, field, replace

import torch
from torch import nn

from core import checks
from core.device import make_generator, resolve_device, strict_fp32

PRECISIONS = ("fp32", "bf16")
MEMORY_FORMATS = ("contiguous", "channels_last")
GRAPHS = ("eager", "frozen")
CPU_MEMORY_BUDGET = 2 * 1024**3  # bytes of activations a CPU run may hold at once
GPU_MEMORY_SHARE = 0.5  # of the GPU memory free at calibration
CPU_BATCH_SIZES = (100, 250, 500, 1000, 2000)
GPU_BATCH_SIZES = (1000, 2000, 4000, 8000, 16000)
CONFIRM_ROUNDS = 5  # the best batch sizes meet again side by side (_tournament)
CONTENDERS = 3


@dataclass(frozen=True)
class InferencePlan:
    """How to run the base classifier: ``precision`` ("fp32" or "bf16" autocast), ``memory_format``
    ("contiguous" or "channels_last"), ``fold_batchnorm`` (eval-mode batch norm folded into the
    convolution before it), ``graph`` ("eager", or "frozen": a traced and frozen TorchScript graph,
    which folds batch norm itself), ``batch_size`` (noisy copies per forward pass). ``samples_per_second``
    is the throughput calibration measured for it, ``measured`` every candidate's
    (label, batch size, samples/s), ``device`` where it was measured."""

    precision: str = "fp32"
    memory_format: str = "contiguous"
    fold_batchnorm: bool = False
    batch_size: int = 1000
    graph: str = "eager"
    samples_per_second: float | None = None
    device: str = "cpu"
    measured: tuple = field(default=(), compare=False)

    @property
    def label(self) -> str:
        parts = [self.precision, "NHWC" if self.memory_format == "channels_last" else "NCHW"]
        if self.fold_batchnorm:
            parts.append("BN folded")
        if self.graph == "frozen":
            parts.append("frozen graph")
        return ", ".join(parts)

    def record(self) -> dict:
        """A JSON-ready dict for result files (read back by :meth:`from_record`)."""
        record = asdict(self)
        record["measured"] = [list(row) for row in self.measured]
        if self.device.startswith("cuda") and self.precision == "fp32":
            record["fp32_kernels"] = (
                "ieee"  # core.device.strict_fp32: no TF32 (files without it used cuDNN's TF32)
            )
        return record

    @classmethod
    def from_record(cls, record: dict | None) -> "InferencePlan":
        """The plan of a result file; files written before plans were recorded ran fp32 NCHW."""
        if not record:
            return cls()
        known = {key: record[key] for key in cls.__dataclass_fields__ if key in record}
        known["measured"] = tuple(tuple(row) for row in known.get("measured", ()))
        return cls(**known)


def native_bf16(device="cpu") -> bool:
    """Whether ``device`` computes in bfloat16 natively (CUDA compute capability ≥ 8, or a CPU with
    AVX512-BF16 / AMX, as oneDNN reports it); elsewhere bf16 is emulated and slower than fp32."""
    device = resolve_device(device)
    if device.type == "cuda":
        return bool(torch.cuda.is_bf16_supported())
    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):  # a private oneDNN probe: absent from some builds
        return False


def check_precision(precision: str, device="cpu") -> str:
    """``precision`` if it is one of PRECISIONS and the device runs it natively, else one sentence."""
    if precision not in PRECISIONS:
        raise ValueError(f"Unknown precision {precision!r}: choose fp32 (the certified classifier) or bf16.")
    if precision == "bf16" and not native_bf16(device):
        raise ValueError(
            f"This {resolve_device(device).type.upper()} has no native bfloat16 support, so bf16 "
            "would be slower than fp32 and certify another classifier: use --precision fp32."
        )
    return precision


# ---------------------------------------------------------------------------- applying a plan


def fold_batchnorm(model: nn.Module) -> nn.Module:
    """A copy of ``model`` in which every eval-mode BatchNorm2d that directly follows a Conv2d inside
    an nn.Sequential is folded into it: W' = W·γ/√(var + eps), b' = (b − mean)·γ/√(var + eps) + β."""
    from torch.nn.utils.fusion import fuse_conv_bn_eval

    folded = copy.deepcopy(model).eval()
    for parent in folded.modules():
        if not isinstance(parent, nn.Sequential):
            continue
        names = list(parent._modules)
        for first, second in zip(names, names[1:]):
            conv, norm = parent._modules[first], parent._modules[second]
            if isinstance(conv, nn.Conv2d) and isinstance(norm, nn.BatchNorm2d) and norm.track_running_stats:
                parent._modules[first] = fuse_conv_bn_eval(conv, norm)
                parent._modules[second] = nn.Identity()
    return folded


def has_conv_batchnorm(model: nn.Module) -> bool:
    for parent in model.modules():
        if isinstance(parent, nn.Sequential):
            children = list(parent.children())
            if any(
                isinstance(a, nn.Conv2d) and isinstance(b, nn.BatchNorm2d)
                for a, b in zip(children, children[1:])
            ):
                return True
    return False


def can_freeze(model: nn.Module) -> bool:
    """Whether ``model`` may be traced into a frozen graph: tracing records one run, so a model that
    draws its own randomness (a noise-injection layer) or branches in Python would be recorded
    wrongly. Only noise-free models are offered the frozen candidate (calibration then checks
    that its argmax agrees with the plain model's)."""
    return not any(type(module).__name__ == "NoiseInjection" for module in model.modules())


def freeze_graph(model: nn.Module, example: torch.Tensor) -> torch.jit.ScriptModule:
    """``model`` traced on ``example`` and frozen (torch.jit.freeze: parameters become constants,
    batch norm is folded, oneDNN fuses convolution + ReLU). TorchScript is deprecated in favour of
    torch.compile, which runs as fast but compiles for longer than most runs take, so
    the frozen graph stays while it works; its deprecation warnings are silenced. A TracerWarning (a
    trace that may not generalise: Python branching on values or shapes) raises RuntimeError, so that
    calibration skips the candidate."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with torch.no_grad():
            frozen = torch.jit.freeze(
                torch.jit.trace(copy.deepcopy(model).eval(), example, check_trace=False)
            )
    doubts = [
        str(w.message).splitlines()[0] for w in caught if issubclass(w.category, torch.jit.TracerWarning)
    ]
    if doubts:
        raise RuntimeError(f"the trace may not generalise: {doubts[0]}")
    return frozen


_FREEZING = threading.Lock()


class PreparedModel(nn.Module):
    """``model`` run as ``plan`` says: inputs in its memory format, bf16 autocast when asked (logits
    returned as float32), a frozen graph traced on the first batch when ``plan.graph`` is "frozen".
    Holds its own copy of the model, in eval mode."""

    def __init__(self, model: nn.Module, plan: InferencePlan):
        super().__init__()
        if plan.graph not in GRAPHS:
            raise ValueError(f"Unknown graph {plan.graph!r}: choose eager or frozen.")
        if plan.graph == "frozen" and not can_freeze(model):
            raise ValueError(
                "This model draws its own noise, so it cannot run as a frozen graph: use graph='eager'."
            )
        if plan.graph == "frozen" and plan.precision != "fp32":
            raise ValueError(
                "A frozen graph runs in fp32 only (tracing under autocast is not reliable): "
                "use graph='eager' for bf16."
            )
        inner = fold_batchnorm(model) if plan.fold_batchnorm else copy.deepcopy(model).eval()
        self.channels_last = plan.memory_format == "channels_last"
        if self.channels_last:
            inner = inner.to(memory_format=torch.channels_last)
        self.inner, self.plan = inner, plan
        # A plain dict, not an attribute: nn.Module would register the graph as a submodule, and
        # ScriptModules lack what model.modules() walkers read (e.g. ``training``).
        self._graph_cache: dict = {}

    def _run(self, x):
        if self.plan.graph == "eager":
            return self.inner(x)
        if "frozen" not in self._graph_cache:
            with _FREEZING:  # one trace even when two threads share the model
                if "frozen" not in self._graph_cache:
                    self._graph_cache["frozen"] = freeze_graph(self.inner, x)
        return self._graph_cache["frozen"](x)

    def forward(self, x):
        if self.channels_last and x.ndim == 4:
            x = x.contiguous(memory_format=torch.channels_last)
        if self.plan.precision == "bf16":
            with torch.autocast(x.device.type, dtype=torch.bfloat16):
                return self._run(x).float()
        return self._run(x)


def prepare(model: nn.Module, plan: InferencePlan) -> nn.Module:
    """``model`` (never modified) run the way ``plan`` says; the plain model itself for the default
    plan (fp32, contiguous, nothing folded, eager)."""
    if (
        plan.precision == "fp32"
        and plan.memory_format == "contiguous"
        and not plan.fold_batchnorm
        and plan.graph == "eager"
    ):
        return model
    return PreparedModel(model, plan)


# ---------------------------------------------------------------------------- calibration


def _bytes_per_row(model: nn.Module, example: torch.Tensor) -> int:
    """Activation bytes one noisy copy needs at once: the input and noise, and the two largest
    consecutive activations of the model (measured on one row)."""
    sizes = []
    hooks = [
        module.register_forward_hook(
            lambda _, __, out: (
                sizes.append(out.numel() * out.element_size()) if isinstance(out, torch.Tensor) else None
            )
        )
        for module in model.modules()
        if not list(module.children())
    ]
    try:
        with torch.inference_mode():
            model(example.unsqueeze(0))
    finally:
        for hook in hooks:
            hook.remove()
    pairs = [a + b for a, b in zip(sizes, sizes[1:])] or sizes or [0]
    return 2 * example.numel() * example.element_size() + max(pairs)


def _memory_budget(device: torch.device) -> int:
    if device.type == "cuda":
        free, _ = torch.cuda.mem_get_info(device)
        return int(free * GPU_MEMORY_SHARE)
    return CPU_MEMORY_BUDGET


def _seconds_per_batch(model, batch, repeats: int) -> list[float]:
    times = []
    for _ in range(repeats):
        if batch.device.type == "cuda":
            torch.cuda.synchronize(batch.device)
        started = time.perf_counter()
        model(batch)
        if batch.device.type == "cuda":
            torch.cuda.synchronize(batch.device)
        times.append(time.perf_counter() - started)
    return times


def _tournament(candidates, batch, contenders, *, log=None):
    """The fastest of some (candidate index, batch size) keys, timed again side by side: in each of
    CONFIRM_ROUNDS rounds (the order rotating) every key runs as many rows, and its speed is divided
    by the round's mean; the highest median of these relative speeds wins. The fastest of some twenty
    single measurements is partly luck on a machine whose speed drifts (a shared machine's speed can
    drift by tens of percent from minute to minute, enough to crown the wrong plan): comparing within
    rounds keeps the drift out of the choice."""
    rows = max(size for _, size in contenders)
    relative = {key: [] for key in contenders}
    for round_index in range(CONFIRM_ROUNDS):
        order = contenders[round_index % len(contenders) :] + contenders[: round_index % len(contenders)]
        rates = {}
        for index, size in order:
            repeats = -(-rows // size)
            rates[(index, size)] = (
                repeats * size / sum(_seconds_per_batch(candidates[index][1], batch[:size], repeats))
            )
        mean = statistics.fmean(rates.values())
        for key, value in rates.items():
            relative[key].append(value / mean)
    score = {key: statistics.median(values) for key, values in relative.items()}
    if log:
        log(
            "calibration, side by side (median speed relative to the round's mean, "
            f"{CONFIRM_ROUNDS} rounds): "
            + "; ".join(
                f"{candidates[index][0].label} @ {size}: {score[(index, size)]:.2f}"
                for index, size in contenders
            )
        )
    return max(contenders, key=score.get)


def calibrate(
    model: nn.Module,
    example: torch.Tensor,
    *,
    noise,
    precision: str = "fp32",
    device="cpu",
    batch_sizes=None,
    memory_budget: int | None = None,
    rounds: int = 2,
    seed: int = 0,
    graphs=GRAPHS,
    log=None,
) -> InferencePlan:
    """Measure the candidate ways of running ``model`` on noisy copies of ``example`` (one input, no
    batch dimension) and return the fastest :class:`InferencePlan` that gives the same argmax as the
    plain model on every calibration copy.

    Candidates: memory format (contiguous, channels-last for 4-D inputs) × (eager, eager with
    batch-norm folding when a convolution is followed by batch norm, frozen graph when
    :func:`can_freeze`), each timed in ``rounds`` alternating rounds at the smallest and the middle
    batch size; then the two fastest at every batch size (``batch_sizes``, default by device, kept
    within ``memory_budget`` bytes of activations); then the best way at each of the CONTENDERS
    fastest batch sizes, side by side in CONFIRM_ROUNDS rounds (:func:`_tournament`). Noise is drawn on
    ``device`` from ``make_generator(seed)``; the forward passes run in inference mode. ``precision`` is
    checked by :func:`check_precision`; ``graphs`` limits the ways to those graphs (("eager",) skips tracing,
    for a calibration of a second or two before an interactive run); ``log(text)`` reports each measurement.
    """
    device = resolve_device(device)
    precision = check_precision(precision, device)
    rounds = checks.positive_int(rounds, "rounds")
    graphs = tuple(graphs)
    if not graphs or any(graph not in GRAPHS for graph in graphs):
        raise ValueError(f"graphs must name some of {', '.join(GRAPHS)}, got {graphs!r}.")
    model = copy.deepcopy(model).eval()  # the caller's model keeps its mode and memory format
    example = example.to(device)
    budget = (
        _memory_budget(device)
        if memory_budget is None
        else checks.positive_int(memory_budget, "memory_budget")
    )
    sizes = tuple(batch_sizes or (GPU_BATCH_SIZES if device.type == "cuda" else CPU_BATCH_SIZES))
    per_row = _bytes_per_row(model, example)
    fitting = [size for size in sizes if size * per_row <= budget] or [
        max(1, min(sizes[0], budget // max(per_row, 1)))
    ]
    middle = fitting[(len(fitting) - 1) // 2]
    generator = make_generator(seed, device)
    with torch.inference_mode(), strict_fp32(device):  # time the IEEE fp32 kernels the run will use
        batch = example + noise.sample((max(fitting), *example.shape), generator=generator, device=device)
        reference = model(batch[:middle]).argmax(dim=1)
        reference_small = model(batch[:3]).argmax(dim=1)  # its own batch: kernels may differ with the size
        candidates = []
        ways = ([(False, "eager")] + [(True, "eager")] * has_conv_batchnorm(model)) * ("eager" in graphs) + [
            (False, "frozen")
        ] * (can_freeze(model) and precision == "fp32" and "frozen" in graphs)
        for memory_format in MEMORY_FORMATS if example.ndim == 3 else MEMORY_FORMATS[:1]:
            for fold, graph in ways:
                plan = InferencePlan(precision, memory_format, fold, middle, device=str(device), graph=graph)
                try:
                    prepared = prepare(model, plan)
                    prepared(batch[:middle])  # warm-up (oneDNN primitives, the trace)
                    # The argmax on the timed batch, and on a smaller one: a frozen graph traced at one
                    # batch size must also run the ragged last batch of a run.
                    agrees = torch.equal(prepared(batch[:middle]).argmax(dim=1), reference) and torch.equal(
                        prepared(batch[:3]).argmax(dim=1), reference_small
                    )
                except RuntimeError as error:  # a model TorchScript cannot trace
                    if log:
                        log(
                            f"calibration: {plan.label} does not run "
                            f"({str(error).splitlines()[0][:120]}): skipped"
                        )
                    continue
                if precision == "fp32" and not agrees:
                    if log:
                        log(f"calibration: {plan.label} changes the argmax of a calibration copy: rejected")
                    continue
                candidates.append((plan, prepared))
        if not candidates:
            raise ValueError(
                f"No way of running this model in {', '.join(graphs)} graph(s) gives the plain model's "
                "answers (see the calibration log): include 'eager' in graphs."
            )
        # Stage 1: every way at the smallest and the middle batch size, since a way's rank can change with
        # the batch size (a frozen graph can lose at a large batch and win at a small one). Stage 2: the
        # two fastest ways at every batch size. Rounds alternate, so a busy moment hurts every pair alike.
        timings: dict[tuple[int, int], list[float]] = {}

        def time_pairs(pairs):
            for index, size in pairs:
                if (index, size) not in timings:
                    candidates[index][1](batch[:size])  # warm-up: oneDNN primitives per shape
                    timings[(index, size)] = []
            for _ in range(rounds):
                for index, size in pairs:
                    timings[(index, size)] += _seconds_per_batch(candidates[index][1], batch[:size], 1)

        def rate(key):
            return key[1] / statistics.median(timings[key])

        time_pairs(
            [(index, size) for size in sorted({min(fitting), middle}) for index in range(len(candidates))]
        )
        fastest = {
            index: max(rate(key) for key in timings if key[0] == index) for index in range(len(candidates))
        }
        finalists = sorted(fastest, key=fastest.get, reverse=True)[:2]
        time_pairs([(index, size) for size in fitting for index in finalists if (index, size) not in timings])
        # The best way at each batch size, then the three fastest of those side by side: the batch size is
        # the choice that matters most and the easiest to get wrong.
        best_per_size: dict[int, tuple[int, int]] = {}
        for key in sorted((key for key in timings if key[0] in finalists), key=rate, reverse=True):
            best_per_size.setdefault(key[1], key)
        contenders = sorted(best_per_size.values(), key=rate, reverse=True)[:CONTENDERS]
        best_index, size = (
            contenders[0] if len(contenders) == 1 else _tournament(candidates, batch, contenders, log=log)
        )
        measured = [(candidates[index][0].label, size_, rate((index, size_))) for index, size_ in timings]
        best_plan, best_rate = candidates[best_index][0], rate((best_index, size))
    if log:
        for label, size_, rate_ in measured:
            log(f"calibration: {label}, batch {size_}: {rate_:,.0f} samples/s")
    return replace(
        best_plan,
        batch_size=size,
        samples_per_second=round(best_rate, 1),
        measured=tuple((label, size_, round(rate, 1)) for label, size_, rate in measured),
    )
