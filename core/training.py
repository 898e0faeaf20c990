"""Empirical risk minimisation, with optional noise augmentation or adversarial training.

ERM picks θ minimising the empirical risk  R̂(θ) = (1/m) Σᵢ ℓ(F_θ(xᵢ), yᵢ)  over training
examples (xᵢ, yᵢ) ~ D; the held-out risk on fresh examples estimates the true risk, and their
difference is the generalisation gap. Variants:

- noise augmentation: xᵢ + ε, ε redrawn every batch (Cohen et al. 2019 train the base classifier
  of randomized smoothing this way);
- adversarial training (Madry et al. 2018): min_θ E[max_{‖τ‖∞≤ε} ℓ(F_θ(x+τ), y)], the inner max
  approximated by PGD, or by one FGSM step from a random start (Wong et al. 2020, "Fast is better
  than free"); optionally with the budget ε ramped up over the first epochs (:func:`warmed_up_eps`).
  The attack runs with batch norm in eval mode by default (its running statistics, left untouched by
  the attack's passes), or in train mode where the recipe says so (:data:`ATTACK_BN_MODES`).

No UI code: progress is reported through a ``callback(row)`` with the history row as a dict.
"""

from __future__ import annotations

import copy
import hashlib
import io
import json
import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from core.device import make_generator, resolve_device
from core.files import write_atomic

LOSSES = ("ce", "hinge")
OPTIMIZERS = ("adam", "sgd")
PRECISIONS = ("fp32", "bf16")
# How batch norm behaves while adversarial training's attack runs (the "attack_bn_mode" of an adversarial
# recipe): "eval" normalises with the running statistics and leaves them untouched, as core.attacks asks;
# "train" normalises each attack pass with its own batch's statistics and folds every pass into the running
# ones.
ATTACK_BN_MODES = ("eval", "train")
DEFAULT_ATTACK_BN_MODE = "eval"
# The mode of a model trained before the setting existed (a recorded recipe without "attack_bn_mode"): the
# trainer then put the model in train mode before every step, attack included.
LEGACY_ATTACK_BN_MODE = "train"


def cross_entropy_loss(
    logits: torch.Tensor, y: torch.Tensor, *, label_smoothing: float = 0.0, reduction: str = "mean"
) -> torch.Tensor:
    """Cross-entropy ℓ(z, y) = −log softmax(z)_y (the negative log-likelihood)."""
    return F.cross_entropy(logits, y, label_smoothing=label_smoothing, reduction=reduction)


def hinge_loss(
    logits: torch.Tensor, y: torch.Tensor, *, margin: float = 1.0, reduction: str = "mean"
) -> torch.Tensor:
    """Multi-class hinge (Crammer & Singer 2001): ℓ(z, y) = max(0, m + max_{j≠y} z_j − z_y)."""
    true = logits.gather(1, y[:, None]).squeeze(1)
    others = logits.masked_fill(F.one_hot(y, logits.shape[1]).bool(), float("-inf"))
    losses = F.relu(margin + others.max(dim=1).values - true)
    return losses.mean() if reduction == "mean" else losses


def consistency_loss(
    logits_per_copy: torch.Tensor,
    y: torch.Tensor,
    *,
    weight: float,
    entropy: float,
    label_smoothing: float = 0.0,
) -> torch.Tensor:
    """Training loss with Gaussian consistency regularisation (Jeong & Shin 2020, "Consistency
    Regularization for Certified Robustness of Smoothed Classifiers", NeurIPS, eqs. 6–8):

        L = (1/m) Σᵢ CE(F(x + δᵢ), y) + λ · (1/m) Σᵢ KL(F̂(x) ‖ F(x + δᵢ)) + η · H(F̂(x)),
        F̂(x) = (1/m) Σᵢ softmax F(x + δᵢ),

    over m independent noise draws δᵢ of the same (augmented) images, averaged over the batch;
    KL(P ‖ Q) = Σₖ Pₖ log(Pₖ / Qₖ) and H(P) = −Σₖ Pₖ log Pₖ. The KL term pulls every noisy
    prediction towards their mean, the entropy term makes the mean confident: both raise the
    smoothed classifier's p_A, hence its certified radius. ``logits_per_copy`` is m×B×K.
    """
    if logits_per_copy.dim() != 3 or logits_per_copy.shape[0] < 2:
        raise ValueError(
            "consistency_loss needs logits of shape copies × batch × classes with at least 2 copies."
        )
    copies = logits_per_copy.shape[0]
    log_p = torch.log_softmax(logits_per_copy.float(), dim=2)  # log F(x + δᵢ)
    log_mean = torch.logsumexp(log_p, dim=0) - math.log(copies)  # log F̂(x), stably
    mean = log_mean.exp()
    classification = torch.stack(
        [cross_entropy_loss(z, y, label_smoothing=label_smoothing) for z in logits_per_copy.float()]
    ).mean()
    kl = (mean[None] * (log_mean[None] - log_p)).sum(dim=2).mean()  # mean over copies and batch
    entropy_of_mean = -(mean * log_mean).sum(dim=1).mean()
    return classification + weight * kl + entropy * entropy_of_mean


