"""Shared pieces of the adversarial-example scenes (pages 3–6): choosing a zoo model, decoding an
upload, showing images and perturbations, drawing 2-D decision regions, reading shipped results.

Cached objects are shared by every user of the server: nothing here modifies a model.
"""
from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st
import torch

from core import data, results, zoo
from ui import cache

DATASET_TITLES = {"cifar10": "CIFAR-10", "mnist": "MNIST", "fashion_mnist": "Fashion-MNIST"}
CLASS_COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd"]
CLASS_FILLS = ["rgba(31,119,180,0.30)", "rgba(214,39,40,0.30)", "rgba(44,160,44,0.30)", "rgba(148,103,189,0.30)"]


# --------------------------------------------------------------------------- zoo models

def deterministic_models(datasets=("cifar10", "mnist", "fashion_mnist")) -> list[str]:
    """Zoo models (in the manifest) without a noise layer, on one of ``datasets``: the classifiers
    F that adversarial examples fool (standard and adversarially trained ones)."""
    names = []
    for name in cache.zoo_names():
        record = cache.zoo_entry(name)
        noise = (record.get("architecture") or {}).get("noise") or record.get("noise")
        if not noise and record.get("dataset") in datasets:
            names.append(name)
    return names


def pick_model(label: str, *, key: str, prefer: list[str], datasets=("cifar10", "mnist", "fashion_mnist"),
               container=st) -> str | None:
    """A selectbox over the noiseless zoo models of ``datasets``, ``prefer`` first (in that order).

    When the first preferred model is not trained yet, says so in one sentence (ModelUnavailable's
    message, with the command that builds it); returns None when no model is available at all."""
    available = deterministic_models(datasets)
    try:
        cache.zoo_entry(prefer[0])
    except zoo.ModelUnavailable as error:
        st.info(str(error) if not available else
                f"{prefer[0]} is not in the zoo yet, so another model is shown — {error}")
    if not available:
        return None
    available.sort(key=lambda name: (prefer.index(name) if name in prefer else len(prefer), name))
    return container.selectbox(label, available, key=key)


def load_model(name: str):
    """The cached zoo model, or one sentence (st.info) and None when it cannot be loaded."""
    try:
        return cache.zoo_model(name)
    except zoo.ModelUnavailable as error:
        st.info(str(error))
        return None


def dataset_of(name: str) -> str:
    return cache.zoo_entry(name)["dataset"]


def model_and_gallery(label: str, *, key: str, prefer: list[str]):
    """The sidebar's choice of a noiseless zoo model (:func:`pick_model`), then its dataset, class
    names and gallery: (model_name, dataset, class_names, x_gallery, y_gallery).

    Stops the page after one sentence (st.info) when no model can be loaded."""
    model_name = pick_model(label, key=key, prefer=prefer, container=st.sidebar)
    if model_name is None or load_model(model_name) is None:
        st.stop()
    dataset = dataset_of(model_name)
    x_gallery, y_gallery = cache.gallery(dataset)
    return model_name, dataset, data.CLASS_NAMES[dataset], x_gallery, y_gallery


def gallery_choice(label: str, labels: torch.Tensor, class_names: list[str], *, key: str, index: int = 0,
                   container=st) -> int:
    """A selectbox over the gallery's images, each listed as "#k · its class"; returns k."""
    return container.selectbox(label, range(len(labels)), index=index, key=key,
                               format_func=lambda k: f"#{k} · {class_names[int(labels[k])]}")


# --------------------------------------------------------------------------- uploads

def read_upload(content: bytes, *, size: int, channels: int) -> tuple[torch.Tensor | None, str | None]:
    """Decode an uploaded photo for a size×size model (centre-crop, resize; core.data.load_image).

    Returns (image, None), or (None, one sentence for the user) when the bytes are not a readable
    image — the page shows the sentence and keeps using the gallery."""
    try:
        return data.load_image(content, size=size, channels=channels), None
    except data.InvalidImage as error:
        return None, str(error)


# --------------------------------------------------------------------------- images

