"""The zoo model + gallery image picker of the image scenes (pages 3, 4, 7, 8 and 9).

Both choices are bound to the URL under the keys of the scene's two declared parameters
(core.scenes.parameters.zoo_image: ``pNN_model``, ``pNN_image``); the image is one of the 20 offline gallery
images of the model's dataset, labelled "#k · its class" (core.scenes.common), so a link names it as
``p09_image=#2 · ship``.
"""

from __future__ import annotations

from typing import NamedTuple

from core.scenes import common
from core.scenes.parameters import Parameter
from ui import url
from ui.recorder import streamlit_recorded as st


class Picked(NamedTuple):
    model: str
    dataset: str  # the model's dataset, whose gallery the image comes from
    index: int  # the gallery image


def zoo_image(
    parameters: dict[str, Parameter],
    models: list[str],
    *,
    missing: str = "",
    model_label: str = "Zoo model",
    image_label: str = "Gallery image",
    model_where=None,
    image_where=None,
    default_image=0,
    **image,
) -> Picked | None:
    """The chosen zoo model, its dataset and the gallery image's index; None, with the sentence
    ``missing``, when ``models`` is empty; ``parameters``: the scene's, holding "model" and "image".
    ``image_label`` may name the dataset as ``{dataset}``;
    ``default_image`` is an index or a function of the dataset; ``image`` goes to the image's selectbox."""
    if not models:
        (image_where if image_where is not None else st).info(missing)
        return None
    model = url.selectbox(model_label, parameters["model"], choices=models, where=model_where)
    dataset = common.dataset_of(model)
    options = common.gallery_options(dataset)
    index = url.selectbox(
        image_label.format(dataset=common.DATASET_TITLES.get(dataset, dataset)),
        parameters["image"],
        choices=range(len(options)),
        index=default_image(dataset) if callable(default_image) else default_image,
        format_func=options.__getitem__,
        where=image_where,
        **image,
    )
    return Picked(model, dataset, int(index))
