"""Placeholder until this page lands."""

import streamlit as st

st.title("song_map")
st.info("This page is being built.")
