"""Plotly figures for the Song map page: the catalog on the circumplex, and clip curves.

The page (``pages/song_map.py``) only lays these out; building them here keeps
the view thin and lets tests inspect the figures without Streamlit.

Two ways to draw the songs: ``points`` (one WebGL marker per song, with its title on hover)
and ``density`` (a heatmap of how many songs lie in each small square, a few kilobytes
whatever the catalog size). ``auto`` draws points up to ``POINTS_LIMIT`` visible songs and the
density above it: in Chromium, drawing all 66,000 songs as points takes several seconds
(``bench/music_pages_bench.py``). Either way the emotion regions stay in the legend with their
song counts, and the playlist, mood and iso path are drawn on top.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from tunex_core.emotions import EMOTIONS
from tunex_core.music.catalog import Catalog, ChorusClip
from tunex_core.music.recommend import Playlist

WEBGL_THRESHOLD = 5_000
"""Above this many points the scatter uses WebGL, which stays smooth for large user catalogs."""
POINTS_LIMIT = 20_000
"""``auto`` draws at most this many songs as points; more become a density layer."""
DRAW_MODES = ("auto", "points", "density")
DENSITY_BINS = 80
DENSITY_COLOURS = [[0.0, "rgba(255,255,255,0)"], [0.02, "#e8eef7"], [0.3, "#8fb0d9"], [1.0, "#1f3f75"]]
MOOD_COLOUR = "#111111"
PATH_COLOUR = "#444444"
HOVER_TEMPLATE = "%{text}<br>valence %{x:.3f} · arousal %{y:.3f}<br>region: REGION<extra></extra>"
"""``REGION`` is replaced by the trace's emotion; each point's text is ``song_hover_text``."""
CLUSTER_LABEL_POSITIONS: dict[str, str] = {"fear": "top center", "disgust": "bottom center", "angry": "top right"}
"""Where the names of fear, disgust and angry go: their points in ``tunex_core.emotions`` sit within
0.12 of each other in the upper left. Every other emotion's name follows ``label_position``."""
EDGE_VALENCE = 0.12
"""A label of a point this close to either end of the valence axis goes on the inner side: a phone-wide
map ends at valence 0 and 1, and half a label is about 0.12 of its width there."""
RATED_LABEL = " · rated by listeners"
"""Added to the hover text of PMEmo's rated songs (the others are estimated; a label on 65,000 songs
would add 2 MB to the page)."""


def resolved_draw_mode(draw: str, visible_songs: int) -> str:
    """``points`` or ``density`` for the requested ``draw`` mode (see the module docstring)."""
    if draw not in DRAW_MODES:
        raise ValueError(f"draw must be one of {', '.join(DRAW_MODES)}, not {draw!r}")
    if draw == "auto":
        return "points" if visible_songs <= POINTS_LIMIT else "density"
    return draw


def song_map_figure(catalog: Catalog, visible_indices: Sequence[int] | np.ndarray | None = None,
                    playlist: Playlist | None = None, mood_label: str | None = None,
                    draw: str = "points") -> go.Figure:
    """All songs (or ``visible_indices``) by valence and arousal, coloured by emotion region (``points``)
    or as a density layer (``density``; ``auto`` chooses by count), with the emotion points, the mood
    point and the playlist (numbered; joined by a line in iso mode)."""
    indices = np.arange(len(catalog)) if visible_indices is None else np.asarray(visible_indices, dtype=np.int64)
    if resolved_draw_mode(draw, len(indices)) == "density":
        figure = _density_figure(catalog, indices)
    else:
        figure = _points_figure(catalog, indices)
    figure.add_trace(go.Scatter(
        x=[emotion.valence for emotion in EMOTIONS], y=[emotion.arousal for emotion in EMOTIONS],
        mode="markers+text", name="Emotions",
        text=[emotion.display_label for emotion in EMOTIONS],
        textposition=[CLUSTER_LABEL_POSITIONS.get(emotion.name) or label_position(emotion.valence, "top")
                      for emotion in EMOTIONS],
        textfont={"size": 14}, cliponaxis=False,
        marker={"symbol": "diamond", "size": 14, "color": [emotion.colour for emotion in EMOTIONS],
                "line": {"color": "black", "width": 1.5}},
        hovertemplate="%{text}<br>valence %{x:.3f} · arousal %{y:.3f}<extra></extra>",
    ))
    if playlist is not None:
        _add_playlist(figure, playlist, mood_label)
    figure.update_layout(
        xaxis={"title": "valence (unpleasant → pleasant)", "range": [-0.02, 1.04], "zeroline": False},
        yaxis={"title": "arousal (calm → excited)", "range": [-0.02, 1.06], "zeroline": False,
               "scaleanchor": "x", "scaleratio": 1},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0},
        margin={"l": 10, "r": 10, "t": 40, "b": 10}, height=640,
    )
    return figure


