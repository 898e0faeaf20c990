"""Shared pieces of the randomization scenes (pages 7–10): the cached 2-D toy problem (also page 6's),
its noise-trained networks, the choice of a zoo model and a gallery image, and small plotting helpers.

Cached objects are shared by every user of the server: nobody mutates them (noise is injected
into copies by core.models.inject_noise, attacks never touch parameters).
"""
from __future__ import annotations

from typing import NamedTuple

import plotly.graph_objects as go
import streamlit as st
import torch

from core import data, models, noise as noises, training, zoo
from ui import adversarial, cache
from ui.adversarial import dataset_of

TOY_DATASET, TOY_POINTS, TOY_DATA_NOISE, TOY_TEST_FRACTION = "moons", 400, 0.1, 0.3
TOY_HIDDEN, TOY_EPOCHS, TOY_LR = [64, 64], 60, 1e-2
TOY_COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd"]
TOY_FILL = [[0.0, "rgba(31,119,180,0.30)"], [1.0, "rgba(214,39,40,0.30)"]]
TOY_USES = (f"two moons ({TOY_POINTS} points in [0, 1]², core.data.toy_2d, {int(TOY_TEST_FRACTION * 100)} % held "
            f"out) and a 2-{'-'.join(map(str, TOY_HIDDEN))}-2 ReLU network trained here on noisy inputs "
            f"x + ε ({TOY_EPOCHS} epochs of Adam, core.training.train)")


@st.cache_data(show_spinner=False)
def toy_split(seed: int):
    """(x_train, y_train, x_test, y_test) of the two moons in [0, 1]²."""
    x, y = data.toy_2d(TOY_DATASET, TOY_POINTS, noise=TOY_DATA_NOISE, seed=seed)
    return data.train_test_split(x, y, test_fraction=TOY_TEST_FRACTION, seed=seed)


def train_toy_network(seed: int, **options) -> torch.nn.Module:
    """The 2-64-64-2 ReLU network trained on ``toy_split(seed)`` by core.training.train (``options``:
    ``noise=`` or ``adversarial=``), returned in eval mode with frozen parameters, ready to be
    cached and shared by every user (callers cache it)."""
    x_train, y_train, _, _ = toy_split(seed)
    model = models.feed_forward(2, TOY_HIDDEN, 2, seed=seed)
    training.train(model, x_train, y_train, epochs=TOY_EPOCHS, lr=TOY_LR, batch_size=64, seed=seed,
                   device=cache.device(), **options)
    model.eval()
    for parameter in model.parameters():
        parameter.requires_grad_(False)
    return model


@st.cache_resource(show_spinner=False)
def toy_model(seed: int, noise_name: str = "gaussian", train_std: float = 0.1) -> torch.nn.Module:
    """The toy base classifier F, trained with noise-augmented ERM (std ``train_std`` of
    ``noise_name``; 0 = plain ERM), as Cohen et al. train their base classifiers. Never mutated."""
    options = {}
    if train_std > 0:
        options["noise"] = noises.make(noise_name, noises.scale_for_std(noise_name, train_std))
    return train_toy_network(seed, **options)


def toy_models_ready(seed: int, specs) -> None:
    """Train (or fetch from the cache) the toy models ``specs`` = [(noise_name, std), …] with a
    progress bar, outside the cached function."""
    specs = list(specs)
    bar = st.progress(0.0, text="Training the toy networks…")
    for done, (name, std) in enumerate(specs, start=1):
        toy_model(seed, name, std)
        bar.progress(done / len(specs), text=f"Toy network {done}/{len(specs)} ready")
    bar.empty()


def noise_spec(name: str) -> dict | None:
    """The manifest's record of the noise a zoo model was trained with ({name, scale, layer}), or None."""
    entry = cache.zoo_entry(name)
    return entry.get("noise") or entry.get("architecture", {}).get("noise") or None


