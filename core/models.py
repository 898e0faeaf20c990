"""Networks as explicit compositions F = φ(N)∘…∘φ(1), and noise injection F̃_ε.

Every model here is a :class:`Layered` network: ``model.layers[i-1]`` is φ(i), so the output of
each layer can be inspected (``representations``) and noise can be injected after any layer i
(i = 0 is the input) by :func:`inject_noise`.
"""

from __future__ import annotations

import copy

import torch
from torch import nn

ACTIVATIONS = ("relu", "tanh", "sigmoid", "gelu")
_ACTIVATION_MODULES = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "gelu": nn.GELU}

# Per-channel statistics of the training sets, on [0, 1] (see ../shared/data/README.md).
DATASET_STATS = {
    "mnist": ((0.1307,), (0.3081,)),
    "fashion_mnist": ((0.2860,), (0.3530,)),
    "cifar10": ((0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616)),
}


def _activation(name: str) -> nn.Module:
    if name not in _ACTIVATION_MODULES:
        raise ValueError(f"Unknown activation {name!r}: choose one of {', '.join(ACTIVATIONS)}.")
    return _ACTIVATION_MODULES[name]()


class Normalize(nn.Module):
    """(x − mean) / std per channel, so that models take images in [0, 1] (pixel units)."""

    def __init__(self, mean, std):
        super().__init__()
        self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32).view(1, -1, 1, 1))
        self.register_buffer("std", torch.tensor(std, dtype=torch.float32).view(1, -1, 1, 1))

    def forward(self, x):
        return (x - self.mean) / self.std


class Phi(nn.Sequential):
    """One layer of the talk's network: φ(z) = σ(W z + b).

    ``activation=None`` gives the last, affine layer (logits).
    """

    def __init__(self, in_features: int, out_features: int, activation: str | None = "relu"):
        modules = [nn.Linear(in_features, out_features)]
        if activation is not None:
            modules.append(_activation(activation))
        super().__init__(*modules)

    @property
    def linear(self) -> nn.Linear:
        return self[0]


class Layered(nn.Module):
    """A network F = φ(N)∘…∘φ(1) stored as an explicit list of layers.

    ``layers[i-1]`` is φ(i). ``representations(x)`` returns [x, φ(1)(x), φ(2)(φ(1)(x)), …], the
    hidden representations the talk draws; ``prefix(i)`` is φ(i)∘…∘φ(1) and ``suffix(i)`` the
    rest, so F = suffix(i) ∘ prefix(i) for every i.
    """

    def __init__(self, layers, *, architecture: dict | None = None):
        super().__init__()
        self.layers = nn.ModuleList(layers)
        self.architecture = dict(architecture or {})

    def forward(self, x):
        for layer in self.layers:
            x = layer(x)
        return x

    def representations(self, x) -> list[torch.Tensor]:
        outputs = [x]
        for layer in self.layers:
            outputs.append(layer(outputs[-1]))
        return outputs

    def _check_index(self, i: int) -> None:
        if not 0 <= i <= len(self.layers):
            raise ValueError(f"Layer index {i} is out of range: use 0 (the input) to {len(self.layers)}.")

    def prefix(self, i: int) -> "Layered":
        """φ(i)∘…∘φ(1) (the identity for i = 0); shares parameters with this model."""
        self._check_index(i)
        return Layered(list(self.layers[:i]))

    def suffix(self, i: int) -> "Layered":
        """φ(N)∘…∘φ(i+1); shares parameters with this model."""
        self._check_index(i)
        return Layered(list(self.layers[i:]))


def initialise(layers, seed: int) -> None:
    """PyTorch's default initialisation of every affine and convolution layer, drawn from a
    generator seeded with ``seed`` instead of the process-wide RNG (which the sessions of one
    server share): W ~ U(±√(1/fan_in)) (Kaiming-uniform with a = √5), b ~ U(±1/√fan_in)."""
    generator = torch.Generator().manual_seed(int(seed))
    for layer in layers:
        for module in layer.modules():
            if isinstance(module, (nn.Linear, nn.Conv2d)):
                nn.init.kaiming_uniform_(module.weight, a=5**0.5, generator=generator)
                if module.bias is not None:
                    fan_in = module.weight[0].numel()
                    bound = 1 / fan_in**0.5
                    nn.init.uniform_(module.bias, -bound, bound, generator=generator)


