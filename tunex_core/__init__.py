"""TuneX core: emotion recognition, music catalog and recommendation logic.

This package never imports Streamlit; the pages in ``pages/`` call into it.
"""

__version__ = "0.1.0"
