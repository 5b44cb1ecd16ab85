"""The catalog build end to end, on small fixture tables (PMEmo + three Spotify tables) with real-world defects."""

from __future__ import annotations

import csv
import gzip
import io
import json
from pathlib import Path

import numpy as np
import pytest

from tunex_core.music.build.catalog import (
    MAPPING_NAME,
    MERGED_CATALOG_NAME,
    REPORT_NAME,
    build_data,
    data_is_current,
    main,
)
from tunex_core.music.build.merge import SPOTIFY_ID_BASE, spotify_music_id
from tunex_core.music.build.spotify_tables import FEATURES, TABLE_LAYOUTS
from tunex_core.music.catalog import ESTIMATED, RATED, CatalogError
from tunex_core.music.catalog_io import load_catalog

PMEMO_HEADER = ("musicId", "title", "artist", "valence", "arousal")
TIDY_HEADER = ("track_id", "track_name", "track_artist", "track_popularity", "track_album_release_date",
               "playlist_genre", "playlist_subgenre", *FEATURES)
HIT_HEADER = ("track", "artist", "uri", *FEATURES, "decade")
TOP_HEADER = ("id", "artist_names", "track_name", *FEATURES)
SONGS = 40
ARTISTS = 10


def track_id(number: int) -> str:
    return f"Fixture{number:015d}"


def features(valence: float, energy: float, generator: np.random.Generator) -> dict[str, object]:
    return {"valence": round(valence, 4), "energy": round(energy, 4),
            "danceability": round(float(generator.random()), 3), "tempo": round(90 + 60 * float(generator.random()), 2),
            "loudness": round(-12 + 8 * float(generator.random()), 2),
            "acousticness": round(float(generator.random()), 3), "mode": int(generator.random() > 0.5),
            "speechiness": round(0.3 * float(generator.random()), 3),
            "instrumentalness": 0.0, "liveness": round(0.4 * float(generator.random()), 3)}


def write_gz(path: Path, header: tuple[str, ...], rows: list[dict]) -> None:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=header, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_bytes(gzip.compress(buffer.getvalue().encode("utf-8"), mtime=0))


