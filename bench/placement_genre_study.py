"""Why is the sad corner rap? Per-genre faithfulness of the catalog placement and what moves it.

Issue 43's follow-up: ``recommend --emotion sad --language en`` returned trap and rap ("Money In The Grave",
"Slime Shit", "Rap Saved Me") where a listener expects quiet ballads. This study rebuilds the placement's inputs
from ../shared (as ``build.catalog`` does, nothing is written) and prints:

1. per TidyTuesday genre (a track without one: "artist mostly rap" when its artist's rap share is >= 0.5) and per
   label source: the mean label, the mean out-of-fold estimate before the joint spread ("raw") and after it
   ("placed"): Deezer validation songs from a fit on the training split, training songs from artist-grouped 5-fold
   CV (the build's own scheme); then the catalog's estimated songs per genre;
2. which labelled songs lie near the sad point, per source, and how each source rates rap against quiet acoustic
   songs (acousticness >= 0.5, energy <= 0.4, not rap), in that source's SDs;
3. variants (features dropped, spread step, per-source calibration, sources left out): Deezer validation r,
   PMEmo artist-grouped CV r, the catalog's mean rap placement, the sad region's size and the genres of the 200
   catalog songs nearest the sad point.

    python bench/placement_genre_study.py

About 4 minutes on 2 cores. Needs ../shared (PMEmo, the Spotify tables, music_emotion); research data only.
Study code: it calls the placement's private ``_fit_both`` to get out-of-fold estimates the build does not keep.
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tunex_core.emotions import EMOTION_NAMES, VALENCE_AROUSAL
from tunex_core.music.build import placement
from tunex_core.music.build.catalog import RAW_CATALOG_NAME, read_overrides
from tunex_core.music.build.cleaning import clean_catalog
from tunex_core.music.build.mapping import group_k_fold
from tunex_core.music.build.merge import (
    MergeReport,
    drop_same_songs,
    match_labelled_songs,
    match_pmemo_songs,
    merge_by_id,
    training_songs,
)
from tunex_core.music.build.music_emotion import read_music_emotion, to_pmemo_scale
from tunex_core.music.build.placement_features import placement_features
from tunex_core.music.build.spotify_tables import read_spotify_tables
from tunex_core.music.build.title_words import WORD_FEATURES, word_features
from tunex_core.music.catalog_io import read_catalog_rows
from tunex_core.paths import SHARED_MUSIC_EMOTION_DIR, SHARED_PMEMO_DIR, SHARED_SPOTIFY_DIR

PENALTY = 100.0
SAD = VALENCE_AROUSAL[list(EMOTION_NAMES).index("sad")]
NEAREST = 200


def load():
    """Tracks, their placement features and the labelled training songs, as the build makes them."""
    pmemo_rows, _ = clean_catalog(read_catalog_rows(Path(SHARED_PMEMO_DIR) / RAW_CATALOG_NAME), read_overrides())
    spotify_rows, _ = read_spotify_tables(Path(SHARED_SPOTIFY_DIR))
    labelled, _ = to_pmemo_scale(read_music_emotion(Path(SHARED_MUSIC_EMOTION_DIR)),
                                 [row.valence for row in pmemo_rows], [row.arousal for row in pmemo_rows])
    report = MergeReport(pmemo_songs=len(pmemo_rows))
    tracks = drop_same_songs(merge_by_id(spotify_rows, report), report)
    matches = match_pmemo_songs(pmemo_rows, tracks, report)
    labelled_matches = match_labelled_songs(labelled, tracks)
    songs, indices = training_songs([(row, matches[row.music_id]) for row in pmemo_rows if row.music_id in matches],
                                    labelled, labelled_matches)
    matrix, names = placement_features(tracks)
    words = word_features([track.title for track in tracks], [track.artist for track in tracks], labelled,
                          labelled_matches)
    matrix, names = np.hstack([matrix, words]), (*names, *WORD_FEATURES)
    estimated = np.array(sorted(set(range(len(tracks))) - set(matches.values())))
    return tracks, matrix, names, songs, np.array(indices), estimated


def spread(model, rows, names, how, labels, training_raw):
    """Estimates of ``rows``: the build's joint spread, none (the raw mean of ridge and trees) or per axis."""
    if how == "joint":
        return model.predict(rows, names)
    raw = model.raw(rows, names)
    if how == "none":
        return raw
    centre = training_raw.mean(axis=0)
    return centre + (raw - centre) * labels.std(axis=0) / training_raw.std(axis=0)


