import streamlit as st

st.title("p08_decision_distribution")  # TEMPORARY: replaced by its owner
