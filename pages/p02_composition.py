import streamlit as st

st.title("p02_composition")  # TEMPORARY: replaced by its owner