def _density_figure(catalog: Catalog, indices: np.ndarray) -> go.Figure:
    """Songs per small square as a heatmap, and one legend entry per region with its song count."""
    edges = np.linspace(0.0, 1.0, DENSITY_BINS + 1)
    counts, _, _ = np.histogram2d(catalog.scan_valence[indices], catalog.scan_arousal[indices], bins=[edges, edges])
    centres = ((edges[:-1] + edges[1:]) / 2).round(4)
    figure = go.Figure(go.Heatmap(
        x=centres, y=centres, z=counts.T.astype(np.int32), name="Song density", colorscale=DENSITY_COLOURS,
        showscale=False, zsmooth="best",
        hovertemplate="%{z} songs near valence %{x:.2f}, arousal %{y:.2f}<extra></extra>",
    ))
    regions = np.bincount(catalog.region_indices[indices].astype(np.int64), minlength=len(EMOTIONS))
    for region_index, emotion in enumerate(EMOTIONS):
        figure.add_trace(go.Scatter(
            x=[None], y=[None], mode="markers", name=f"{emotion.display_name} ({int(regions[region_index])})",
            legendgroup=emotion.name, marker={"color": emotion.colour, "size": 9}, hoverinfo="skip",
        ))
    return figure


def _points_figure(catalog: Catalog, indices: np.ndarray) -> go.Figure:
    """One marker per song, coloured by region, with title and artist on hover."""
    large = len(indices) > WEBGL_THRESHOLD
    scatter = go.Scattergl if large else go.Scatter
    # One hover string per song, as a plain list: st.plotly_chart deep-copies and JSON-encodes every
    # element, and for 66,000 songs three customdata columns took ~2.5 s, one text list ~0.3 s.
    hover = song_hover_texts(catalog, indices)
    regions = catalog.region_indices[indices]
    figure = go.Figure()
    for region_index, emotion in enumerate(EMOTIONS):
        members = regions == region_index
        figure.add_trace(scatter(
            # float32 halves the base64 payload; three decimals are all the hover shows.
            x=catalog.scan_valence[indices[members]], y=catalog.scan_arousal[indices[members]], mode="markers",
            name=f"{emotion.display_name} ({int(members.sum())})", legendgroup=emotion.name,
            marker={"color": emotion.colour, "size": 4 if large else 7, "opacity": 0.45 if large else 0.55},
            text=[hover[position] for position in np.flatnonzero(members).tolist()],
            hovertemplate=HOVER_TEMPLATE.replace("REGION", emotion.display_name),
        ))
    return figure


def song_hover_texts(catalog: Catalog, indices: np.ndarray) -> list[str]:
    """``<b>title</b> — artist`` per song (plus ``RATED_LABEL`` for rated ones), HTML-escaped: plotly
    renders hover text as HTML."""
    labels = ("", RATED_LABEL)
    titles, artists, rated = catalog.titles, catalog.artists, catalog.rated
    return [f"<b>{html.escape(titles[index])}</b> — {html.escape(artists[index])}{labels[int(rated[index])]}"
            for index in indices.tolist()]


