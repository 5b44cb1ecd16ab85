"""Song map: the whole catalog (~66,000 songs, WebGL) on the valence-arousal circumplex, with the
mood's recommendations, search and the same filters as the Playlist page."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from pages.common import feedback_store, session_mood
from pages.library_source import choose_source
from pages.music_filters import cached_catalog, describe_filter, filter_controls
from tunex_core.emotions import EMOTION_NAMES, emotion_label
from tunex_core.mood import Mood
from tunex_core.music.catalog import CatalogError, ChorusClip
from tunex_core.music.catalog_io import load_chorus_clips
from tunex_core.music.feedback import LIKE, SKIP
from tunex_core.music.recommend import DEFAULT_COUNT, DEFAULT_ISO_TARGET, MODES, Playlist, recommend_for_mood
from tunex_core.music.song_map import DRAW_MODES, POINTS_LIMIT, clip_curve_figure, resolved_draw_mode, song_map_figure
from tunex_core.music.track_ids import is_valid_track_id, open_url
from tunex_core.personal.library_catalog import library_map_trace
from tunex_core.personal.library_files import media_type
from tunex_core.storage import DatabaseBusyError

RECENT_PLAYS_EXCLUDED = 20
MODE_LABELS = {"match": "Match my mood", "iso": "Move me gradually (iso)"}
# Session-state key: creation time of the session mood already written to the mood history.
RECORDED_MOOD_KEY = "song_map_recorded_mood"
DRAW_LABELS = {"auto": f"Auto (every song up to {POINTS_LIMIT:,}, else density)", "points": "Every song (WebGL)",
               "density": "Density"}
MATCHING_ROWS_SHOWN = 200


@st.cache_data(show_spinner=False)
def cached_clips() -> tuple[ChorusClip, ...]:
    """The shipped chorus clips and their dynamic annotations."""
    return load_chorus_clips()


def record(action: str, music_id: int, mood: Mood) -> None:
    """Button callback: store a like, skip or play."""
    try:
        with feedback_store() as store:
            if action == "play":
                store.record_play(music_id, mood)
            else:
                store.record_feedback(music_id, action)
    except DatabaseBusyError as error:
        st.session_state["song_map_error"] = str(error)


def spotify_link(spotify_id: str | None) -> str | None:
    """The track's open.spotify.com page for a (validated) catalog id, else None."""
    return open_url(spotify_id) if is_valid_track_id(spotify_id) else None


LINK_COLUMN = {"spotify": st.column_config.LinkColumn("Spotify", display_text="Open")}


def playlist_table(playlist: Playlist) -> pd.DataFrame:
    """The playlist as a table for ``st.dataframe``."""
    return pd.DataFrame([{
        "#": item.position, "title": item.song.title, "artist": item.song.artist,
        "valence": item.song.valence, "arousal": item.song.arousal, "region": item.song.region,
        "mood point": item.song.va_source, "distance": round(item.distance, 3), "why": item.reason,
        "spotify": spotify_link(item.song.spotify_id),
    } for item in playlist.items])


st.title("🗺️ Song map")
st.caption("Every song of the catalog placed by how pleasant (valence) and how energetic (arousal) it is, "
           "coloured by the nearest emotion: PMEmo's songs as listeners rated them, the Spotify tracks "
           "estimated from Spotify's audio features (see data/README.md).")

try:
    catalog = cached_catalog()
except CatalogError as error:
    st.error(f"The song catalog could not be loaded: {error}")
    st.stop()

source = choose_source(catalog, "song_map")
catalog = source.catalog

mood = session_mood()
if mood is None:
    st.info("No session mood yet — read one on **Live mood**, or pick an emotion to explore.")
    explored = st.selectbox("Explore an emotion", EMOTION_NAMES, index=EMOTION_NAMES.index("happy"),
                            format_func=emotion_label, key="song_map_explored", persist_state="session")
    mood = Mood.from_emotion(explored, source="song map")
else:
    st.markdown(f"Your mood: **{emotion_label(mood.label)}** — valence {mood.valence:.2f}, "
                f"arousal {mood.arousal:.2f} (the probability-weighted point of all seven emotions).")

mode_column, target_column, count_column = st.columns([2, 2, 1])
mode = mode_column.radio("Playlist", MODES, format_func=MODE_LABELS.get, horizontal=True,
                         key="song_map_mode", persist_state="session")
target = None
if mode == "iso":
    target = target_column.selectbox("Move toward", EMOTION_NAMES, index=EMOTION_NAMES.index(DEFAULT_ISO_TARGET),
                                      format_func=emotion_label, key="song_map_target", persist_state="session")
count = count_column.number_input("Songs", min_value=3, max_value=30, value=DEFAULT_COUNT, step=1,
                                  key="song_map_count", persist_state="session")

search_column, region_column = st.columns([2, 3])
search = search_column.text_input("Search title or artist", placeholder="e.g. Adele, Christmas",
                                  key="song_map_search", persist_state="session")
regions = region_column.multiselect("Emotion regions", EMOTION_NAMES, default=list(EMOTION_NAMES),
                                    format_func=emotion_label, key="song_map_regions", persist_state="session")
