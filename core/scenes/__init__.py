"""The scenes of the talk, computed without Streamlit.

One module per scene (see ``registry.SCENES``): plain functions that take the widget values and a
seed and return a small, picklable result object (numbers, NumPy arrays, caption facts) holding
everything the page shows. Pages call them through ``ui.frame.compute`` (cached) and only draw.
A module may declare ``SHIPPED_TOYS`` (core.toys specs shipped by ``python -m core.scenes build
--toys``) and ship its expensive opening results through ``core.scenes.shipped`` (its ``build()``;
``python -m core.scenes build``).
"""
