import streamlit as st

st.title("p05_geometry")  # TEMPORARY: replaced by its owner