def _materialised(layers: list[nn.Module], seed: int) -> list[nn.Module]:
    """Layers built on the meta device (so that building draws nothing from the process-wide RNG)
    given real storage on the CPU and initialised from ``seed``."""
    layers = [layer.to_empty(device="cpu") for layer in layers]
    for layer in layers:
        for module in layer.modules():
            if isinstance(module, nn.modules.batchnorm._BatchNorm):
                module.reset_parameters()  # γ = 1, β = 0, running statistics reset: no draw
    initialise(layers, seed)
    return layers


def feed_forward(
    in_dim: int, hidden: list[int], out_dim: int, *, activation: str = "relu", seed: int = 0
) -> Layered:
    """The talk's feed-forward network F = φ(N)∘…∘φ(1), φ(i)(z) = σ(W_i z + b_i).

    ``hidden`` lists the widths of the hidden layers; the last layer is affine (logits).
    Weights are initialised from ``seed`` (PyTorch's default initialisation).
    """
    if in_dim < 1 or out_dim < 1 or any(int(w) < 1 for w in hidden):
        raise ValueError("Layer widths must be positive integers.")
    _activation(activation)  # validate the name before building anything
    widths = [int(in_dim), *[int(w) for w in hidden], int(out_dim)]
    with torch.device("meta"):
        layers = [
            Phi(a, b, activation if k < len(widths) - 2 else None)
            for k, (a, b) in enumerate(zip(widths[:-1], widths[1:]))
        ]
    layers = _materialised(layers, seed)
    architecture = {
        "kind": "feed_forward",
        "in_dim": in_dim,
        "hidden": list(map(int, hidden)),
        "out_dim": out_dim,
        "activation": activation,
    }
    return Layered(
        [nn.Sequential(nn.Flatten(), layers[0]) if k == 0 else layer for k, layer in enumerate(layers)],
        architecture=architecture,
    )


def _conv_block(c_in: int, c_out: int, *, pool: bool) -> list[nn.Module]:
    modules: list[nn.Module] = [nn.Conv2d(c_in, c_out, 3, padding=1, bias=False)]
    if pool:
        modules.append(nn.MaxPool2d(2))
    modules += [nn.BatchNorm2d(c_out), nn.ReLU()]
    return modules


def mnist_cnn(*, width: int = 16, seed: int = 0) -> Layered:
    """Small CNN for 1×28×28 inputs in [0, 1]: three conv layers then two affine layers."""
    mean, std = DATASET_STATS["mnist"]
    with torch.device("meta"):
        layers = [
            nn.Sequential(*_conv_block(1, width, pool=False)),
            nn.Sequential(*_conv_block(width, 2 * width, pool=True)),  # 14×14
            nn.Sequential(*_conv_block(2 * width, 4 * width, pool=True)),  # 7×7
            nn.Sequential(nn.Flatten(), nn.Linear(4 * width * 49, 128), nn.ReLU()),
            nn.Sequential(nn.Linear(128, 10)),
        ]
    layers = _materialised(layers, seed)
    layers[0] = nn.Sequential(Normalize(mean, std), *layers[0])
    return Layered(layers, architecture={"kind": "mnist_cnn", "width": width})


class _Scale(nn.Module):
    """Multiply by a constant (keeps logits of a max-pooled head in a trainable range)."""

    def __init__(self, factor: float):
        super().__init__()
        self.factor = factor

    def forward(self, x):
        return x * self.factor


