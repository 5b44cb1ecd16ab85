import json

import numpy as np
import pytest

from tests.music.audio.synthetic_audio import tone_signal
from tunex_core.errors import ModelFileError
from tunex_core.music.audio.features import FEATURE_VERSION, feature_names, feature_vector
from tunex_core.music.audio.model import TARGETS, read_model, save_model, song_model
from tunex_core.paths import SONG_MODEL_FILE


def test_the_shipped_model_loads_matches_the_features_and_places_songs_in_0_1():
    model = read_model(SONG_MODEL_FILE)
    assert model.feature_names == feature_names()
    assert SONG_MODEL_FILE.stat().st_size < 3_000_000
    rows = np.stack([feature_vector(tone_signal(8, frequency=frequency, beat_hz=beat, seed=seed))
                     for seed, (frequency, beat) in enumerate([(110, 0.5), (440, 2.0), (1760, 6.0)])])
    placed = model.predict_plane(rows)
    for name in TARGETS:
        assert placed[name].shape == (3,) and np.all((placed[name] >= 0) & (placed[name] <= 1))
    # Its recorded cross-validation is the one the card reports: far above chance on both axes.
    assert model.training["quadrant_accuracy"] > 0.5
    assert model.training["pearson_r"]["arousal"] > 0.5 and model.training["pearson_r"]["valence"] > 0.3


def test_extreme_features_stay_on_the_plane():
    model = song_model()
    wild = model.center + 1e6 * model.scale * np.sign(np.arange(len(model.center)) % 2 - 0.5)
    placed = model.predict_plane(wild)
    assert all(0.0 <= float(placed[name][0]) <= 1.0 for name in TARGETS)


def tiny_model_file(path, feature_version=FEATURE_VERSION, names=None):
    names = list(names or feature_names())
    count = len(names)
    plane = {"source_mean": 0.5, "source_std": 0.2, "plane_mean": 0.6, "plane_std": 0.16}
    targets = {name: {"components": [{"kind": "linear", "weight": 1.0, "bias": 0.5, "weights": f"{name}_w"}],
                      "spread": {"centre": 0.5, "factor": 1.0}, "plane": plane} for name in TARGETS}
    arrays = {"center": np.zeros(count), "scale": np.ones(count),
              "valence_w": np.eye(count)[0] * 0.1, "arousal_w": np.eye(count)[1] * 0.1}
    save_model(path, {"feature_names": names, "feature_version": feature_version, "clip": 5.0, "targets": targets},
               arrays)
    return path


def test_a_model_file_round_trips_and_applies_the_plane_transform(tmp_path):
    model = read_model(tiny_model_file(tmp_path / "tiny.npz"))
    features = np.zeros(len(feature_names()))
    features[0] = 1.0  # valence on MERGE's scale: 0.5 + 0.1 = 0.6, one half SD above its mean
    placed = model.predict_plane(features)
    assert placed["valence"][0] == pytest.approx(0.6 + 0.16 * 0.5)
    assert placed["arousal"][0] == pytest.approx(0.6)


def test_bad_model_files_are_refused_with_a_reason(tmp_path):
    with pytest.raises(ModelFileError, match="missing"):
        read_model(tmp_path / "absent.npz")
    broken = tmp_path / "broken.npz"
    broken.write_bytes(b"not a zip file at all")
    with pytest.raises(ModelFileError, match="cannot be read"):
        read_model(broken)
    with pytest.raises(ModelFileError, match="other features"):
        read_model(tiny_model_file(tmp_path / "old.npz", feature_version=FEATURE_VERSION - 1))
    # A pickled object inside is never loaded (allow_pickle=False).
    sneaky = tmp_path / "sneaky.npz"
    np.savez(sneaky, metadata=np.array(json.dumps({"format": 1})), center=np.array([object()], dtype=object))
    with pytest.raises(ModelFileError):
        read_model(sneaky)


def test_save_model_refuses_to_write_an_unloadable_model(tmp_path):
    with pytest.raises(ModelFileError):
        save_model(tmp_path / "bad.npz", {"feature_names": ["a"], "feature_version": FEATURE_VERSION, "clip": 5.0,
                                          "targets": {}}, {"center": np.zeros(1), "scale": np.ones(1)})
    assert list(tmp_path.iterdir()) == []


def test_the_plane_transform_is_the_catalogs_own_for_the_4q_songs():
    """The catalog build (issue 43) puts MERGE's 4Q values on PMEmo's plane with the same affine map."""
    from tunex_core.paths import CATALOG_MAPPING_FILE

    scales = json.loads(CATALOG_MAPPING_FILE.read_text(encoding="utf-8")).get("scales_onto_pmemo")
    if not scales:
        pytest.skip("this catalog mapping records no scale maps")
    model = read_model(SONG_MODEL_FILE)
    for entry in (item for item in scales if item["source"] == "4q"):
        target = model.targets[entry["axis"]]
        assert (target.source_mean, target.source_std) == pytest.approx((entry["mean"], entry["sd"]), rel=1e-9)
        assert (target.plane_mean, target.plane_std) == pytest.approx((entry["pmemo_mean"], entry["pmemo_sd"]), rel=1e-9)
