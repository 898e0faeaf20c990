import streamlit as st

st.title("p06_adversarial_training")  # TEMPORARY: replaced by its owner
