import csv

import numpy as np
import pytest

from tests.music.audio.synthetic_audio import write_audio
from tunex_core.music.audio.decoding import SAMPLE_RATE
from tunex_core.music.audio.model import read_model
from tunex_core.music.build import song_model
from tunex_core.music.build.song_model import QUADRANT_SIGNS, build, main, quadrants_of, read_training_songs
from tunex_core.paths import SHARED_MUSIC_EMOTION_DIR

MAJOR = (261.6, 329.6, 392.0, 523.2)
MINOR = (261.6, 311.1, 392.0, 523.2)


def synthetic_song(quadrant: str, seed: int, seconds: float = 7.0) -> np.ndarray:
    """Energetic songs pulse fast and loud over noise, calm ones slowly and softly; pleasant ones are major."""
    valence_sign, arousal_sign = QUADRANT_SIGNS[quadrant]
    generator = np.random.default_rng(seed)
    time_axis = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    pitches = MAJOR if valence_sign > 0 else MINOR
    root = generator.uniform(0.9, 1.1)
    tone = sum(np.sin(2 * np.pi * pitch * root * time_axis) for pitch in pitches) / len(pitches)
    beat = generator.uniform(3.0, 4.0) if arousal_sign > 0 else generator.uniform(0.5, 0.8)
    envelope = (0.5 * (1 + np.sin(2 * np.pi * beat * time_axis))) ** 4
    level = 0.5 if arousal_sign > 0 else 0.1
    noise = (0.15 if arousal_sign > 0 else 0.005) * generator.standard_normal(time_axis.size) * envelope
    return (level * tone * (0.3 + 0.7 * envelope) + noise).astype(np.float32)


def make_training_folder(root, songs_per_quadrant: int = 7):
    (root / "clips").mkdir(parents=True)
    rows, values = [], []
    for index in range(songs_per_quadrant * 4):
        quadrant = ("Q1", "Q2", "Q3", "Q4")[index % 4]
        song = f"MT{index:010d}"
        write_audio(root / "clips" / f"{song}.mp3", synthetic_song(quadrant, index))
        rows.append({"Song": song, "Artist": f"artist {index // 2}", "Title": f"t{index}", "Quadrant": quadrant,
                     "PQuad": 1.0, "MoodsStr": "", "GenresStr": ""})
        if index % 7 != 6:  # a few songs have no MERGE values: their quadrant's centre is used
            valence_sign, arousal_sign = QUADRANT_SIGNS[quadrant]
            values.append({"Song": song, "Arousal": 0.5 + 0.2 * arousal_sign + 0.01 * (index % 3),
                           "Valence": 0.5 + 0.2 * valence_sign - 0.01 * (index % 3)})
    with open(root / "songs.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    with open(root / "merge_av_values.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=["Song", "Arousal", "Valence"])
        writer.writeheader()
        writer.writerows(values)
    return root


def test_training_songs_take_merge_values_or_their_quadrant_centre(tmp_path):
    songs = read_training_songs(make_training_folder(tmp_path / "data", songs_per_quadrant=6))
    assert len(songs.ids) == 24 and songs.has_merge.sum() == 24 - 3
    missing = np.flatnonzero(~songs.has_merge)
    for index in missing:
        same = [other for other in range(24) if songs.quadrants[other] == songs.quadrants[index] and songs.has_merge[other]]
        assert songs.valence[index] == pytest.approx(songs.valence[same].mean())
    assert list(quadrants_of(np.array([0.7, 0.3, 0.3, 0.7]), np.array([0.7, 0.7, 0.3, 0.3]))) == ["Q1", "Q2", "Q3", "Q4"]


@pytest.mark.slow
def test_retraining_on_tiny_generated_data_writes_a_model_that_learned(tmp_path, monkeypatch):
    monkeypatch.setattr(song_model, "FOLDS", 3)
    monkeypatch.setattr(song_model, "INNER_FOLDS", 3)
    folder = make_training_folder(tmp_path / "data")
    output, cache, report = tmp_path / "model.npz", tmp_path / "cache.npz", tmp_path / "report.json"
    scores = build(folder, output, cache, report, folds=3)
    # Quadrants are easy to hear in these songs: far above the 25% of chance, out of fold.
    assert scores["quadrant_accuracy"] >= 0.75, scores
    assert scores["pearson_r"]["arousal"] > 0.8 and scores["pearson_r"]["valence"] > 0.5, scores
    model = read_model(output)
    assert model.training["quadrant_accuracy"] == scores["quadrant_accuracy"]
    songs = read_training_songs(folder)
    from tunex_core.music.build.song_model import extract_features
    placed = model.predict_plane(extract_features(songs.clip_paths, cache))
    for name in ("valence", "arousal"):
        assert np.all((placed[name] >= 0) & (placed[name] <= 1))
        assert np.corrcoef(placed[name], getattr(songs, name))[0, 1] > 0.8
    assert report.is_file() and cache.is_file()


def test_the_command_says_what_is_missing(tmp_path, capsys):
    assert main(["--clips", str(tmp_path), "--output", str(tmp_path / "model.npz")]) == 2
    assert capsys.readouterr().err.startswith("error: ")
    assert not (tmp_path / "model.npz").exists()


@pytest.mark.skipif(not (SHARED_MUSIC_EMOTION_DIR / "songs.csv").is_file(), reason="needs ../shared/data/music_emotion")
def test_the_shared_training_set_reads():
    songs = read_training_songs(SHARED_MUSIC_EMOTION_DIR)
    assert len(songs.ids) > 700 and songs.has_merge.mean() > 0.8
    assert set(songs.quadrants) == {"Q1", "Q2", "Q3", "Q4"}
    assert np.all((songs.valence >= 0) & (songs.valence <= 1))