def noisy_image_models() -> list[str]:
    """Zoo models trained with noise at the input (the smoothed classifiers of the talk)."""
    return [name for name in cache.zoo_names() if (noise_spec(name) or {}).get("layer", -1) == 0]


def pick_zoo_model(label: str, *, key: str, only_noise: bool = True, container=st) -> str | None:
    """A selectbox over the zoo models present in the manifest (CIFAR-10 Gaussian σ = 0.25 first).

    Shows one sentence and returns None when the zoo has none yet."""
    available = noisy_image_models() if only_noise else list(cache.zoo_names())
    if not available:
        try:
            zoo.entry("cifar10-gaussian-0.25")
        except zoo.ModelUnavailable as error:
            container.info(str(error))
        return None
    order = ["cifar10-gaussian-0.25", "mnist-gaussian-0.25"]
    available.sort(key=lambda name: (order.index(name) if name in order else len(order), name))
    return container.selectbox(label, available, key=key)


@st.cache_resource(show_spinner="Loading the trained model…")
def base_classifier(name: str) -> torch.nn.Module:
    """The deterministic base network F of a zoo model: its layers without the noise-injection
    layer (parameters shared with the cached model, never modified)."""
    return models.without_noise(cache.zoo_model(name)).eval()


def loadable(model_name: str | None) -> str | None:
    """``model_name`` when its base classifier loads; otherwise one sentence (st.info: the
    ModelUnavailable message, with the command that builds the model) and None."""
    if model_name is None:
        return None
    try:
        base_classifier(model_name)
    except zoo.ModelUnavailable as error:
        st.info(str(error))
        return None
    return model_name


class GalleryImage(NamedTuple):
    """A gallery image picked for a zoo model: unpack as ``dataset, class_names, x_gallery,
    y_gallery, index``."""

    dataset: str
    class_names: list[str]
    x_gallery: torch.Tensor
    y_gallery: torch.Tensor
    index: int


def pick_gallery_image(model_name: str, *, key: str) -> GalleryImage:
    """The offline gallery of ``model_name``'s dataset and a "Gallery image" selectbox over it."""
    dataset = dataset_of(model_name)
    class_names = data.CLASS_NAMES[dataset]
    x_gallery, y_gallery = cache.gallery(dataset)
    index = adversarial.gallery_choice("Gallery image", y_gallery, class_names, key=key)
    return GalleryImage(dataset, class_names, x_gallery, y_gallery, index)


def zoo_noise(name: str):
    """The noise a zoo model was trained with (core.noise.Noise) and the layer it was injected at."""
    spec = noise_spec(name)
    if spec is None:
        raise ValueError(f"{name} was trained without noise: pick a noise-trained model.")
    return noises.make(spec["name"], float(spec["scale"]), **dict(spec.get("params", {}))), int(spec["layer"])


def toy_regions_figure(regions, title: str, *, height: int = 420, probability: bool = False) -> go.Figure:
    """Decision regions of a 2-class toy classifier (or P(class 1) as a heatmap when ``probability``)."""
    figure = go.Figure()
    if probability:
        figure.add_heatmap(x=regions.xs.numpy(), y=regions.ys.numpy(), z=regions.probs[..., 1].numpy(),
                           zmin=0, zmax=1, colorscale="RdBu_r", opacity=0.75, hoverinfo="skip",
                           colorbar=dict(title="P(class 1)", len=0.8))
    else:
        figure.add_heatmap(x=regions.xs.numpy(), y=regions.ys.numpy(), z=regions.labels.float().numpy(),
                           zmin=0, zmax=1, colorscale=TOY_FILL, showscale=False, hoverinfo="skip")
    figure.update_layout(height=height, margin=dict(l=10, r=10, t=40, b=10), title=title,
                         xaxis=dict(range=[0, 1], constrain="domain"),
                         yaxis=dict(range=[0, 1], scaleanchor="x"), legend=dict(orientation="h", y=-0.12))
    return figure
