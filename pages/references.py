import streamlit as st

st.title("references")  # TEMPORARY: replaced by its owner