def loss_function(name: str):
    if name == "ce":
        return cross_entropy_loss
    if name == "hinge":
        return hinge_loss
    raise ValueError(f"Unknown loss {name!r}: choose one of {', '.join(LOSSES)}.")


@torch.no_grad()
def empirical_risk(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    *,
    loss: str = "ce",
    batch_size: int = 1024,
    device="cpu",
) -> float:
    """R̂ = (1/m) Σᵢ ℓ(F(xᵢ), yᵢ) over the given examples (model mode left unchanged)."""
    risk, _ = risk_and_accuracy(model, x, y, loss=loss, batch_size=batch_size, device=device)
    return risk


@torch.no_grad()
def risk_and_accuracy(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    *,
    loss: str = "ce",
    batch_size: int = 1024,
    device="cpu",
) -> tuple[float, float]:
    """Empirical risk and accuracy of ``model`` on (x, y), evaluated in batches."""
    if len(x) == 0:
        raise ValueError("Cannot evaluate a risk on an empty set of examples.")
    device = resolve_device(device)
    criterion = loss_function(loss)
    total_loss, correct = 0.0, 0
    for start in range(0, len(x), batch_size):
        xb = x[start : start + batch_size].to(device)
        yb = y[start : start + batch_size].to(device)
        logits = model(xb)
        total_loss += float(criterion(logits, yb, reduction="none").sum())
        correct += int((logits.argmax(1) == yb).sum())
    return total_loss / len(x), correct / len(x)


def random_crop_flip(x: torch.Tensor, generator: torch.Generator, *, pad: int = 4) -> torch.Tensor:
    """Standard image augmentation: random translation by up to ``pad`` pixels and a random
    horizontal flip, vectorised over the batch."""
    n, _, h, w = x.shape
    padded = F.pad(x, (pad, pad, pad, pad), mode="reflect")
    dx = torch.randint(0, 2 * pad + 1, (n,), generator=generator, device=x.device)
    dy = torch.randint(0, 2 * pad + 1, (n,), generator=generator, device=x.device)
    rows = dy[:, None] + torch.arange(h, device=x.device)[None, :]  # n×h
    cols = dx[:, None] + torch.arange(w, device=x.device)[None, :]  # n×w
    flip = torch.rand(n, generator=generator, device=x.device) < 0.5
    cols = torch.where(flip[:, None], cols.flip(1), cols)
    batch = torch.arange(n, device=x.device)[:, None, None]
    out = padded.permute(0, 2, 3, 1)[batch, rows[:, :, None], cols[:, None, :]]
    return out.permute(0, 3, 1, 2).contiguous()


def warmed_up_eps(spec: dict, step: int, steps_per_epoch: int) -> float:
    """The ℓ∞ budget of adversarial-training step ``step`` (0-based): ``spec["eps"]``, ramped up linearly
    over the first ``spec["eps_warmup_epochs"]`` epochs when that is set,

        ε_t = ε · min(1, (t + 1) / (warm-up epochs · steps per epoch)),

    the curriculum that keeps training at a large budget (MNIST's ε = 0.3) from collapsing to one class at
    the start. A function of the step count alone, so a resumed run replays it exactly."""
    eps, warmup = float(spec["eps"]), float(spec.get("eps_warmup_epochs", 0) or 0)
    if warmup <= 0:
        return eps
    return eps * min(1.0, (step + 1) / (warmup * steps_per_epoch))


