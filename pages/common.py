"""Streamlit helpers shared by every page: session mood, sidebar, cached resources."""

from __future__ import annotations

import streamlit as st

from tunex_core.emotions import EMOTION_BY_NAME
from tunex_core.mood import Mood

MOOD_KEY = "mood"


def route_first_request_through_app() -> None:
    """Make a page URL opened as a fresh server's first request show the app's own navigation.

    Streamlit sees the ``pages/`` folder beside ``app.py`` and, until some script calls
    ``st.navigation``, runs in its old multipage mode: a first request for ``/live`` runs
    ``pages/live.py`` alone, lists every file of ``pages/`` in the sidebar and skips ``app.py``
    (no Session-mood panel), for every visitor until someone opens ``/``. Every page imports this
    module, so the first page run in that mode switches the mode off and reruns, now through
    ``app.py``, on the same URL.
    """
    try:
        from streamlit.runtime.pages_manager import PagesManager
    except ImportError:  # a Streamlit without the old mode
        return
    if getattr(PagesManager, "uses_pages_directory", None):
        PagesManager.uses_pages_directory = False
        st.rerun()


route_first_request_through_app()


def init_session_state() -> None:
    """Set the session-state defaults once per browser session."""
    st.session_state.setdefault(MOOD_KEY, None)


def session_mood() -> Mood | None:
    """The mood the user chose with "Use this mood" (or on another page), if any."""
    return st.session_state.get(MOOD_KEY)


def set_session_mood(mood: Mood) -> None:
    """Make ``mood`` the session mood used by the Song map and Playlist pages."""
    st.session_state[MOOD_KEY] = mood


def render_mood_sidebar() -> None:
    """Show the current session mood (emotion, confidence, valence-arousal) in the sidebar."""
    mood = session_mood()
    with st.sidebar:
        st.subheader("Session mood")
        if mood is None:
            st.caption("No mood yet — read one on **Live mood**, or pick one on **Home** or **Playlist**.")
            return
        emotion = EMOTION_BY_NAME[mood.label]
        st.markdown(f"### {emotion.emoji} {emotion.display_name}")
        st.progress(mood.confidence, text=f"confidence {mood.confidence:.0%}")
        st.caption(f"valence {mood.valence:.2f} · arousal {mood.arousal:.2f} · from {mood.source}")

# Session-state key: list of dicts ``{time, face, label, confidence}`` from the Live page.
CONFIDENCE_HISTORY_KEY = "confidence_history"


@st.cache_resource(show_spinner="Loading the emotion model…")
def cached_pipeline():
    """The emotion pipeline, loaded once per server process and shared by sessions."""
    from tunex_core.vision.pipeline import EmotionPipeline

    return EmotionPipeline.load()


def record_confidence_history(samples: list[dict], limit: int = 5000) -> None:
    """Append live per-face confidence samples for the Model page (bounded)."""
    history = st.session_state.setdefault(CONFIDENCE_HISTORY_KEY, [])
    history.extend(samples)
    del history[:-limit]