class Study:
    """Out-of-fold estimates of the labelled songs and the catalog's placement under one variant."""

    def __init__(self, tracks, matrix, names, songs, indices, estimated):
        self.tracks, self.matrix, self.names, self.indices, self.estimated = tracks, matrix, names, indices, estimated
        self.source = np.array([song.source for song in songs], dtype=object)
        self.split = np.array([song.split for song in songs], dtype=object)
        self.artist = np.array([song.artist for song in songs], dtype=object)
        self.labels = np.array([[song.valence, song.arousal] for song in songs])
        self.train = self.split == placement.TRAIN
        self.validation = (self.source == "deezer") & (self.split == placement.VALIDATION)
        column = {name: index for index, name in enumerate(names)}
        genre = np.array([tracks[index].genre or "" for index in range(len(tracks))], dtype=object)
        rap_share = matrix[:, column["genre=rap"]]
        self.track_genre = np.where(genre != "", genre,
                                    np.where(rap_share >= 0.5, "(none; artist mostly rap)", "(none; other)"))
        self.genre = self.track_genre[indices]
        quiet = (matrix[:, column["acousticness"]] >= 0.5) & (matrix[:, column["energy"]] <= 0.4)
        self.rap = (genre[indices] == "rap") | (rap_share[indices] >= 0.5)
        self.quiet = quiet[indices] & ~self.rap

    def fit(self, rows, labels, matrix, names, how):
        model = placement._fit_both(matrix[rows], labels[rows], np.ones(int(rows.sum())), names, PENALTY)
        training_raw = model.raw(matrix[rows], names)
        return lambda predict_rows: spread(model, predict_rows, names, how, labels[rows], training_raw)

    def out_of_fold(self, matrix, names, how="joint", labels=None, keep=None, predict_matrix=None):
        """Deezer validation from a fit on the training split; training songs by artist-grouped CV. ``matrix`` are
        the labelled songs' rows; ``predict_matrix`` (default ``matrix``) the rows estimates are made from."""
        labels = self.labels if labels is None else labels
        keep = np.ones(len(labels), bool) if keep is None else keep
        predict_matrix = matrix if predict_matrix is None else predict_matrix
        estimates = np.full_like(labels, np.nan)
        estimates[self.validation] = self.fit(self.train & keep, labels, matrix, names, how)(
            predict_matrix[self.validation])
        train_rows = np.flatnonzero(self.train)
        for test in group_k_fold(self.artist[train_rows], placement.FOLDS):
            held_out = train_rows[test]
            estimates[held_out] = self.fit(self.train & keep & ~np.isin(self.artist, self.artist[held_out]),
                                           labels, matrix, names, how)(predict_matrix[held_out])
        return estimates

    def r(self, estimates, rows):
        return tuple(round(float(np.corrcoef(estimates[rows, axis], self.labels[rows, axis])[0, 1]), 3)
                     for axis in range(2))


def print_genre_table(study, estimates, raw):
    print("1. Per genre: mean label / out-of-fold raw estimate / placed (joint spread), valence then arousal")
    print(f"{'labels':7s} {'genre':26s} {'songs':>5s}  {'label':>13s}  {'raw':>13s}  {'placed':>13s}")
    for source in ("all", "deezer", "pmemo"):
        chosen = np.ones(len(study.source), bool) if source == "all" else study.source == source
        for genre in sorted(set(study.genre)):
            rows = chosen & (study.genre == genre)
            if rows.sum() >= 5:
                print(f"{source:7s} {genre:26s} {int(rows.sum()):5d}  {_means(rows, study.labels, raw, estimates)}")
    for kind, rows in (("rap (own or artist's)", study.rap), ("quiet acoustic, not rap", study.quiet)):
        print(f"{'all':7s} {kind:26s} {int(rows.sum()):5d}  {_means(rows, study.labels, raw, estimates)}")
    print("SD (valence, arousal): label", study.labels.std(0).round(3), "raw", raw.std(0).round(3),
          "placed", estimates.std(0).round(3))


def _means(rows, *columns):
    return "  ".join(f"{values[rows, 0].mean():.3f}, {values[rows, 1].mean():.3f}" for values in columns)


def print_labels_near_sad(study):
    print(f"\n2. Labelled songs near the sad point ({SAD[0]:.3f}, {SAD[1]:.3f})")
    nearest = np.array(EMOTION_NAMES)[((study.labels[:, None, :] - VALENCE_AROUSAL[None]) ** 2).sum(-1).argmin(1)]
    print("   songs whose label is nearest the sad point, per source:", dict(Counter(study.source[nearest == "sad"])))
    for source in ("deezer", "pmemo", "4q"):
        rows = study.source == source
        close = rows & (np.hypot(*(study.labels - SAD).T) < 0.15)
        mean, sd = study.labels[rows].mean(0), study.labels[rows].std(0)
        rap_z = (study.labels[rows & study.rap].mean(0) - mean) / sd
        quiet_z = (study.labels[rows & study.quiet].mean(0) - mean) / sd
        print(f"   {source}: lowest label {study.labels[rows].min(0).round(2)}; within 0.15 of sad {int(close.sum())}; "
              f"rap ({int((rows & study.rap).sum())}) at {rap_z.round(2)} SD, quiet acoustic "
              f"({int((rows & study.quiet).sum())}) at {quiet_z.round(2)} SD")
        for index in np.flatnonzero(close):
            track = study.tracks[study.indices[index]]
            print(f"      {track.title} / {track.artist} ({study.genre[index]}) {study.labels[index].round(2)}")