def attack_bn_mode(adversarial: dict | None) -> str:
    """The batch-norm mode the attack of adversarial-training spec ``adversarial`` runs in: its
    ``"attack_bn_mode"``, :data:`DEFAULT_ATTACK_BN_MODE` when unset; anything else is refused in one
    sentence."""
    mode = (adversarial or {}).get("attack_bn_mode", DEFAULT_ATTACK_BN_MODE)
    if mode not in ATTACK_BN_MODES:
        raise ValueError(
            f"The adversarial 'attack_bn_mode' must be 'eval' (batch norm uses its running statistics "
            f"while the attack runs) or 'train' (batch statistics, running ones updated), got {mode!r}."
        )
    return mode


def gradient_computations(adversarial: dict | None) -> int:
    """Forward and backward passes per training step of a recipe whose adversarial spec is ``adversarial``:
    1 for a standard step (the weights' gradient); PGD-k adds k input gradients (k + 1, Madry et al. 2018),
    FGSM-RS one (2, Wong et al. 2020). The count, not the time: passes differ in cost (the attack's passes
    run in float32 even under bf16 autocast, and compute no weight gradient)."""
    if adversarial is None:
        return 1
    kind = adversarial.get("kind", "pgd")
    if kind == "pgd":
        steps = adversarial.get("steps", 7)
        if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
            raise ValueError(f"The adversarial 'steps' must be a whole number ≥ 1, got {steps!r}.")
        return steps + 1
    if kind == "fgsm_rs":
        return 2
    raise ValueError(f"Unknown adversarial training kind {kind!r}: use 'pgd' or 'fgsm_rs'.")


def _adversarial_examples(model, x, y, spec: dict, generator: torch.Generator) -> torch.Tensor:
    """Inner maximisation of adversarial training, in ℓ∞ (Madry et al. 2018; Wong et al. 2020)."""
    from core import attacks  # local import: attacks is only needed for adversarial training

    kind, eps = spec.get("kind", "pgd"), float(spec["eps"])
    if kind == "pgd":
        return attacks.pgd(
            model,
            x,
            y,
            eps=eps,
            step=float(spec.get("step", eps / 4)),
            steps=int(spec.get("steps", 7)),
            norm="linf",
            random_start=True,
            generator=generator,
        )
    if kind == "fgsm_rs":
        # FGSM from a uniform random start, step 1.25 ε, projected back to the ε-ball.
        step = float(spec.get("step", 1.25 * eps))
        start = (x + (torch.rand(x.shape, generator=generator, device=x.device) * 2 - 1) * eps).clamp(0, 1)
        stepped = attacks.fgsm(model, start, y, eps=step)
        return torch.min(torch.max(stepped, x - eps), x + eps).clamp(0, 1)
    raise ValueError(f"Unknown adversarial training kind {kind!r}: use 'pgd' or 'fgsm_rs'.")


def _check_consistency(spec: dict | None, *, noise, loss: str, adversarial) -> dict | None:
    """Trainer's ``consistency={"copies": m, "weight": λ, "entropy": η}``, checked (one sentence)."""
    if spec is None:
        return None
    if noise is None or adversarial is not None or loss != "ce":
        raise ValueError(
            "Consistency regularisation needs input noise, the cross-entropy loss and no adversarial "
            "training."
        )
    unknown = set(spec) - {"copies", "weight", "entropy"}
    copies = spec.get("copies", 2)
    if unknown or isinstance(copies, bool) or not isinstance(copies, int) or copies < 2:
        raise ValueError(
            f"consistency must be {{'copies': m ≥ 2, 'weight': λ ≥ 0, 'entropy': η ≥ 0}}, got {spec!r}."
        )
    weight, entropy = float(spec.get("weight", 10.0)), float(spec.get("entropy", 0.5))
    if not (weight >= 0 and entropy >= 0 and math.isfinite(weight) and math.isfinite(entropy)):
        raise ValueError(f"consistency's weight and entropy must be non-negative numbers, got {spec!r}.")
    return {"copies": copies, "weight": weight, "entropy": entropy}


@dataclass
class TrainResult:
    history: list[dict]
    wall_time_s: float
    steps: int = 0
    extra: dict = field(default_factory=dict)


