"""Tests for ``tunex_core.music.song_map``: the figures behind the Song map page."""

from __future__ import annotations

import html

import numpy as np
import pytest

from tests.music.catalog_factory import synthetic_catalog
from tunex_core.emotions import EMOTION_NAMES, EMOTIONS
from tunex_core.music.catalog_io import load_catalog, load_chorus_clips
from tunex_core.music.recommend import recommend
from tunex_core.music.song_map import (
    POINTS_LIMIT,
    clip_curve_figure,
    label_position,
    resolved_draw_mode,
    song_map_figure,
)


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


def traces_by_name(figure):
    return {trace.name.split(" (")[0]: trace for trace in figure.data}


def test_songs_are_coloured_by_region_with_the_emotion_points_labelled(catalog):
    figure = song_map_figure(catalog)
    traces = traces_by_name(figure)
    for emotion in EMOTIONS:
        trace = traces[emotion.display_name]
        assert trace.marker.color == emotion.colour
        assert len(trace.x) == catalog.region_counts()[emotion.name]
    assert sum(len(traces[emotion.display_name].x) for emotion in EMOTIONS) == len(catalog)
    labels = traces["Emotions"]
    assert list(labels.x) == [emotion.valence for emotion in EMOTIONS]
    assert [text.split(" ", 1)[1] for text in labels.text] == [emotion.display_name for emotion in EMOTIONS]
    sad = traces["Sad"]
    first = int(np.flatnonzero(catalog.region_indices == EMOTION_NAMES.index("sad"))[0])
    assert sad.text[0].startswith(f"<b>{html.escape(catalog.titles[first])}</b> — {html.escape(catalog.artists[first])}")
    assert "region: Sad" in sad.hovertemplate
    rated = sum(text.endswith(" · rated by listeners") for trace in figure.data[:7] for text in trace.text)
    assert rated == catalog.rated.sum() == 767


def test_the_iso_path_is_drawn_with_numbered_steps(catalog):
    playlist = recommend(catalog, 0.2, 0.3, mode="iso", target="happy", count=8)
    traces = traces_by_name(song_map_figure(catalog, playlist=playlist, mood_label="sad"))
    path = traces["Iso playlist"]
    assert "lines" in path.mode
    assert list(path.text) == [str(position) for position in range(1, 9)]
    assert list(path.x) == [song.valence for song in playlist.songs]
    assert list(traces["Your mood"].x) == [0.2] and traces["Your mood"].text == ("you: sad",)
    assert traces["Target"].textposition == "bottom left"  # happy, at valence 1: label on the inner side
    near_left = recommend(catalog, 0.05, 0.3, mode="iso", target="happy", count=8)
    mood = traces_by_name(song_map_figure(catalog, playlist=near_left, mood_label="sad"))["Your mood"]
    assert mood.textposition == "bottom right"  # near the left end: label on the inner side
    assert list(traces["Iso path"].x) == [0.2, playlist.target_point[0]]


def test_match_highlights_without_a_path_and_filters_visible_songs(catalog):
    playlist = recommend(catalog, 0.8, 0.8, count=5)
    visible = catalog.search("christmas")
    traces = traces_by_name(song_map_figure(catalog, visible, playlist))
    assert "Iso path" not in traces
    assert traces["Recommended"].mode == "markers+text"
    assert sum(len(traces[emotion.display_name].x) for emotion in EMOTIONS) == len(visible)


def test_large_catalogs_switch_to_webgl():
    figure = song_map_figure(synthetic_catalog(6000))
    assert figure.data[0].type == "scattergl"


def test_the_whole_shipped_catalog_is_drawn_with_webgl_and_the_playlist_on_top(catalog):
    playlist = recommend(catalog, 0.3, 0.7, mode="iso", target="happy", count=10)
    figure = song_map_figure(catalog, playlist=playlist, mood_label="angry")
    assert len(catalog) > 60_000
    assert all(trace.type == "scattergl" for trace in figure.data[:7])
    names = [trace.name for trace in figure.data]
    assert names[-4:] == ["Iso path", "Target", "Iso playlist", "Your mood"]  # drawn last: on top


def test_clip_curves_plot_valence_and_arousal_over_time():
    clip = load_chorus_clips()[0]
    figure = clip_curve_figure(clip)
    assert [trace.name for trace in figure.data] == ["valence", "arousal"]
    assert list(figure.data[0].x) == list(clip.times) and list(figure.data[1].y) == list(clip.arousal)
    # The first clip's means are 0.86 and 0.86: the two labels must not share a corner.
    corners = [(annotation.xanchor, annotation.x) for annotation in figure.layout.annotations]
    assert len(corners) == 2 and corners[0] != corners[1]


def test_labels_near_either_end_of_the_valence_axis_sit_on_the_inner_side():
    assert label_position(0.5) == "bottom center" and label_position(0.2) == "bottom center"
    assert label_position(1.0) == "bottom left" and label_position(0.0, "top") == "top right"


def test_emotion_names_near_each_other_or_an_edge_are_placed_apart(catalog):
    labels = traces_by_name(song_map_figure(catalog))["Emotions"]
    positions = dict(zip((emotion.name for emotion in EMOTIONS), labels.textposition, strict=True))
    assert positions["fear"] != positions["disgust"]  # 0.07 apart, one above the other
    assert positions["happy"].endswith("left")  # valence 1: the map's right edge
    assert labels.cliponaxis is False


def test_auto_draws_points_for_few_songs_and_a_density_for_many(catalog):
    assert resolved_draw_mode("auto", POINTS_LIMIT) == "points"
    assert resolved_draw_mode("auto", POINTS_LIMIT + 1) == "density"
    assert resolved_draw_mode("points", 10**6) == "points"
    with pytest.raises(ValueError, match="draw must be"):
        resolved_draw_mode("dots", 5)
    few = song_map_figure(catalog, catalog.search("beyonce"), draw="auto")
    assert few.data[0].type == "scatter" and any(len(trace.text) for trace in few.data if trace.type == "scatter")


def test_the_density_layer_counts_every_song_and_keeps_the_regions_in_the_legend(catalog):
    playlist = recommend(catalog, 0.2, 0.8, count=10)
    figure = song_map_figure(catalog, playlist=playlist, mood_label="angry", draw="auto")
    density = figure.data[0]
    assert density.type == "heatmap" and np.asarray(density.z).sum() == len(catalog)
    traces = traces_by_name(figure)
    for emotion in EMOTIONS:
        assert traces[emotion.display_name].name == f"{emotion.display_name} ({catalog.region_counts()[emotion.name]})"
    assert [trace.name for trace in figure.data][-2:] == ["Recommended", "Your mood"]  # drawn on top
    assert len(figure.to_json()) < 200_000  # the whole catalog in a few kilobytes of counts
