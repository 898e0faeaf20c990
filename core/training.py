"""Empirical risk minimisation, with optional noise augmentation or adversarial training.

ERM picks θ minimising the empirical risk  R̂(θ) = (1/m) Σᵢ ℓ(F_θ(xᵢ), yᵢ)  over training
examples (xᵢ, yᵢ) ~ D; the held-out risk on fresh examples estimates the true risk, and their
difference is the generalisation gap. Variants:

- noise augmentation: xᵢ + ε, ε redrawn every batch (Cohen et al. 2019 train the base classifier
  of randomized smoothing this way);
- adversarial training (Madry et al. 2018): min_θ E[max_{‖τ‖∞≤ε} ℓ(F_θ(x+τ), y)], the inner max
  approximated by PGD, or by one FGSM step from a random start (Wong et al. 2020, "Fast is better
  than free").

No UI code: progress is reported through a ``callback(row)`` with the history row as a dict.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

from core.device import make_generator, resolve_device

LOSSES = ("ce", "hinge")
OPTIMIZERS = ("adam", "sgd")
PRECISIONS = ("fp32", "bf16")


def cross_entropy_loss(logits: torch.Tensor, y: torch.Tensor, *, label_smoothing: float = 0.0,
                       reduction: str = "mean") -> torch.Tensor:
    """Cross-entropy ℓ(z, y) = −log softmax(z)_y (the negative log-likelihood)."""
    return F.cross_entropy(logits, y, label_smoothing=label_smoothing, reduction=reduction)


def hinge_loss(logits: torch.Tensor, y: torch.Tensor, *, margin: float = 1.0,
               reduction: str = "mean") -> torch.Tensor:
    """Multi-class hinge (Crammer & Singer 2001): ℓ(z, y) = max(0, m + max_{j≠y} z_j − z_y)."""
    true = logits.gather(1, y[:, None]).squeeze(1)
    others = logits.masked_fill(F.one_hot(y, logits.shape[1]).bool(), float("-inf"))
    losses = F.relu(margin + others.max(dim=1).values - true)
    return losses.mean() if reduction == "mean" else losses


def loss_function(name: str):
    if name == "ce":
        return cross_entropy_loss
    if name == "hinge":
        return hinge_loss
    raise ValueError(f"Unknown loss {name!r}: choose one of {', '.join(LOSSES)}.")


@torch.no_grad()
def empirical_risk(model: nn.Module, x: torch.Tensor, y: torch.Tensor, *, loss: str = "ce",
                   batch_size: int = 1024, device="cpu") -> float:
    """R̂ = (1/m) Σᵢ ℓ(F(xᵢ), yᵢ) over the given examples (model mode left unchanged)."""
    risk, _ = risk_and_accuracy(model, x, y, loss=loss, batch_size=batch_size, device=device)
    return risk


@torch.no_grad()
def risk_and_accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor, *, loss: str = "ce",
                      batch_size: int = 1024, device="cpu") -> tuple[float, float]:
    """Empirical risk and accuracy of ``model`` on (x, y), evaluated in batches."""
    if len(x) == 0:
        raise ValueError("Cannot evaluate a risk on an empty set of examples.")
    device = resolve_device(device)
    criterion = loss_function(loss)
    total_loss, correct = 0.0, 0
    for start in range(0, len(x), batch_size):
        xb = x[start:start + batch_size].to(device)
        yb = y[start:start + batch_size].to(device)
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
    rows = (dy[:, None] + torch.arange(h, device=x.device)[None, :])          # n×h
    cols = (dx[:, None] + torch.arange(w, device=x.device)[None, :])          # n×w
    flip = torch.rand(n, generator=generator, device=x.device) < 0.5
    cols = torch.where(flip[:, None], cols.flip(1), cols)
    batch = torch.arange(n, device=x.device)[:, None, None]
    out = padded.permute(0, 2, 3, 1)[batch, rows[:, :, None], cols[:, None, :]]
    return out.permute(0, 3, 1, 2).contiguous()


def _adversarial_examples(model, x, y, spec: dict, generator: torch.Generator) -> torch.Tensor:
    """Inner maximisation of adversarial training, in ℓ∞ (Madry et al. 2018; Wong et al. 2020)."""
    from core import attacks  # local import: attacks is only needed for adversarial training

    kind, eps = spec.get("kind", "pgd"), float(spec["eps"])
    if kind == "pgd":
        return attacks.pgd(model, x, y, eps=eps, step=float(spec.get("step", eps / 4)),
                           steps=int(spec.get("steps", 7)), norm="linf", random_start=True,
                           generator=generator)
    if kind == "fgsm_rs":
        # FGSM from a uniform random start, step 1.25 ε, projected back to the ε-ball.
        step = float(spec.get("step", 1.25 * eps))
        start = (x + (torch.rand(x.shape, generator=generator, device=x.device) * 2 - 1) * eps).clamp(0, 1)
        stepped = attacks.fgsm(model, start, y, eps=step)
        return torch.min(torch.max(stepped, x - eps), x + eps).clamp(0, 1)
    raise ValueError(f"Unknown adversarial training kind {kind!r}: use 'pgd' or 'fgsm_rs'.")


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

    def __init__(self, model: nn.Module, x_train: torch.Tensor, y_train: torch.Tensor, *,
                 x_test: torch.Tensor | None = None, y_test: torch.Tensor | None = None,
                 loss: str = "ce", optimizer: str = "adam", lr: float = 1e-2, batch_size: int = 64,
                 weight_decay: float = 0.0, momentum: float = 0.9, label_smoothing: float = 0.0,
                 epochs_planned: int | None = None, schedule: str = "constant", noise=None,
                 adversarial: dict | None = None, augment: str | None = None, seed: int = 0,
                 precision: str = "fp32", channels_last: bool = False, device="cpu"):
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
        self.device = resolve_device(device)
        # Speed only (no change to the maths): oneDNN convolutions run 1.5–2× faster on NHWC tensors,
        # and bf16 autocast (forward in bfloat16, weights and optimiser in float32) another ~2× on
        # CPUs with AVX512-BF16 (measured: python -m bench.bench_training).
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
            self.optimizer = torch.optim.SGD(params, lr=lr, momentum=momentum, nesterov=momentum > 0,
                                             weight_decay=weight_decay)
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
        index = self._order[self._cursor:self._cursor + self.batch_size]
        self._cursor += self.batch_size
        return self.x_train[index].to(self.device), self.y_train[index].to(self.device)

    def step(self) -> dict:
        """One optimisation step on one mini-batch; returns {'step', 'loss', 'accuracy'}."""
        started = time.perf_counter()
        self.model.train()
        xb, yb = self._next_batch()
        if self.augment == "crop_flip":
            xb = random_crop_flip(xb, self.generator)
        if self.noise is not None:
            xb = xb + self.noise.sample(xb.shape, generator=self.generator, device=self.device)
        if self.adversarial is not None:
            xb = _adversarial_examples(self.model, xb, yb, self.adversarial, self.generator)
        for group in self.optimizer.param_groups:
            group["lr"] = self._learning_rate()
        with torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.precision == "bf16"):
            logits = self.model(xb)
        logits = logits.float()
        if self.loss_name == "ce":
            loss = self.criterion(logits, yb, label_smoothing=self.label_smoothing)
        else:
            loss = self.criterion(logits, yb)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()
        self.step_count += 1
        self.train_seconds += time.perf_counter() - started
        return {"step": self.step_count, "loss": float(loss.detach()),
                "accuracy": float((logits.argmax(1) == yb).float().mean())}

    def evaluate(self, *, max_examples: int | None = None) -> dict:
        """Empirical risk on the training set and held-out risk on the test set, now."""
        self.model.eval()
        x, y = self.x_train, self.y_train
        if max_examples is not None:
            x, y = x[:max_examples], y[:max_examples]
        train_loss, train_acc = risk_and_accuracy(self.model, x, y, loss=self.loss_name,
                                                  device=self.device)
        row = {"epoch": self.epoch_count, "step": self.step_count, "train_loss": train_loss,
               "train_acc": train_acc, "test_loss": None, "test_acc": None,
               "seconds": self.train_seconds}
        if self.x_test is not None:
            xt, yt = self.x_test, self.y_test
            if max_examples is not None:
                xt, yt = xt[:max_examples], yt[:max_examples]
            row["test_loss"], row["test_acc"] = risk_and_accuracy(
                self.model, xt, yt, loss=self.loss_name, device=self.device)
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


def train(model: nn.Module, x_train: torch.Tensor, y_train: torch.Tensor, *, epochs: int,
          x_test: torch.Tensor | None = None, y_test: torch.Tensor | None = None,
          callback=None, eval_examples: int | None = None, **trainer_kwargs) -> TrainResult:
    """Train ``model`` for ``epochs`` passes; returns the per-epoch history and the wall time.

    Keyword arguments go to :class:`Trainer` (loss, optimizer, lr, batch_size, noise,
    adversarial, augment, seed, device, …). The model is left in eval mode.
    """
    if epochs < 1:
        raise ValueError(f"epochs must be at least 1, got {epochs}.")
    trainer_kwargs.setdefault("epochs_planned", epochs)
    started = time.perf_counter()
    trainer = Trainer(model, x_train, y_train, x_test=x_test, y_test=y_test, **trainer_kwargs)
    for _ in range(epochs):
        trainer.epoch(callback=callback, eval_examples=eval_examples)
    model.to(memory_format=torch.contiguous_format).eval()
    return TrainResult(history=trainer.history, wall_time_s=time.perf_counter() - started,
                       steps=trainer.step_count)
