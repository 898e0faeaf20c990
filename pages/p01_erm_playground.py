import streamlit as st

st.title("p01_erm_playground")  # TEMPORARY: replaced by its owner