class Trainer:
    """Mini-batch ERM as a small state machine: ``step()`` one batch, ``epoch()`` one pass.

    The seed fixes the initial batch order, the augmentation and noise draws, and the adversarial
    random starts, so a run replays identically. ``history`` holds one row per finished epoch (or
    per ``evaluate()`` call): epoch, step, train/test loss and accuracy, and elapsed seconds.
    """

    def __init__(
        self,
        model: nn.Module,
        x_train: torch.Tensor,
        y_train: torch.Tensor,
        *,
        x_test: torch.Tensor | None = None,
        y_test: torch.Tensor | None = None,
        loss: str = "ce",
        optimizer: str = "adam",
        lr: float = 1e-2,
        batch_size: int = 64,
        weight_decay: float = 0.0,
        momentum: float = 0.9,
        label_smoothing: float = 0.0,
        epochs_planned: int | None = None,
        schedule: str = "constant",
        noise=None,
        adversarial: dict | None = None,
        augment: str | None = None,
        seed: int = 0,
        precision: str = "fp32",
        channels_last: bool = False,
        consistency: dict | None = None,
        device="cpu",
    ):
        if lr <= 0:
            raise ValueError(f"The learning rate must be positive, got {lr}.")
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}.")
        if len(x_train) != len(y_train) or len(x_train) == 0:
            raise ValueError("x_train and y_train must be non-empty and of the same length.")
        if optimizer not in OPTIMIZERS:
            raise ValueError(f"Unknown optimizer {optimizer!r}: choose one of {', '.join(OPTIMIZERS)}.")
        if schedule not in ("constant", "onecycle"):
            raise ValueError("schedule must be 'constant' or 'onecycle'.")
        if schedule == "onecycle" and not epochs_planned:
            raise ValueError("The one-cycle schedule needs epochs_planned.")
        if augment not in (None, "crop_flip"):
            raise ValueError("augment must be None or 'crop_flip'.")
        if precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}, got {precision!r}.")
        if adversarial is not None and float(adversarial.get("eps", -1)) < 0:
            raise ValueError("Adversarial training needs a non-negative 'eps'.")
        warmup = (adversarial or {}).get("eps_warmup_epochs", 0)
        if (
            isinstance(warmup, bool)
            or not isinstance(warmup, (int, float))
            or not math.isfinite(warmup)
            or warmup < 0
        ):
            raise ValueError(
                f"The adversarial 'eps_warmup_epochs' must be a number of epochs ≥ 0, got {warmup!r}."
            )
        self.attack_bn_mode = attack_bn_mode(adversarial) if adversarial is not None else None
        self.consistency = _check_consistency(consistency, noise=noise, loss=loss, adversarial=adversarial)
        self.device = resolve_device(device)
        # Speed only (no change to the maths): oneDNN convolutions run faster on NHWC tensors, and bf16
        # autocast (forward in bfloat16, weights and optimiser in float32) faster still on CPUs with
        # native bf16 (python -m bench.bench_training; figures in bench/RESULTS.md).
        self.precision = precision
        self.model = model.to(self.device)
        if channels_last:
            self.model = self.model.to(memory_format=torch.channels_last)
        self.x_train, self.y_train = x_train, y_train
        self.x_test, self.y_test = x_test, y_test
        self.loss_name, self.criterion = loss, loss_function(loss)
        self.batch_size, self.label_smoothing = batch_size, label_smoothing
        self.noise, self.adversarial, self.augment = noise, adversarial, augment
        self.generator = make_generator(seed, self.device)
        self.order_generator = make_generator(seed, "cpu")
        params = [p for p in model.parameters() if p.requires_grad]
        if optimizer == "adam":
            self.optimizer = torch.optim.Adam(params, lr=lr, weight_decay=weight_decay)
        else:
            self.optimizer = torch.optim.SGD(
                params, lr=lr, momentum=momentum, nesterov=momentum > 0, weight_decay=weight_decay
            )
        self.base_lr, self.schedule = lr, schedule
        self.steps_per_epoch = math.ceil(len(x_train) / batch_size)
        self.total_steps = (epochs_planned or 0) * self.steps_per_epoch
        self.step_count, self.epoch_count, self.history = 0, 0, []
        self.train_seconds = 0.0
        self._order: torch.Tensor | None = None
        self._cursor = 0

    def _learning_rate(self) -> float:
        if self.schedule == "constant":
            return self.base_lr
        # One-cycle: linear warm-up over the first 20 % of steps, then linear decay to 0.
        progress = min(self.step_count / max(1, self.total_steps), 1.0)
        return self.base_lr * (progress / 0.2 if progress < 0.2 else (1 - progress) / 0.8)

    def _next_batch(self) -> tuple[torch.Tensor, torch.Tensor]:
        if self._order is None or self._cursor >= len(self._order):
            self._order = torch.randperm(len(self.x_train), generator=self.order_generator)
            self._cursor = 0
        index = self._order[self._cursor : self._cursor + self.batch_size]
        self._cursor += self.batch_size
        return self.x_train[index].to(self.device), self.y_train[index].to(self.device)

    def step(self) -> dict:
        """One optimisation step on one mini-batch; returns {'step', 'loss', 'accuracy'}."""
        started = time.perf_counter()
        self.model.train()
        xb, yb = self._next_batch()
        if self.augment == "crop_flip":
            xb = random_crop_flip(xb, self.generator)
        copies = self.consistency["copies"] if self.consistency else 1
        if copies > 1:  # m noisy copies of the same augmented images (copy-major)
            xb = xb.repeat(copies, *([1] * (xb.dim() - 1)))
        if self.noise is not None:
            xb = xb + self.noise.sample(xb.shape, generator=self.generator, device=self.device)
        if self.adversarial is not None:
            spec, eps = (
                self.adversarial,
                warmed_up_eps(self.adversarial, self.step_count, self.steps_per_epoch),
            )
            if eps != float(spec["eps"]):  # during the warm-up: the budget and its step shrink together
                factor = eps / float(spec["eps"])
                spec = {
                    **spec,
                    "eps": eps,
                    **({"step": float(spec["step"]) * factor} if "step" in spec else {}),
                }
            if self.attack_bn_mode == "eval":  # the running statistics normalise the attack and stay put
                self.model.eval()
            try:
                xb = _adversarial_examples(self.model, xb, yb, spec, self.generator)
            finally:
                self.model.train()
        for group in self.optimizer.param_groups:
            group["lr"] = self._learning_rate()
        with torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.precision == "bf16"):
            logits = self.model(xb)
        logits = logits.float()
        if copies > 1:
            loss = consistency_loss(
                logits.view(copies, len(yb), -1),
                yb,
                weight=self.consistency["weight"],
                entropy=self.consistency["entropy"],
                label_smoothing=self.label_smoothing,
            )
            yb = yb.repeat(copies)
        elif self.loss_name == "ce":
            loss = self.criterion(logits, yb, label_smoothing=self.label_smoothing)
        else:
            loss = self.criterion(logits, yb)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()
        self.step_count += 1
        self.train_seconds += time.perf_counter() - started
        return {
            "step": self.step_count,
            "loss": float(loss.detach()),
            "accuracy": float((logits.argmax(1) == yb).float().mean()),
        }

    def state_dict(self) -> dict:
        """Everything the rest of the run depends on: weights (batch-norm statistics included),
        optimiser, counters, history, the epoch's batch order and cursor, and the states of every
        random generator (the Trainer's two and each noise-injection layer's)."""
        from core.models import noise_layers

        return {
            "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "step_count": self.step_count,
            "epoch_count": self.epoch_count,
            "history": [dict(row) for row in self.history],
            "train_seconds": self.train_seconds,
            "order": self._order,
            "cursor": self._cursor,
            "generator": self.generator.get_state(),
            "order_generator": self.order_generator.get_state(),
            "noise_generators": [
                None if layer._generator is None else layer._generator.get_state()
                for layer in noise_layers(self.model)
            ],
        }

    def load_state_dict(self, state: dict) -> None:
        """Continue from :meth:`state_dict` (taken from a Trainer built with the same arguments)."""
        from core.models import noise_layers

        missing = sorted(set(self.state_dict()) - set(state))
        if missing:
            raise ValueError(
                f"The trainer state lacks {', '.join(missing)}: it was not written by Trainer.state_dict."
            )
        layers = noise_layers(self.model)
        if len(state["noise_generators"]) != len(layers):
            raise ValueError(
                f"The trainer state has {len(state['noise_generators'])} noise layers, "
                f"this model {len(layers)}: it belongs to another architecture."
            )
        self.model.load_state_dict(state["model"])
        # A copy: torch would otherwise keep the very momentum tensors of the state it was given.
        self.optimizer.load_state_dict(copy.deepcopy(state["optimizer"]))
        self.step_count, self.epoch_count = int(state["step_count"]), int(state["epoch_count"])
        self.history = [dict(row) for row in state["history"]]
        self.train_seconds = float(state["train_seconds"])
        self._order, self._cursor = state["order"], int(state["cursor"])
        self.generator.set_state(state["generator"])
        self.order_generator.set_state(state["order_generator"])
        for layer, generator_state in zip(layers, state["noise_generators"]):
            if generator_state is None:
                layer._generator = None
            else:
                layer._generator = torch.Generator(device=self.device)
                layer._generator.set_state(generator_state)

    def evaluate(self, *, max_examples: int | None = None) -> dict:
        """Empirical risk on the training set and held-out risk on the test set, now."""
        self.model.eval()
        x, y = self.x_train, self.y_train
        if max_examples is not None:
            x, y = x[:max_examples], y[:max_examples]
        train_loss, train_acc = risk_and_accuracy(self.model, x, y, loss=self.loss_name, device=self.device)
        row = {
            "epoch": self.epoch_count,
            "step": self.step_count,
            "train_loss": train_loss,
            "train_acc": train_acc,
            "test_loss": None,
            "test_acc": None,
            "seconds": self.train_seconds,
        }
        if self.x_test is not None:
            xt, yt = self.x_test, self.y_test
            if max_examples is not None:
                xt, yt = xt[:max_examples], yt[:max_examples]
            row["test_loss"], row["test_acc"] = risk_and_accuracy(
                self.model, xt, yt, loss=self.loss_name, device=self.device
            )
        self.model.train()
        return row

    def epoch(self, *, callback=None, eval_examples: int | None = None) -> dict:
        """One pass over the training set, then an evaluation row appended to ``history``."""
        for _ in range(self.steps_per_epoch):
            stats = self.step()
            if callback is not None and stats["step"] % 20 == 0:
                callback({"epoch": self.epoch_count, **stats, "kind": "step"})
        self.epoch_count += 1
        row = self.evaluate(max_examples=eval_examples)
        self.history.append(row)
        if callback is not None:
            callback({**row, "kind": "epoch"})
        return row