def label_position(valence: float, vertical: str = "bottom") -> str:
    """A Plotly ``textposition`` that keeps a point's label inside the map: beside the point on the
    inner side near either end of the valence axis, centred under (or over) it elsewhere."""
    if valence > 1 - EDGE_VALENCE:
        return f"{vertical} left"
    if valence < EDGE_VALENCE:
        return f"{vertical} right"
    return f"{vertical} center"


def _add_playlist(figure: go.Figure, playlist: Playlist, mood_label: str | None) -> None:
    songs = playlist.songs
    mood_valence, mood_arousal = playlist.mood_point
    if playlist.mode == "iso":
        target_valence, target_arousal = playlist.target_point
        figure.add_trace(go.Scatter(
            x=[mood_valence, target_valence], y=[mood_arousal, target_arousal], mode="lines",
            name="Iso path", line={"color": PATH_COLOUR, "dash": "dot", "width": 1.5}, hoverinfo="skip",
        ))
        figure.add_trace(go.Scatter(
            x=[target_valence], y=[target_arousal], mode="markers+text", name="Target",
            text=[f"target: {playlist.target_name or 'chosen point'}"],
            textposition=label_position(target_valence), cliponaxis=False,
            marker={"symbol": "x", "size": 14, "color": MOOD_COLOUR},
            hovertemplate="target<br>valence %{x:.3f} · arousal %{y:.3f}<extra></extra>",
        ))
    figure.add_trace(go.Scatter(
        x=[song.valence for song in songs], y=[song.arousal for song in songs],
        mode="lines+markers+text" if playlist.mode == "iso" else "markers+text",
        name="Iso playlist" if playlist.mode == "iso" else "Recommended",
        text=[str(item.position) for item in playlist.items], textposition="middle right",
        textfont={"size": 12, "color": MOOD_COLOUR},
        line={"color": MOOD_COLOUR, "width": 2},
        marker={"size": 13, "color": "rgba(0,0,0,0)", "line": {"color": MOOD_COLOUR, "width": 2.5}},
        customdata=[[item.song.title, item.song.artist, item.reason] for item in playlist.items],
        hovertemplate=("<b>#%{text} %{customdata[0]}</b><br>%{customdata[1]}<br>"
                       "valence %{x:.3f} · arousal %{y:.3f}<br>%{customdata[2]}<extra></extra>"),
    ))
    figure.add_trace(go.Scatter(
        x=[mood_valence], y=[mood_arousal], mode="markers+text", name="Your mood",
        text=[f"you: {mood_label}" if mood_label else "you"], textposition=label_position(mood_valence),
        cliponaxis=False,
        marker={"symbol": "star", "size": 22, "color": "white", "line": {"color": MOOD_COLOUR, "width": 2}},
        hovertemplate="your mood<br>valence %{x:.3f} · arousal %{y:.3f}<extra></extra>",
    ))


def clip_curve_figure(clip: ChorusClip) -> go.Figure:
    """The clip's dynamic valence and arousal over time, with the static means as dotted lines."""
    figure = go.Figure()
    # The two labels sit at opposite ends, so they stay apart when the two means are close.
    for name, values, mean, colour, corner in (
            ("valence", clip.valence, clip.valence_mean, "#1f77b4", "top left"),
            ("arousal", clip.arousal, clip.arousal_mean, "#d62728", "top right")):
        figure.add_trace(go.Scatter(x=clip.times, y=values, mode="lines", name=name, line={"color": colour},
                                    hovertemplate=f"{name} %{{y:.3f}} at %{{x:.1f}} s<extra></extra>"))
        figure.add_hline(y=mean, line={"color": colour, "dash": "dot", "width": 1},
                         annotation_text=f"static {name} {mean:.2f}", annotation_position=corner)
    figure.update_layout(
        xaxis={"title": "seconds into the clip"}, yaxis={"title": "rating (0..1)", "range": [0, 1]},
        height=260, margin={"l": 10, "r": 10, "t": 30, "b": 10},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0},
    )
    return figure
