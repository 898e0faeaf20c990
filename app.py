"""Randomized Defenses Lab — a thin router over the talk's three parts (st.navigation)."""
import streamlit as st

from ui import layout

st.set_page_config(page_title="Randomized Defenses Lab", page_icon=":material/casino:", layout="wide")

PAGES = {
    "Start": [
        st.Page("pages/home.py", title="The talk in three parts", icon=":material/home:", default=True),
    ],
    "I. Supervised learning & neural networks": [
        st.Page("pages/p01_erm_playground.py", title="1 · ERM playground", icon=":material/show_chart:"),
        st.Page("pages/p02_composition.py", title="2 · A network is a composition", icon=":material/layers:"),
    ],
    "II. Adversarial examples": [
        st.Page("pages/p03_cat_to_dog.py", title="3 · Cat → dog", icon=":material/pets:"),
        st.Page("pages/p04_crafting_attacks.py", title="4 · Crafting an attack", icon=":material/build:"),
        st.Page("pages/p05_geometry.py", title="5 · Geometric interpretation", icon=":material/straighten:"),
    ],
    "III. Defenses & randomization": [
        st.Page("pages/p06_adversarial_training.py", title="6 · Adversarial training", icon=":material/shield:"),
        st.Page("pages/p07_noise_injection.py", title="7 · Noise injection", icon=":material/casino:"),
        st.Page("pages/p08_decision_distribution.py", title="8 · Noise → decision regions", icon=":material/map:"),
        st.Page("pages/p09_certificate.py", title="9 · The certificate α*", icon=":material/verified:"),
        st.Page("pages/p10_tradeoff.py", title="10 · Trade-off & best attacks", icon=":material/balance:"),
        st.Page("pages/p11_take_home.py", title="11 · Take-home", icon=":material/school:"),
    ],
    "More": [
        st.Page("pages/references.py", title="References", icon=":material/menu_book:"),
    ],
}

page = st.navigation(PAGES)
layout.mark_routed()
layout.presenter_mode()
page.run()