CHECKPOINT_NAME = "checkpoint.pt"
CHECKPOINT_FORMAT = 1


def _tensor_sha256(*tensors) -> str:
    digest = hashlib.sha256()
    for tensor in tensors:
        if tensor is None:
            digest.update(b"none")
            continue
        digest.update(f"{tensor.dtype}{tuple(tensor.shape)}".encode())
        if tensor.numel():
            flat = tensor.detach().cpu().contiguous().reshape(-1)
            digest.update(flat.view(torch.uint8).numpy())  # no copy of the data
    return digest.hexdigest()


def _describe(value):
    """A JSON-ready description of a training argument (noise objects by name, scale and params)."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, dict):
        return {str(key): _describe(item) for key, item in sorted(value.items())}
    if isinstance(value, (list, tuple)):
        return [_describe(item) for item in value]
    if isinstance(value, torch.device):
        return str(value)
    if hasattr(value, "name") and hasattr(value, "scale"):
        return {
            "name": value.name,
            "scale": float(value.scale),
            "params": _describe(dict(getattr(value, "params", {}) or {})),
        }
    return repr(value)


def run_arguments(
    model: nn.Module,
    x_train,
    y_train,
    x_test,
    y_test,
    *,
    epochs: int,
    eval_examples: int | None,
    trainer_kwargs: dict,
) -> dict:
    """What a checkpoint must agree on to be resumed: every argument of :func:`train` (the
    callback aside), the data by sha256, and the model by its architecture and initial weights."""
    kwargs = dict(trainer_kwargs)
    kwargs["device"] = str(resolve_device(kwargs.get("device", "cpu")))
    return {
        "epochs": int(epochs),
        "eval_examples": eval_examples,
        "trainer": _describe(kwargs),
        "architecture": _describe(getattr(model, "architecture", None)),
        "initial_weights_sha256": _tensor_sha256(*model.state_dict().values()),
        "train_sha256": _tensor_sha256(x_train, y_train),
        "test_sha256": _tensor_sha256(x_test, y_test),
    }


def save_checkpoint(path: Path | str, trainer: Trainer, arguments: dict, *, wall_time_s: float) -> Path:
    """Write the trainer's state after an epoch, atomically (temporary file + rename)."""
    buffer = io.BytesIO()
    torch.save(
        {
            "format": CHECKPOINT_FORMAT,
            "epoch": trainer.epoch_count,
            "arguments": json.dumps(arguments),
            "wall_time_s": float(wall_time_s),
            "trainer": trainer.state_dict(),
        },
        buffer,
    )
    return write_atomic(path, buffer.getvalue())


