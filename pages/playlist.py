"""Placeholder until this page lands."""

import streamlit as st

st.title("playlist")
st.info("This page is being built.")