def cifar_cnn(*, width: int = 32, seed: int = 0) -> Layered:
    """CNN for 3×32×32 inputs in [0, 1], in the spirit of fast CIFAR-10 trainers.

    Six conv layers (widths w, 2w, 2w, 4w, 4w, 8w) with batch norm, max-pooling to 4×4, a global
    max-pool and an affine head. Small enough to train on a laptop CPU.
    """
    mean, std = DATASET_STATS["cifar10"]
    w = width
    with torch.device("meta"):
        layers = [
            nn.Sequential(*_conv_block(3, w, pool=False)),  # 32×32
            nn.Sequential(*_conv_block(w, 2 * w, pool=True)),  # 16×16
            nn.Sequential(*_conv_block(2 * w, 2 * w, pool=False)),
            nn.Sequential(*_conv_block(2 * w, 4 * w, pool=True)),  # 8×8
            nn.Sequential(*_conv_block(4 * w, 4 * w, pool=False)),
            nn.Sequential(*_conv_block(4 * w, 8 * w, pool=True)),  # 4×4
            nn.Sequential(
                nn.AdaptiveMaxPool2d(1), nn.Flatten(), nn.Linear(8 * w, 10, bias=False), _Scale(0.125)
            ),
        ]
    layers = _materialised(layers, seed)
    layers[0] = nn.Sequential(Normalize(mean, std), *layers[0])
    return Layered(layers, architecture={"kind": "cifar_cnn", "width": w})


class BasicBlock(nn.Module):
    """The residual block of He et al. 2016 ("Deep Residual Learning", CIFAR-10 ResNets):
    z ↦ ReLU(BN(conv(ReLU(BN(conv(z))))) + shortcut(z)), the shortcut a strided 1×1 conv + BN when
    the shape changes, else the identity. Conv + BN pairs sit in nn.Sequentials, so
    core.inference.fold_batchnorm folds them."""

    def __init__(self, c_in: int, c_out: int, *, stride: int = 1):
        super().__init__()
        self.residual = nn.Sequential(
            nn.Conv2d(c_in, c_out, 3, stride=stride, padding=1, bias=False),
            nn.BatchNorm2d(c_out),
            nn.ReLU(),
            nn.Conv2d(c_out, c_out, 3, padding=1, bias=False),
            nn.BatchNorm2d(c_out),
        )
        self.shortcut = (
            nn.Sequential(nn.Conv2d(c_in, c_out, 1, stride=stride, bias=False), nn.BatchNorm2d(c_out))
            if stride != 1 or c_in != c_out
            else nn.Identity()
        )

    def forward(self, z):
        return torch.relu(self.residual(z) + self.shortcut(z))


def cifar_resnet(*, width: int = 16, blocks=(1, 1, 1), seed: int = 0) -> Layered:
    """Small ResNet for 3×32×32 inputs in [0, 1] (He et al. 2016's CIFAR-10 family: blocks = (3, 3, 3)
    is ResNet-20 at width 16), sized for 2 CPU cores by default.

    φ(1) normalises and applies a 3×3 conv + BN + ReLU (width w, 32×32); then one Layered layer per
    :class:`BasicBlock`: stages of ``blocks[0]``, ``blocks[1]``, ``blocks[2]`` blocks at widths w, 2w, 4w
    and 32, 16, 8 pixels (the first block of a stage strides by 2); the last layer is a global
    average pool and an affine head (logits).
    """
    blocks = [int(b) for b in blocks]
    if int(width) < 1 or len(blocks) != 3 or any(b < 1 for b in blocks):
        raise ValueError(
            f"cifar_resnet needs a positive width and three positive block counts, got width={width}, "
            f"blocks={tuple(blocks)}."
        )
    mean, std = DATASET_STATS["cifar10"]
    w = int(width)
    with torch.device("meta"):
        layers: list[nn.Module] = [nn.Sequential(*_conv_block(3, w, pool=False))]  # 32×32
        c_in = w
        for stage, count in enumerate(blocks):
            c_out = w * 2**stage  # 32, 16, 8 px
            for k in range(count):
                layers.append(BasicBlock(c_in, c_out, stride=2 if stage > 0 and k == 0 else 1))
                c_in = c_out
        layers.append(nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(c_in, 10)))
    layers = _materialised(layers, seed)
    layers[0] = nn.Sequential(Normalize(mean, std), *layers[0])
    return Layered(layers, architecture={"kind": "cifar_resnet", "width": w, "blocks": blocks})