def load_checkpoint(path: Path | str, arguments: dict) -> dict:
    """The checkpoint at ``path``, if it was written by a run with the same ``arguments``; else one
    sentence."""
    path = Path(path)
    try:
        checkpoint = torch.load(path, map_location="cpu", weights_only=True)
        if checkpoint.get("format") != CHECKPOINT_FORMAT:
            raise KeyError("format")
        saved = json.loads(checkpoint["arguments"])
        checkpoint["trainer"], checkpoint["epoch"]
    except Exception:  # a truncated or foreign file: torch, pickle and zip errors alike
        raise ValueError(
            f"The checkpoint {path} is corrupted or not a training checkpoint: delete it to "
            "train from the start."
        ) from None
    if saved != arguments:
        differing = sorted(key for key in set(saved) | set(arguments) if saved.get(key) != arguments.get(key))
        raise ValueError(
            f"The checkpoint {path} was written by a run with other arguments "
            f"({', '.join(differing)} differ): delete it, or use another checkpoint folder."
        )
    return checkpoint


def train(
    model: nn.Module,
    x_train: torch.Tensor,
    y_train: torch.Tensor,
    *,
    epochs: int,
    x_test: torch.Tensor | None = None,
    y_test: torch.Tensor | None = None,
    callback=None,
    eval_examples: int | None = None,
    checkpoint_dir: Path | str | None = None,
    resume: bool = False,
    **trainer_kwargs,
) -> TrainResult:
    """Train ``model`` for ``epochs`` passes; returns the per-epoch history and the wall time.

    Keyword arguments go to :class:`Trainer` (loss, optimizer, lr, batch_size, noise,
    adversarial, augment, seed, device, …). The model is left in eval mode.

    With ``checkpoint_dir``, the whole training state is written there after every epoch
    (``checkpoint.pt``, atomically). ``resume=True`` continues from that checkpoint (if any) and
    ends with the same weights, optimiser state and history as an uninterrupted run (``seconds``
    aside, which is wall time); a checkpoint of a run with other arguments, or a corrupted one, is
    refused in one sentence. ``wall_time_s`` then adds up the time of every session.
    """
    if epochs < 1:
        raise ValueError(f"epochs must be at least 1, got {epochs}.")
    if resume and checkpoint_dir is None:
        raise ValueError("resume=True needs the checkpoint_dir the interrupted run wrote to.")
    trainer_kwargs.setdefault("epochs_planned", epochs)
    started = time.perf_counter()
    path = None if checkpoint_dir is None else Path(checkpoint_dir) / CHECKPOINT_NAME
    arguments = (
        run_arguments(
            model,
            x_train,
            y_train,
            x_test,
            y_test,
            epochs=epochs,
            eval_examples=eval_examples,
            trainer_kwargs=trainer_kwargs,
        )
        if path is not None
        else None
    )
    trainer = Trainer(model, x_train, y_train, x_test=x_test, y_test=y_test, **trainer_kwargs)
    earlier_s = 0.0
    if resume and path.exists():
        checkpoint = load_checkpoint(path, arguments)
        trainer.load_state_dict(checkpoint["trainer"])
        earlier_s = float(checkpoint["wall_time_s"])
    while trainer.epoch_count < epochs:
        trainer.epoch(callback=callback, eval_examples=eval_examples)
        if path is not None:
            save_checkpoint(path, trainer, arguments, wall_time_s=earlier_s + time.perf_counter() - started)
    model.to(memory_format=torch.contiguous_format).eval()
    return TrainResult(
        history=trainer.history,
        wall_time_s=earlier_s + time.perf_counter() - started,
        steps=trainer.step_count,
    )