song_filter = filter_controls(catalog, "song_map")

feedback, recent_ids = None, ()
try:
    with feedback_store() as store:
        if session_mood() is not None and st.session_state.get(RECORDED_MOOD_KEY) != mood.created_at:
            store.record_mood(mood)
            st.session_state[RECORDED_MOOD_KEY] = mood.created_at
        feedback = store.adjustments()
        recent_ids = tuple(play.music_id for play in store.recent_plays(RECENT_PLAYS_EXCLUDED))
except DatabaseBusyError as error:
    st.warning(f"Listening history unavailable, ranking without it: {error}")
if "song_map_error" in st.session_state:
    st.warning(st.session_state.pop("song_map_error"))

playlist = recommend_for_mood(catalog, mood, mode=mode, target=target, count=int(count),
                              recent_ids=recent_ids, feedback=feedback, song_filter=song_filter)
visible = catalog.search(search, regions, song_filter)
draw = st.radio("Draw the songs as", DRAW_MODES, format_func=DRAW_LABELS.get, horizontal=True,
                key="song_map_draw", persist_state="session",
                help="Drawing tens of thousands of songs one by one takes the browser several seconds; the "
                     "density shows where they are at once. Search or filter to get single songs back.")
figure = song_map_figure(catalog, visible, playlist, mood_label=mood.label, draw=draw)
if (own_songs := library_map_trace(catalog, visible)) is not None:
    figure.add_trace(own_songs)  # the listener's own songs: their own marker
st.plotly_chart(figure, key="song_map")
if resolved_draw_mode(draw, len(visible)) == "density":
    st.caption("Shading: how many songs lie in each small square (hover for the count). Search, filter or "
               "choose “Every song” to see single songs with their titles.")
filter_text = describe_filter(song_filter)
if len(visible) < len(catalog):
    st.caption(f"Showing {len(visible):,} of {len(catalog):,} songs." + (f" Filters: {filter_text}." if filter_text
                                                                         else ""))

st.subheader("Iso playlist" if mode == "iso" else "Songs for your mood")
if not playlist.items:
    st.warning("No songs left to recommend: every nearby song was played recently.")
else:
    st.dataframe(playlist_table(playlist), hide_index=True, column_config=LINK_COLUMN)
    chosen = st.selectbox("Rate or play a song", playlist.items,
                          format_func=lambda item: f"{item.position}. {item.song.title} — {item.song.artist}")
    like_column, skip_column, play_column, _ = st.columns([1, 1, 1, 3])
    like_column.button("👍 Like", on_click=record, args=(LIKE, chosen.song.music_id, mood))
    skip_column.button("👎 Skip", on_click=record, args=(SKIP, chosen.song.music_id, mood))
    play_column.button("▶️ Played", on_click=record, args=("play", chosen.song.music_id, mood),
                       help="Played songs are left out of the next recommendations for a while.")
    if (own_file := source.local_files.get(chosen.song.music_id)) is not None:
        st.audio(str(own_file), format=media_type(own_file))

if search.strip() or len(regions) < len(EMOTION_NAMES) or song_filter.active:
    shown = visible[:MATCHING_ROWS_SHOWN].tolist()
    st.subheader(f"Matching songs ({len(visible):,})")
    if len(visible) > len(shown):
        st.caption(f"The first {len(shown)} are listed; search or filter to narrow them down.")
    st.dataframe(pd.DataFrame([{
        "title": catalog.titles[index], "artist": catalog.artists[index],
        "valence": float(catalog.points[index, 0]), "arousal": float(catalog.points[index, 1]),
        "region": EMOTION_NAMES[int(catalog.region_indices[index])],
        "genre": catalog.genres[index] or None, "year": int(catalog.years[index]) or None,
        "spotify": spotify_link(catalog.spotify_ids[index]),
    } for index in shown], columns=["title", "artist", "valence", "arousal", "region", "genre", "year", "spotify"]),
        hide_index=True, column_config=LINK_COLUMN)

st.subheader("Listen: chorus clips with their moment-to-moment ratings")
clips = cached_clips()
for row_start in range(0, len(clips), 2):
    for column, clip in zip(st.columns(2), clips[row_start:row_start + 2], strict=False):
        with column:
            song_index = catalog.index_of(clip.music_id)
            title, artist = ((catalog.titles[song_index], catalog.artists[song_index])
                             if song_index is not None else (clip.title, clip.artist))
            st.markdown(f"**{title}** — {artist}  \nstatic valence {clip.valence_mean:.2f}, "
                        f"arousal {clip.arousal_mean:.2f}")
            st.audio(str(clip.audio_path), format="audio/mpeg")
            st.plotly_chart(clip_curve_figure(clip), key=f"clip_{clip.music_id}")

st.caption("Rated songs and clips: PMEmo (Zhang et al., ICMR 2018, doi:10.1145/3206025.3206037), MIT licence. "
           "Spotify tracks: public tables collected through Spotify's Web API (TidyTuesday 2020-01-21, the Spotify "
           "Hit Predictor set, Spotify Top Songs); sources and terms in data/README.md.")
