"""TuneX: the Streamlit router. Run with ``streamlit run app.py``."""

import streamlit as st

# streamlit-webrtc's SRTP library crashes the process if it loads after TensorFlow's native
# libraries (the reverse order is fine), so the WebRTC stack is loaded first, before any page.
import streamlit_webrtc  # noqa: F401

from pages.common import init_session_state, show_mood_sidebar
from pages.sharing import require_access_code
from tunex_core.live.memory import tune_allocator_for_video

# Before any stream starts its threads: video frames then go back to the system when freed.
tune_allocator_for_video()

st.set_page_config(page_title="TuneX — tunes for expressions", page_icon="🎵", layout="wide")
app_pages = [
    st.Page("pages/home.py", title="Home", icon="🏠", default=True),
    st.Page("pages/live.py", title="Live mood", icon="🎥"),
    st.Page("pages/song_map.py", title="Song map", icon="🗺️"),
    st.Page("pages/playlist.py", title="Playlist", icon="🎶"),
    st.Page("pages/my_music.py", title="My music", icon="🎵"),
    st.Page("pages/journal.py", title="Journal", icon="📔"),
    st.Page("pages/model.py", title="Model", icon="📊"),
]
# A shared TuneX (start.sh --share, the container) shows nothing but the access-code form until it is given.
require_access_code(app_pages)
init_session_state()

navigation = st.navigation(app_pages)
show_mood_sidebar()
navigation.run()
