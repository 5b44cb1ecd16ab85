"""Home: what TuneX does, where to start, and a manual mood picker for people without a camera."""

from __future__ import annotations

import streamlit as st

from pages.common import session_mood, set_session_mood
from tunex_core.emotions import EMOTIONS, emotion_label
from tunex_core.mood import Mood
from tunex_core.report.model_report import load_model_report, metrics_file_path

st.title("🎵 TuneX — tunes for expressions")
st.markdown(
    "TuneX reads the expression on your face **on this computer**, works out the mood, and turns it into music: "
    "songs that match how you feel, or a playlist that walks you gently toward the mood you want "
    "(the music-therapy *iso principle*)."
)

steps = st.columns(3)
with steps[0]:
    st.subheader("1 · Read a mood")
    st.write("Start the camera, take a snapshot or upload a photo. Each face gets a box, an emotion and how sure "
             "the model is.")
    st.page_link("pages/live.py", label="Live mood", icon="🎥")
with steps[1]:
    st.subheader("2 · See it among songs")
    st.write("66,000 songs placed by valence (pleasant ↔ unpleasant) and arousal (calm ↔ energetic): 767 rated "
             "by listeners, the rest estimated from Spotify's audio features, with your mood on the same map.")
    st.page_link("pages/song_map.py", label="Song map", icon="🗺️")
with steps[2]:
    st.subheader("3 · Listen")
    st.write("A playlist for your mood that plays right here as Spotify players, with no account needed.")
    st.page_link("pages/playlist.py", label="Playlist", icon="🎶")

st.divider()
st.subheader("No camera? Pick a mood")
mood = session_mood()
choice = st.radio("How do you feel?", [emotion.name for emotion in EMOTIONS], horizontal=True,
                  index=[emotion.name for emotion in EMOTIONS].index(mood.label) if mood else 6,
                  format_func=emotion_label)
if st.button("Use this mood", key="home-use-mood"):
    set_session_mood(Mood.from_emotion(choice, source="your pick on Home"))
    st.rerun()

st.divider()
st.subheader("How good is the model?")
try:
    report = load_model_report(metrics_file_path())
except (FileNotFoundError, ValueError):
    report = None
headline = report.headline_key() if report else None
evaluation = report.evaluation(headline) if headline else None
if evaluation is None:
    st.info("No evaluation of the shipped model is available in this checkout.")
else:
    columns = st.columns(3)
    columns[0].metric(f"Accuracy ({headline.display_name})", f"{evaluation.accuracy:.1%}")
    if evaluation.ece is not None:
        columns[1].metric("Calibration error (ECE)", f"{evaluation.ece:.3f}")
    if report.latency is not None and report.latency.per_face is not None:
        columns[2].metric("Time per face", f"{report.latency.per_face:.1f} ms",
                          help="measured when the model was released, on that 2-core CPU (the model card "
                               "compares hosts); faster processors take less")
    st.page_link("pages/model.py", label="Details: confusion matrix, per-class scores, calibration", icon="📊")

st.caption("Privacy: video frames are analysed in memory and never saved or sent anywhere. Likes, skips and "
           "played songs stay in a small database in your home folder (~/.tunex).")
