import streamlit as st

st.title("p10_tradeoff")  # TEMPORARY: replaced by its owner