def catalog_line(study, placed):
    distances = ((placed[:, None, :] - VALENCE_AROUSAL[None]) ** 2).sum(-1)
    regions = Counter(np.array(EMOTION_NAMES)[distances.argmin(1)])
    nearest = np.argsort(distances[:, list(EMOTION_NAMES).index("sad")])[:NEAREST]
    genres = Counter(study.track_genre[study.estimated[nearest]])
    rap = genres["rap"] + genres["(none; artist mostly rap)"]
    catalog_rap = placed[study.track_genre[study.estimated] == "rap"].mean(0)
    first = "; ".join(f"{study.tracks[study.estimated[index]].title[:24]} / "
                      f"{study.tracks[study.estimated[index]].artist[:14]}" for index in nearest[:5])
    return (f"catalog rap {catalog_rap.round(3)}, sad region {regions['sad']}, nearest {NEAREST} to sad: rap "
            f"{rap} ({dict(genres.most_common(3))})\n      {first}")


def run_variants(study):
    print("\n3. Variants: Deezer validation r, PMEmo CV r (valence, arousal); the catalog under each")
    drop = {"- track title sentiment": lambda name: name.startswith("title "),
            "- artist title sentiment": lambda name: name.startswith("artist title "),
            "- artist profile": lambda name: name.startswith("artist "),
            "- speechiness (track, artist)": lambda name: name.endswith("speechiness"),
            "- genre probabilities": lambda name: "genre probability" in name}
    labelled = study.matrix[study.indices]
    pmemo = study.source == "pmemo"
    variants = [("shipped", study.matrix, study.names, "joint"), ("no spread (raw)", study.matrix, study.names, "none"),
                ("per-axis spread", study.matrix, study.names, "axis")]
    for label, dropped in drop.items():
        keep = [index for index, name in enumerate(study.names) if not dropped(name)]
        variants.append((label, study.matrix[:, keep], tuple(study.names[index] for index in keep), "joint"))
    for label, matrix, names, how in variants:
        estimates = study.out_of_fold(matrix[study.indices], names, how)
        placed = study.fit(np.ones(len(study.labels), bool), study.labels, matrix[study.indices], names, how)(
            matrix[study.estimated])
        print(f"   {label:30s} {study.r(estimates, study.validation)} {study.r(estimates, pmemo)}; "
              f"{catalog_line(study, placed)}")
    for label, interactions in (("PMEmo flag", ()), ("PMEmo flag x genre", ("genre", "subgenre"))):
        columns = [index for index, name in enumerate(study.names) if interactions and name.startswith(interactions)]
        names = (*study.names, "source=pmemo", *(f"pmemo x {study.names[index]}" for index in columns))

        def with_flag(rows, flag, columns=columns):
            return np.hstack([rows, flag[:, None], rows[:, columns] * flag[:, None]])

        flagged = with_flag(labelled, pmemo.astype(float))
        as_tags = with_flag(labelled, np.zeros(len(labelled)))
        estimates = study.out_of_fold(flagged, names, predict_matrix=as_tags)
        as_pmemo = study.out_of_fold(flagged, names)
        placed = study.fit(np.ones(len(study.labels), bool), study.labels, flagged, names, "joint")(
            with_flag(study.matrix[study.estimated], np.zeros(len(study.estimated))))
        print(f"   {label + ' (placed as tags)':30s} {study.r(estimates, study.validation)} "
              f"{study.r(estimates, pmemo)} (as PMEmo {study.r(as_pmemo, pmemo)}); {catalog_line(study, placed)}")
        rows = (study.source == "deezer") & study.rap
        print(f"      Deezer rap: out-of-fold {estimates[rows].mean(0).round(3)}, label "
              f"{study.labels[rows].mean(0).round(3)}")
    tags_only = study.source != "pmemo"
    estimates = study.out_of_fold(labelled, study.names, keep=tags_only)
    placed = study.fit(tags_only, study.labels, labelled, study.names, "joint")(study.matrix[study.estimated])
    print(f"   {'Deezer + 4Q only (no PMEmo)':30s} {study.r(estimates, study.validation)} {study.r(estimates, pmemo)}; "
          f"{catalog_line(study, placed)}")


def main() -> int:
    study = Study(*load())
    labelled = study.matrix[study.indices]
    estimates = study.out_of_fold(labelled, study.names)
    raw = study.out_of_fold(labelled, study.names, "none")
    print(f"shipped placement: Deezer validation r {study.r(estimates, study.validation)}, "
          f"PMEmo CV r {study.r(estimates, study.source == 'pmemo')}\n")
    print_genre_table(study, estimates, raw)
    placed = study.fit(np.ones(len(study.labels), bool), study.labels, labelled, study.names, "joint")(
        study.matrix[study.estimated])
    print("   catalog (estimated songs), mean placed per genre:")
    for genre in sorted(set(study.track_genre)):
        rows = study.track_genre[study.estimated] == genre
        print(f"   {genre:26s} {int(rows.sum()):6d}  {placed[rows, 0].mean():.3f}, {placed[rows, 1].mean():.3f}")
    print_labels_near_sad(study)
    run_variants(study)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
