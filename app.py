"""Randomized Defenses Lab — outline of the talk (pages arrive with the dashboard issue)."""
import streamlit as st

st.set_page_config(page_title="Randomized Defenses Lab", layout="wide")
st.title("Toward certified defenses to adversarial examples through randomization")
st.markdown(
    """
**I. Supervised learning & neural networks** — ERM, networks as compositions of layers.

**II. Adversarial examples** — a cat plus a tiny perturbation is a "dog"; crafting attacks; geometry.

**III. Defenses & randomization** — adversarial training, noise injection, the certified radius α*.
"""
)
