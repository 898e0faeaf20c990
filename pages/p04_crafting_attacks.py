import streamlit as st

st.title("p04_crafting_attacks")  # TEMPORARY: replaced by its owner
