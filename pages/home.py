import streamlit as st

st.title("home")  # TEMPORARY: replaced by its owner
