"""Streamlit page views (thin: logic lives in ``tunex_core``)."""
