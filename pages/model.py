"""Placeholder until this page lands."""

import streamlit as st

st.title("model")
st.info("This page is being built.")
