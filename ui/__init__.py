"""Streamlit-only helpers for the pages: cached loaders, layout, presenter mode, state."""