def image_figure(image: torch.Tensor, title: str = "", *, height: int = 260) -> go.Figure:
    """A C×H×W image in [0, 1] as a Plotly figure (grey when it has one channel)."""
    pixels = (image.detach().float().clamp(0, 1).cpu() * 255).round().byte()
    if pixels.shape[0] == 1:
        pixels = pixels.expand(3, -1, -1)
    figure = go.Figure(go.Image(z=pixels.permute(1, 2, 0).numpy(), hoverinfo="skip"))
    figure.update_layout(height=height, margin=dict(l=0, r=0, t=36 if title else 0, b=0),
                         title=dict(text=title, font=dict(size=15)),
                         xaxis=dict(visible=False), yaxis=dict(visible=False))
    return figure


def perturbation_view(tau: torch.Tensor) -> tuple[float, torch.Tensor]:
    """(s, picture) with s = ‖τ‖∞ and the picture (τ/s + 1)/2 ∈ [0, 1]: grey is 0, so that
    x_adv = x + s · (τ/s) reads as in the talk ("+ 0.007 ×" an image of unit amplitude)."""
    scale = float(tau.abs().max())
    unit = tau / scale if scale > 0 else torch.zeros_like(tau)
    return scale, (unit + 1) / 2


# --------------------------------------------------------------------------- 2-D decision regions

def region_colorscale(classes: int) -> list:
    """A heatmap colour scale giving class k (z = k) the pale colour of its data points."""
    return [[k / (classes - 1), CLASS_FILLS[k % len(CLASS_FILLS)]] for k in range(classes)]


def regions_figure(regions, title: str, *, height: int = 460) -> go.Figure:
    """Decision regions (arg-max class as a filled heatmap) with the boundary P(class 1) = ½ drawn
    as a contour, on [0, 1]² with equal axes."""
    classes = max(2, regions.probs.shape[-1])
    figure = go.Figure()
    figure.add_heatmap(x=regions.xs.numpy(), y=regions.ys.numpy(), z=regions.labels.float().numpy(),
                       zmin=0, zmax=classes - 1, colorscale=region_colorscale(classes),
                       showscale=False, hoverinfo="skip")
    if regions.probs.shape[-1] == 2:
        figure.add_contour(x=regions.xs.numpy(), y=regions.ys.numpy(), z=regions.probs[..., 1].numpy(),
                           contours=dict(start=0.5, end=0.5, size=1, coloring="none"),
                           line=dict(color="black", width=2), showscale=False, hoverinfo="skip",
                           name="boundary", showlegend=False)
    figure.update_layout(height=height, margin=dict(l=10, r=10, t=40, b=10), title=title,
                         xaxis=dict(range=[0, 1], constrain="domain", title="x₁"),
                         yaxis=dict(range=[0, 1], scaleanchor="x", title="x₂"),
                         legend=dict(orientation="h", y=-0.15))
    return figure


def add_points(figure: go.Figure, x: torch.Tensor, y: torch.Tensor, *, size: int = 6, opacity: float = 0.8,
               name: str = "data") -> None:
    """The data as one scatter trace per class (hover shows coordinates)."""
    for label in sorted(set(y.tolist())):
        chosen = x[y == label]
        figure.add_scatter(x=chosen[:, 0].numpy(), y=chosen[:, 1].numpy(), mode="markers",
                           name=f"{name}: class {label}",
                           marker=dict(color=CLASS_COLORS[label % len(CLASS_COLORS)], size=size, opacity=opacity,
                                       line=dict(color="white", width=0.5)))


def ball_outline(centre: torch.Tensor, eps: float, norm: str, points: int = 120) -> tuple[list, list]:
    """x and y coordinates of the boundary of {x' : ‖x' − centre‖ ≤ ε}: a circle for ℓ2, an
    axis-aligned square for ℓ∞."""
    cx, cy = float(centre[0]), float(centre[1])
    if norm == "linf":
        return ([cx - eps, cx + eps, cx + eps, cx - eps, cx - eps],
                [cy - eps, cy - eps, cy + eps, cy + eps, cy - eps])
    angles = torch.linspace(0, 2 * torch.pi, points)
    return (cx + eps * torch.cos(angles)).tolist(), (cy + eps * torch.sin(angles)).tolist()


# --------------------------------------------------------------------------- shipped results

def shipped(kind: str, subject: str) -> tuple[dict | None, str | None]:
    """A shipped result (core.results.read), or (None, one sentence naming the command to run)."""
    try:
        return results.read(kind, subject), None
    except (results.ResultsUnavailable, ValueError) as error:
        return None, str(error)


def percent(value) -> str:
    return "—" if value is None else f"{100 * value:.1f} %"