def build(architecture: dict) -> Layered:
    """Rebuild an (untrained) network from a manifest ``architecture`` dict."""
    arch = dict(architecture)
    kind = arch.pop("kind", None)
    noise_spec = arch.pop("noise", None)
    builders = {
        "feed_forward": feed_forward,
        "mnist_cnn": mnist_cnn,
        "cifar_cnn": cifar_cnn,
        "cifar_resnet": cifar_resnet,
    }
    if kind not in builders:
        raise ValueError(f"Unknown architecture {kind!r}: expected one of {', '.join(builders)}.")
    if kind == "feed_forward":
        model = feed_forward(arch.pop("in_dim"), arch.pop("hidden"), arch.pop("out_dim"), **arch)
    else:
        model = builders[kind](**arch)
    if noise_spec:
        from core import noise as noise_module

        params = dict(noise_spec.get("params", {}))
        model = inject_noise(
            model,
            int(noise_spec["layer"]),
            noise_module.make(noise_spec["name"], float(noise_spec["scale"]), **params),
            seed=int(noise_spec.get("seed", 0)),
        )
    return model


class NoiseInjection(nn.Module):
    """z ↦ z + ε, ε ~ D(0, scale), in training *and* at inference: the randomized layer of F̃_ε.

    The draws come from this layer's own ``torch.Generator`` seeded with ``seed`` (created on the
    input's device at the first forward), so a demo replays identically after ``reseed``.
    """

    def __init__(self, noise, *, seed: int = 0):
        super().__init__()
        self.noise = noise
        self.seed = int(seed)
        self._generator: torch.Generator | None = None

    def reseed(self, seed: int | None = None) -> None:
        """Restart the noise sequence (from ``seed`` if given, else from the current seed)."""
        if seed is not None:
            self.seed = int(seed)
        self._generator = None

    def forward(self, z):
        if self._generator is None or self._generator.device != z.device:
            self._generator = torch.Generator(device=z.device)
            self._generator.manual_seed(self.seed)
        return z + self.noise.sample(z.shape, generator=self._generator, device=z.device).to(z.dtype)

    def extra_repr(self) -> str:
        return f"noise={self.noise!r}, seed={self.seed}"

    def __deepcopy__(self, memo):
        # Generators cannot be deep-copied; a copy restarts its own sequence from the seed.
        clone = NoiseInjection(self.noise, seed=self.seed)
        clone.training = self.training
        return clone


def inject_noise(model: Layered, layer: int, noise, *, seed: int = 0) -> Layered:
    """Return a copy of ``model`` computing F̃_ε: noise ε added to the output of φ(layer).

    ``layer = 0`` adds the noise to the input (randomized smoothing, Cohen et al. 2019); ``layer
    = i`` adds it after φ(i) (Li et al. 2019; Pinot et al. 2019). The noise stays on at inference.
    The original model is not modified (cached models are shared between users).
    """
    if not isinstance(model, Layered):
        raise ValueError("inject_noise needs a Layered model (built by core.models).")
    model._check_index(layer)
    clone = copy.deepcopy(model)
    layers = list(clone.layers)
    injection = NoiseInjection(noise, seed=seed)
    if layer == 0:
        layers[0] = nn.Sequential(injection, layers[0])
    else:
        layers[layer - 1] = nn.Sequential(layers[layer - 1], injection)
    architecture = dict(model.architecture)
    architecture["noise"] = {
        "name": noise.name,
        "scale": float(noise.scale),
        "layer": int(layer),
        "seed": int(seed),
        "params": dict(getattr(noise, "params", {}) or {}),
    }
    return Layered(layers, architecture=architecture)


def without_noise(model: Layered) -> Layered:
    """The deterministic base network f of F̃_ε: the same layers (shared parameters) with every
    noise-injection layer removed. CERTIFY and PREDICT add the noise themselves."""

    def strip(module: nn.Module) -> nn.Module:
        if isinstance(module, nn.Sequential) and any(isinstance(m, NoiseInjection) for m in module):
            kept = [m for m in module if not isinstance(m, NoiseInjection)]
            return kept[0] if len(kept) == 1 else nn.Sequential(*kept)
        return module

    architecture = {k: v for k, v in model.architecture.items() if k != "noise"}
    stripped = Layered([strip(layer) for layer in model.layers], architecture=architecture)
    return stripped.train(model.training)


def noise_layers(model: nn.Module) -> list[NoiseInjection]:
    """All noise-injection layers of a model (empty for a deterministic network)."""
    return [m for m in model.modules() if isinstance(m, NoiseInjection)]


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
