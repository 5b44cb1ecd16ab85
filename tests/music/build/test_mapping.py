"""The Spotify-to-PMEmo mapping: GroupKFold by artist, ridge fit, method choice, JSON round trip."""

from __future__ import annotations

import numpy as np
import pytest

from tunex_core.music.build.mapping import (
    AxisModel,
    MappingError,
    fit_axis,
    fit_mapping,
    group_k_fold,
    squash,
)

NAMES = ("valence", "energy", "danceability", "tempo", "loudness")


def synthetic(songs: int = 600, seed: int = 0):
    """Features with a known linear relation to the targets (plus noise); 120 artists."""
    generator = np.random.default_rng(seed)
    matrix = np.column_stack([generator.random(songs), generator.random(songs), generator.random(songs),
                              80 + 80 * generator.random(songs), -15 + 12 * generator.random(songs)])
    valence = 0.2 + 0.3 * matrix[:, 0] + 0.2 * matrix[:, 2] + generator.normal(0, 0.03, songs)
    arousal = 0.1 + 0.5 * matrix[:, 1] + 0.02 * (matrix[:, 4] + 15) + generator.normal(0, 0.03, songs)
    artists = [f"artist {index % 120}" for index in range(songs)]
    return matrix, np.clip(valence, 0, 1), np.clip(arousal, 0, 1), artists


def test_group_k_fold_keeps_each_artist_in_one_fold_and_covers_every_song():
    artists = [f"a{index % 37}" for index in range(500)] + ["big"] * 60
    folds = group_k_fold(artists, 5)
    assert sorted(np.concatenate(folds).tolist()) == list(range(560))
    fold_of = {}
    for number, test in enumerate(folds):
        for index in test.tolist():
            assert fold_of.setdefault(artists[index], number) == number
    sizes = [len(test) for test in folds]
    assert max(sizes) - min(sizes) <= 60  # balanced up to one artist's songs
    with pytest.raises(MappingError, match="3 artists"):
        group_k_fold(["a", "b", "c"], 5)


def test_a_known_linear_relation_is_recovered():
    matrix, valence, arousal, artists = synthetic()
    fit = fit_mapping(matrix, valence, arousal, artists, NAMES)
    for axis in ("valence", "arousal"):
        assert fit.score(axis, "ridge").pearson_r > 0.9
        assert fit.score(axis, "ridge").mean_absolute_error < 0.035
        assert fit.score(axis, "ridge-spread").pearson_r > 0.9
    assert fit.score("valence", "ridge").pearson_r > fit.score("valence", "naive").pearson_r
    assert fit.models["valence"].method == "ridge-spread" and fit.models["arousal"].method == "ridge-spread"
    # Per unit of each feature, valence rises 0.3 with Spotify valence and 0.2 with danceability.
    model = fit.models["valence"]
    per_unit = np.asarray(model.coefficients) / np.asarray(model.scales)
    assert per_unit[0] == pytest.approx(0.3, abs=0.05) and per_unit[2] == pytest.approx(0.2, abs=0.05)
    assert abs(per_unit[1]) < 0.05 and abs(per_unit[3]) < 0.002
    predicted_valence, predicted_arousal = fit.predict(matrix, NAMES)
    assert np.corrcoef(predicted_arousal, arousal)[0, 1] > 0.9
    assert predicted_valence.min() >= 0 and predicted_valence.max() <= 1


def test_spread_matching_keeps_the_targets_spread_and_ridge_shrinks_it():
    matrix, valence, _, _ = synthetic(seed=1)
    noisy = np.clip(valence + np.random.default_rng(2).normal(0, 0.15, len(valence)), 0, 1)
    ridge = fit_axis(matrix, noisy, NAMES, "valence", "ridge")
    spread = fit_axis(matrix, noisy, NAMES, "valence", "ridge-spread")
    assert np.std(ridge.predict(matrix, NAMES)) < 0.8 * np.std(noisy)
    assert np.std(spread.predict(matrix, NAMES)) == pytest.approx(np.std(noisy), rel=0.1)


def test_missing_features_are_filled_with_the_training_mean():
    matrix, valence, _, _ = synthetic()
    model = fit_axis(matrix, valence, NAMES, "valence", "ridge")
    row = matrix[:1].copy()
    row[0, 2] = np.nan
    filled = matrix[:1].copy()
    filled[0, 2] = model.means[2]
    assert model.predict(row, NAMES) == pytest.approx(model.predict(filled, NAMES))


def test_models_round_trip_through_json_and_reject_malformed_ones():
    matrix, valence, arousal, artists = synthetic()
    fit = fit_mapping(matrix, valence, arousal, artists, NAMES)
    written = fit.as_dict()
    restored = AxisModel.from_dict("valence", written["models"]["valence"])
    assert restored == fit.models["valence"]
    assert {score["method"] for score in written["scores"]} == {"naive", "naive-rescaled", "ridge", "ridge-spread"}
    with pytest.raises(MappingError, match="malformed"):
        AxisModel.from_dict("valence", {"method": "ridge"})
    with pytest.raises(MappingError, match="differ in length"):
        AxisModel.from_dict("valence", {**written["models"]["valence"], "means": [0.0]})


def test_too_few_songs_or_misaligned_inputs_are_refused():
    matrix, valence, arousal, artists = synthetic(songs=8)
    with pytest.raises(MappingError, match="too few"):
        fit_mapping(matrix, valence, arousal, artists, NAMES)
    with pytest.raises(MappingError, match="same songs"):
        fit_mapping(matrix, valence[:-1], arousal, artists, NAMES)


def test_extrapolations_are_squashed_into_range_without_a_pile_at_the_edges():
    values = np.linspace(-1.5, 2.5, 401)
    squashed = squash(values, 0.1, 0.9)
    assert squashed.min() > 0 and squashed.max() < 1
    assert np.all(np.diff(squashed) > 0)  # order kept: no two songs collapse onto one value
    inside = (values >= 0.1) & (values <= 0.9)
    assert np.array_equal(squashed[inside], values[inside])
    assert squash(np.array([-0.2, 1.3]), 0.0, 1.0).tolist() == [0.0, 1.0]  # no gap: plain clipping