@pytest.fixture
def sources(tmp_path) -> tuple[Path, Path]:
    """A 40-song PMEmo folder and three Spotify tables in which the Spotify valence/energy of the PMEmo
    songs is a known linear function of their PMEmo valence/arousal (a compressed one, as Spotify's
    is), plus every kind of defect."""
    generator = np.random.default_rng(7)
    pmemo = tmp_path / "pmemo"
    spotify = tmp_path / "spotify"
    pmemo.mkdir()
    spotify.mkdir()
    (pmemo / "LICENSE").write_text("MIT fixture licence\n", encoding="utf-8")
    pmemo_rows, tidy, hits, top = [], [], [], []
    for number in range(1, SONGS + 1):
        valence, arousal = 0.1 + 0.8 * generator.random(), 0.1 + 0.8 * generator.random()
        title, artist = f"Fixture Song {number}", f"Fixture Artist {number % ARTISTS}"
        pmemo_rows.append({"musicId": number, "title": title, "artist": artist,
                           "valence": round(valence, 3), "arousal": round(arousal, 3)})
        row = features(0.5 * valence + 0.3, 0.6 * arousal + 0.2, generator)
        if number % 2:
            tidy.append({"track_id": track_id(number), "track_name": title, "track_artist": artist,
                         "track_popularity": 50, "track_album_release_date": "2016-05-01",
                         "playlist_genre": "pop", "playlist_subgenre": "dance pop", **row})
        else:
            hits.append({"track": title, "artist": artist, "uri": f"spotify:track:{track_id(number)}",
                         "decade": "10s", **row})
    extra = features(0.5, 0.5, generator)
    tidy += [
        # The same id again (another playlist): merged into one track.
        {**tidy[0], "playlist_genre": "rock", "playlist_subgenre": "hard rock"},
        # Defects: a bad id, empty artist, missing valence, out-of-range energy, bad date, bad tempo, mojibake.
        {"track_id": "short", "track_name": "Bad Id", "track_artist": "X", "track_popularity": 1,
         "track_album_release_date": "2001-01-01", "playlist_genre": "pop", "playlist_subgenre": "", **extra},
        {"track_id": track_id(101), "track_name": "No Artist", "track_artist": "", "track_popularity": 1,
         "track_album_release_date": "2001", "playlist_genre": "pop", "playlist_subgenre": "", **extra},
        {"track_id": track_id(102), "track_name": "No Valence", "track_artist": "Y", "track_popularity": 1,
         "track_album_release_date": "2001", "playlist_genre": "pop", "playlist_subgenre": "",
         **{**extra, "valence": ""}},
        {"track_id": track_id(103), "track_name": "Loud", "track_artist": "Z", "track_popularity": 1,
         "track_album_release_date": "2001", "playlist_genre": "pop", "playlist_subgenre": "",
         **{**extra, "energy": "1.7"}},
        {"track_id": track_id(104), "track_name": "Odd Date", "track_artist": "BeyoncÃ©", "track_popularity": "n/a",
         "track_album_release_date": "20O1-13-01", "playlist_genre": "R&B", "playlist_subgenre": "neo soul",
         **{**extra, "tempo": "0"}},
        {"track_id": track_id(105), "track_name": "Good Old Song", "track_artist": "Old Band",
         "track_popularity": 80, "track_album_release_date": "1975-03-02", "playlist_genre": "rock",
         "playlist_subgenre": "classic rock", **extra},
    ]
    hits += [
        # The same song as track 105 under another id (a re-release): one of them is kept.
        {"track": "Good Old Song", "artist": "Old Band", "uri": f"spotify:track:{track_id(106)}", "decade": "70s",
         **extra},
        {"track": "Sixties Tune", "artist": "Beat Group", "uri": f"spotify:track:{track_id(107)}", "decade": "60s",
         **extra},
        {"track": "Bad Decade", "artist": "Nobody", "uri": f"spotify:track:{track_id(108)}", "decade": "ancient",
         **extra},
    ]
    top += [
        # Also in TidyTuesday (track 1): same id, the features differ slightly; the first table wins.
        {"id": track_id(1), "artist_names": "Fixture Artist 1, Guest", "track_name": "Fixture Song 1",
         **{**features(0.3, 0.3, generator), "mode": "Major"}},
        {"id": track_id(109), "artist_names": "Chart Star, Friend", "track_name": "Hit (feat. Friend)",
         **{**extra, "mode": "Minor"}},
    ]
    with (pmemo / "pmemo_static.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=PMEMO_HEADER, lineterminator="\n")
        writer.writeheader()
        writer.writerows(pmemo_rows)
    layouts = {layout.name: layout for layout in TABLE_LAYOUTS}
    write_gz(spotify / layouts["tidytuesday"].file_name, TIDY_HEADER, tidy)
    write_gz(spotify / layouts["hit_predictor"].file_name, HIT_HEADER, hits)
    write_gz(spotify / layouts["top_songs"].file_name, TOP_HEADER, top)
    write_music_emotion(tmp_path / "music_emotion", pmemo_rows)
    return pmemo, spotify


def write_csv(path: Path, header: tuple[str, ...], rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=header, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def write_music_emotion(folder: Path, pmemo_rows: list[dict]) -> None:
    """Tiny Deezer (train/validation, standardised values) and 4Q/MERGE tables whose songs are fixture tracks
    (with labels related to the PMEmo ratings), plus songs that match nothing."""
    header = ("dzr_sng_id", "MSD_sng_id", "MSD_track_id", "valence", "arousal", "artist_name", "track_name")
    splits: dict[str, list[dict]] = {"train": [], "validation": []}
    for row in pmemo_rows:
        split = "validation" if row["musicId"] > 30 else "train"
        splits[split].append({"dzr_sng_id": row["musicId"], "MSD_sng_id": "S", "MSD_track_id": "T",
                              "valence": round(4 * (row["valence"] - 0.5), 3),
                              "arousal": round(4 * (row["arousal"] - 0.5), 3),
                              "artist_name": row["artist"], "track_name": row["title"]})
    splits["train"].append({"dzr_sng_id": 999, "MSD_sng_id": "S", "MSD_track_id": "T", "valence": -1.5,
                            "arousal": 2.0, "artist_name": "Nobody Known", "track_name": "Unmatched"})
    for split, rows in splits.items():
        write_csv(folder / "deezer_mood" / f"{split}.csv", header, rows)
    write_csv(folder / "songs.csv", ("Song", "Artist", "Title", "Quadrant", "PQuad", "MoodsStr", "GenresStr"), [
        {"Song": "MT1", "Artist": "Old Band", "Title": "Good Old Song", "Quadrant": "Q1", "PQuad": 1,
         "MoodsStr": "Happy", "GenresStr": "Rock"},
        {"Song": "MT2", "Artist": "Beat Group", "Title": "Sixties Tune", "Quadrant": "Q4", "PQuad": 1,
         "MoodsStr": "Calm", "GenresStr": "Pop"},
        {"Song": "MT3", "Artist": "", "Title": "No Artist Here", "Quadrant": "Q2", "PQuad": 1,
         "MoodsStr": "Angry", "GenresStr": "Rock"},
    ])
    write_csv(folder / "merge_av_values.csv", ("Song", "Arousal", "Valence"), [
        {"Song": "MT1", "Arousal": 0.7, "Valence": 0.8}, {"Song": "MT3", "Arousal": 0.8, "Valence": 0.2},
        {"Song": "A001", "Arousal": 0.3, "Valence": 0.6}])


@pytest.fixture
def overrides(tmp_path) -> Path:
    path = tmp_path / "overrides.csv"
    path.write_text("musicId,field,value,reason\n", encoding="utf-8")
    return path


def build(sources, tmp_path, overrides):
    pmemo, spotify = sources
    return build_data(pmemo, tmp_path / "out", overrides, spotify_source=spotify,
                      music_emotion_source=tmp_path / "music_emotion")


def test_the_build_merges_rated_songs_and_spotify_tracks(sources, tmp_path, overrides):
    result = build(sources, tmp_path, overrides)
    catalog = load_catalog(result.merged_path)

    rated = np.flatnonzero(catalog.rated)
    assert len(rated) == SONGS and set(catalog.music_ids[rated].tolist()) == set(range(1, SONGS + 1))
    for index in rated.tolist():  # every PMEmo song found its track by title matching, and keeps its rating
        song = catalog[index]
        assert song.spotify_id == track_id(song.music_id) and song.va_source == RATED
    first = catalog.song(1)
    assert (first.genre, first.subgenre, first.year, first.popularity) == ("pop", "dance pop", 2016, 50)
    assert catalog.song(2).decade == 2010 and catalog.song(2).year is None

    estimated = {catalog.titles[index]: catalog[index] for index in np.flatnonzero(~catalog.rated)}
    assert set(estimated) == {"Odd Date", "Good Old Song", "Sixties Tune", "Bad Decade", "Hit (feat. Friend)"}
    assert all(song.va_source == ESTIMATED and song.music_id >= SPOTIFY_ID_BASE for song in estimated.values())
    assert estimated["Sixties Tune"].music_id == spotify_music_id(track_id(107))
    assert estimated["Good Old Song"].spotify_id == track_id(105)  # the popular id of the two is kept
    assert estimated["Good Old Song"].year == 1975 and estimated["Good Old Song"].genre == "rock"
    odd = estimated["Odd Date"]
    assert odd.artist == "Beyoncé" and odd.year is None and odd.popularity is None and odd.genre == "r&b"
    assert estimated["Bad Decade"].decade is None
    assert estimated["Hit (feat. Friend)"].artist == "Chart Star, Friend"
    assert all(0 <= song.valence <= 1 and 0 <= song.arousal <= 1 for song in estimated.values())


def test_the_build_report_counts_every_defect(sources, tmp_path, overrides):
    result = build(sources, tmp_path, overrides)
    report = json.loads((tmp_path / "out" / REPORT_NAME).read_text(encoding="utf-8"))
    tidy, hits, top = report["tables"]
    assert tidy["defects"] == {
        "invalid Spotify id": 1, "missing title or artist": 1, "missing or out-of-range valence/energy": 2,
        "bad release date": 1, "bad popularity": 1, "tempo missing or out of range": 1,
        "artist mojibake repaired": 1,
    }
    assert hits["defects"] == {"bad decade": 1}
    assert top["defects"] == {} and top["rows_kept"] == 2
    merge = report["merge"]
    assert merge["ids_in_several_rows"] == 1 and merge["feature_conflicts"] == 1  # track 1: three rows
    assert merge["same_song_removed"] == 1 and merge["pmemo_matched"] == SONGS
    assert report["catalog"] == {**report["catalog"], "songs": SONGS + 5, "rated": SONGS, "estimated": 5,
                                 "with_spotify_id": SONGS + 5, "pmemo_with_spotify_id": SONGS}
    assert result.merge_report.pmemo_matched == SONGS


def test_the_mapping_is_fitted_on_the_overlap_and_written(sources, tmp_path, overrides):
    result = build(sources, tmp_path, overrides)
    written = json.loads((tmp_path / "out" / MAPPING_NAME).read_text(encoding="utf-8"))["baseline_pmemo_only"]
    assert written["songs"] == SONGS and written["artists"] == ARTISTS
    scores = {(score["axis"], score["method"]): score for score in written["scores"]}
    # Spotify valence = 0.5 PMEmo valence + 0.3: the mapping undoes it, the naive mapping cannot.
    assert scores[("valence", "ridge-spread")]["r"] > 0.95
    assert scores[("valence", "ridge-spread")]["mae"] < scores[("valence", "naive")]["mae"]
    assert written["models"]["valence"]["method"] in ("ridge-spread", "naive")
    model = result.mapping.models["arousal"]
    energy = model.features.index("energy") if model.method != "naive" else 0
    assert model.coefficients[energy] == max(model.coefficients)


def test_the_build_is_deterministic_and_checkable(sources, tmp_path, overrides):
    pmemo, spotify = sources
    build(sources, tmp_path, overrides)
    first = (tmp_path / "out" / MERGED_CATALOG_NAME).read_bytes()
    build(sources, tmp_path, overrides)
    assert (tmp_path / "out" / MERGED_CATALOG_NAME).read_bytes() == first
    assert data_is_current(pmemo, tmp_path / "out", spotify, overrides, tmp_path / "music_emotion") == []


def _scale_mapping_errors(path: Path, factor: float) -> None:
    mapping = json.loads(path.read_text(encoding="utf-8"))
    for score in mapping["baseline_pmemo_only"]["scores"]:
        score["mae"] *= factor
    path.write_text(json.dumps(mapping, indent=1) + "\n", encoding="utf-8")


def _shift_estimates(path: Path, shift: float) -> None:
    import pyarrow as arrow
    import pyarrow.parquet as parquet

    table = parquet.read_table(path)
    valence = table.column("valence").to_numpy() + shift
    table = table.set_column(table.column_names.index("valence"), "valence", arrow.array(valence))
    parquet.write_table(table, path)


def test_the_check_forgives_last_digit_arithmetic_but_not_real_changes(sources, tmp_path, overrides):
    pmemo, spotify = sources
    build(sources, tmp_path, overrides)
    output = tmp_path / "out"
    mapping = output / MAPPING_NAME

    built = mapping.read_bytes()
    _scale_mapping_errors(mapping, 1 + 1e-12)
    _shift_estimates(output / MERGED_CATALOG_NAME, 1e-4)
    assert mapping.read_bytes() != built
    assert data_is_current(pmemo, output, spotify, overrides, tmp_path / "music_emotion") == []

    _scale_mapping_errors(mapping, 1 + 1e-6)
    _shift_estimates(output / MERGED_CATALOG_NAME, 1e-3)
    assert data_is_current(pmemo, output, spotify, overrides, tmp_path / "music_emotion") == [MERGED_CATALOG_NAME, MAPPING_NAME]


@pytest.mark.parametrize(("damage", "fragments"), [
    (lambda folder: (folder / TABLE_LAYOUTS[1].file_name).unlink(), [TABLE_LAYOUTS[1].file_name, "not found"]),
    (lambda folder: (folder / TABLE_LAYOUTS[0].file_name).write_bytes(b"\x1f\x8b\x08garbage"),
     [TABLE_LAYOUTS[0].file_name, "cannot read"]),
    (lambda folder: write_gz(folder / TABLE_LAYOUTS[2].file_name, TOP_HEADER[:-2], []),
     [TABLE_LAYOUTS[2].file_name, "line 1", "liveness"]),
    (lambda folder: (folder / TABLE_LAYOUTS[2].file_name).write_bytes(
        gzip.compress(b'id,artist_names,track_name\n"unterminated', mtime=0)),
     [TABLE_LAYOUTS[2].file_name, "line 1"]),
])
def test_a_missing_or_corrupt_table_names_the_file(sources, tmp_path, overrides, damage, fragments, capsys):
    pmemo, spotify = sources
    damage(spotify)
    with pytest.raises(CatalogError) as caught:
        build(sources, tmp_path, overrides)
    for fragment in fragments:
        assert fragment in str(caught.value)
    status = main(["--source", str(pmemo), "--spotify-source", str(spotify), "--output", str(tmp_path / "cli"),
                   "--overrides", str(overrides), "--music-emotion-source", str(tmp_path / "music_emotion")])
    error = capsys.readouterr().err
    assert status == 2 and fragments[0] in error and "Traceback" not in error


def test_the_placement_is_fitted_on_pmemo_and_the_labelled_songs(sources, tmp_path, overrides):
    result = build(sources, tmp_path, overrides)
    written = json.loads((tmp_path / "out" / MAPPING_NAME).read_text(encoding="utf-8"))
    matched = written["labelled_songs_matched"]
    assert matched["deezer train"]["songs"] == 31 and matched["deezer train"]["matched"] == 30
    assert matched["deezer validation"]["matched"] == 10
    assert matched["4q train"] == {"songs": 3, "matched": 2, "matched_with_values": 1, "matched Q1": 1,
                                   "matched Q4": 1}
    scales = {(scale["source"], scale["axis"]): scale for scale in written["scales_onto_pmemo"]}
    assert set(scales) == {("deezer", "valence"), ("deezer", "arousal"), ("4q", "valence"), ("4q", "arousal")}
    placement = result.placement
    assert placement.songs_per_source == {"pmemo train": SONGS, "deezer train": 30, "deezer validation": 10,
                                          "4q train": 1}
    # Deezer's labels are PMEmo's ratings, standardised: held-out songs are placed in the same order.
    assert placement.score("deezer", "validation split").valence_r > 0.9
    assert placement.score("pmemo", "artist-grouped CV").arousal_r > 0.9
    assert written["placement"]["pmemo_weight"] in (1.0, 2.0, 4.0)


@pytest.mark.parametrize(("damage", "fragments"), [
    (lambda folder: (folder / "deezer_mood" / "validation.csv").unlink(), ["validation.csv", "not found"]),
    (lambda folder: (folder / "songs.csv").write_text("Song,Artist\nMT1,X\n", encoding="utf-8"),
     ["songs.csv", "line 1", "Title"]),
    (lambda folder: (folder / "merge_av_values.csv").write_text("Song,Arousal,Valence\nMT1,0.5,high\n",
                                                                 encoding="utf-8"),
     ["merge_av_values.csv", "line 2", "high"]),
    (lambda folder: (folder / "deezer_mood" / "train.csv").write_bytes(b"valence,arousal\n\xff\xfe"),
     ["train.csv", "UTF-8"]),
])
def test_a_missing_or_damaged_music_emotion_table_stops_the_build(sources, tmp_path, overrides, damage,
                                                                  fragments, capsys):
    pmemo, spotify = sources
    damage(tmp_path / "music_emotion")
    status = main(["--source", str(pmemo), "--spotify-source", str(spotify), "--output", str(tmp_path / "cli"),
                   "--overrides", str(overrides), "--music-emotion-source", str(tmp_path / "music_emotion")])
    error = capsys.readouterr().err
    assert status == 2 and "Traceback" not in error
    for fragment in fragments:
        assert fragment in error
