import streamlit as st

st.title("p07_noise_injection")  # TEMPORARY: replaced by its owner
