"""Rebuild ``data/`` (the shipped song catalog and chorus clips) from PMEmo and the Spotify tables.

Usage (from the project root)::

    python -m tunex_core.music.build.catalog                      # reads ../shared/data/{pmemo,spotify}
    python -m tunex_core.music.build.catalog --source DIR --spotify-source DIR --output data
    python -m tunex_core.music.build.catalog --check              # exit 1 if data/ is out of date

The build is deterministic: running it twice gives identical files. It
writes ``pmemo_catalog.csv`` (cleaned by ``tunex_core.music.build.cleaning`` with the
hand-checked corrections in ``catalog_overrides.csv``); merges those rated songs with the
Spotify tables (``build.spotify_tables``, ``build.merge``) into ``catalog.parquet``, the catalog
the app uses; writes the fitted Spotify-to-PMEmo mapping with its cross-validated scores to
``catalog_mapping.json`` and what was merged, dropped and repaired to
``catalog_build_report.json``; copies PMEmo's MIT
``LICENSE`` to ``PMEMO_LICENSE``, and copies the chorus clips with their dynamic
annotations to ``clips/``. From each annotation it keeps the metadata and the
valence/arousal curves; it drops the lyrics and streaming-site comments
(third-party text not covered by PMEmo's licence) and the listeners' skin
conductance recordings, which the product does not use.
"""

from __future__ import annotations

import argparse
import csv
import filecmp
import json
import math
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from tunex_core.music.build.cleaning import CatalogOverride, CleaningReport, clean_catalog
from tunex_core.music.build.mapping import MappingError, MappingFit
from tunex_core.music.build.merge import ESTIMATE_DECIMALS, MergeReport, merge_catalog
from tunex_core.music.build.music_emotion import read_music_emotion, to_pmemo_scale
from tunex_core.music.build.placement import PlacementFit
from tunex_core.music.build.spotify_tables import TableReport, read_spotify_tables
from tunex_core.music.catalog import CatalogError
from tunex_core.music.catalog_io import (
    load_catalog,
    read_catalog_rows,
    write_catalog_parquet,
    write_catalog_rows,
)
from tunex_core.music.csv_reading import read_errors_as_catalog_errors
from tunex_core.paths import (
    CATALOG_OVERRIDES_FILE,
    DATA_DIR,
    SHARED_MUSIC_EMOTION_DIR,
    SHARED_PMEMO_DIR,
    SHARED_SPOTIFY_DIR,
)

RAW_CATALOG_NAME = "pmemo_static.csv"
CATALOG_NAME = "pmemo_catalog.csv"
MERGED_CATALOG_NAME = "catalog.parquet"
MAPPING_NAME = "catalog_mapping.json"
REPORT_NAME = "catalog_build_report.json"
MAX_CATALOG_BYTES = 10 * 1024 * 1024
LICENSE_NAME = "PMEMO_LICENSE"
CLIPS_FOLDER = "clips"
ANNOTATION_KEYS = ("id", "title", "artist", "album", "duration", "chorus", "valence_mean", "arousal_mean",
                   "quadrant", "dynamic")
DYNAMIC_KEYS = ("t", "v", "a")
REBUILD_RELATIVE_TOLERANCE = 1e-9
CATALOG_ROUNDING_STEP = 10.0 ** -ESTIMATE_DECIMALS


@dataclass(frozen=True)
class BuildResult:
    """What a build wrote and what the cleaning changed."""

    catalog_path: Path
    clip_ids: tuple[int, ...]
    report: CleaningReport
    merged_path: Path | None = None
    mapping: MappingFit | None = None
    merge_report: MergeReport | None = None
    table_reports: tuple[TableReport, ...] = ()
    placement: PlacementFit | None = None


def read_overrides(path: str | Path = CATALOG_OVERRIDES_FILE) -> list[CatalogOverride]:
    """Hand-checked corrections: a CSV with ``musicId, field, value, reason`` (musicId ``*``: a
    preferred artist spelling)."""
    path = Path(path)
    with (read_errors_as_catalog_errors(path, name="overrides file", expected="the overrides CSV",
                                        reading="the overrides"),
          path.open(encoding="utf-8", newline="") as handle):
        reader = csv.DictReader(handle)
        overrides = []
        try:
            for record in reader:
                try:
                    music_id = record["musicId"].strip()
                    overrides.append(CatalogOverride(
                        None if music_id == "*" else int(music_id), record["field"].strip(),
                        record["value"], record["reason"]))
                except (KeyError, TypeError, ValueError) as error:
                    raise CatalogError(f"{path}: line {reader.line_num}: bad override ({error})") from None
        except csv.Error as error:
            raise CatalogError(f"{path}: unreadable CSV after line {reader.line_num} ({error})") from None
    return overrides


def build_data(source: str | Path = SHARED_PMEMO_DIR, output: str | Path = DATA_DIR,
               overrides_path: str | Path = CATALOG_OVERRIDES_FILE,
               spotify_source: str | Path | None = SHARED_SPOTIFY_DIR,
               music_emotion_source: str | Path = SHARED_MUSIC_EMOTION_DIR) -> BuildResult:
    """Clean ``source/pmemo_static.csv`` into ``output``, copy the clips, licence and annotations, and
    (unless ``spotify_source`` is None) merge in the Spotify tables as ``catalog.parquet``, placed by a
    mapping fitted on PMEmo and the labelled songs of ``music_emotion_source`` (``build.placement``)."""
    source, output = Path(source), Path(output)
    if not (source / RAW_CATALOG_NAME).is_file():
        raise CatalogError(f"{source}: no {RAW_CATALOG_NAME} here; pass --source with the PMEmo folder")
    raw_rows = read_catalog_rows(source / RAW_CATALOG_NAME)
    overrides = read_overrides(overrides_path)
    try:
        rows, report = clean_catalog(raw_rows, overrides)
    except ValueError as error:
        raise CatalogError(f"{overrides_path}: {error}") from None

    output.mkdir(parents=True, exist_ok=True)
    catalog_path = output / CATALOG_NAME
    write_catalog_rows(rows, catalog_path)
    load_catalog(catalog_path)  # the written file must pass the loader's validation
    _copy_if_changed(source / "LICENSE", output / LICENSE_NAME)

    clips = output / CLIPS_FOLDER
    clips.mkdir(exist_ok=True)
    clip_ids = []
    for audio in sorted(source.glob("chorus_*.mp3")):
        music_id = int(audio.stem.removeprefix("chorus_"))
        annotation = json.loads((source / f"dynamic_{music_id}.json").read_text(encoding="utf-8"))
        trimmed = {key: annotation[key] for key in ANNOTATION_KEYS if key in annotation}
        trimmed["dynamic"] = {key: annotation["dynamic"][key] for key in DYNAMIC_KEYS}
        (clips / f"dynamic_{music_id}.json").write_text(
            json.dumps(trimmed, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        _copy_if_changed(audio, clips / audio.name)
        clip_ids.append(music_id)
    result = BuildResult(catalog_path=catalog_path, clip_ids=tuple(clip_ids), report=report)
    if spotify_source is None:
        return result
    return merge_spotify(result, rows, Path(spotify_source), output, Path(music_emotion_source))


def merge_spotify(result: BuildResult, pmemo_rows: list, spotify_source: Path, output: Path,
                  music_emotion_source: Path = SHARED_MUSIC_EMOTION_DIR) -> BuildResult:
    """Write ``catalog.parquet``, ``catalog_mapping.json`` and ``catalog_build_report.json``."""
    if not spotify_source.is_dir():
        raise CatalogError(f"{spotify_source}: no Spotify tables folder here; pass --spotify-source")
    spotify_rows, table_reports = read_spotify_tables(spotify_source)
    labelled, scale_maps = to_pmemo_scale(read_music_emotion(music_emotion_source),
                                          [row.valence for row in pmemo_rows], [row.arousal for row in pmemo_rows])
    try:
        merged_rows, mapping, merge_report, placement = merge_catalog(pmemo_rows, spotify_rows, labelled)
    except MappingError as error:
        raise CatalogError(f"{spotify_source}: the Spotify-to-PMEmo mapping cannot be fitted ({error})") from None
    merged_path = output / MERGED_CATALOG_NAME
    write_catalog_parquet(merged_rows, merged_path)
    if merged_path.stat().st_size > MAX_CATALOG_BYTES:
        raise CatalogError(f"{merged_path}: {merged_path.stat().st_size} bytes, more than the "
                           f"{MAX_CATALOG_BYTES} allowed")
    catalog = load_catalog(merged_path)  # the written file must pass the loader's validation
    written = {"placement": placement.as_dict(),
               "scales_onto_pmemo": [scale.as_dict() for scale in scale_maps],
               "labelled_songs_matched": merge_report.labelled_matched,
               "baseline_pmemo_only": mapping.as_dict()}
    (output / MAPPING_NAME).write_text(json.dumps(written, indent=1) + "\n", encoding="utf-8")
    distinct = len(set(catalog.canonical_ids.tolist()))
    report = {
        "tables": [table.as_dict() for table in table_reports],
        "merge": merge_report.as_dict(),
        "catalog": {"songs": len(catalog), "distinct_songs": distinct,
                    "with_spotify_id": int(catalog.has_spotify_id.sum()),
                    "pmemo_with_spotify_id": int((catalog.has_spotify_id & catalog.rated).sum()),
                    "rated": int(catalog.rated.sum()), "estimated": int((~catalog.rated).sum()),
                    "bytes": merged_path.stat().st_size},
    }
    (output / REPORT_NAME).write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    return BuildResult(catalog_path=result.catalog_path, clip_ids=result.clip_ids, report=result.report,
                       merged_path=merged_path, mapping=mapping, merge_report=merge_report,
                       table_reports=tuple(table_reports), placement=placement)


def _copy_if_changed(source: Path, target: Path) -> None:
    if not target.exists() or not filecmp.cmp(source, target, shallow=False):
        shutil.copyfile(source, target)


def data_is_current(source: str | Path = SHARED_PMEMO_DIR, shipped: str | Path = DATA_DIR,
                    spotify_source: str | Path | None = SHARED_SPOTIFY_DIR,
                    overrides_path: str | Path = CATALOG_OVERRIDES_FILE,
                    music_emotion_source: str | Path = SHARED_MUSIC_EMOTION_DIR) -> list[str]:
    """Rebuild into a temporary folder and list the shipped files that differ (empty = up to date).

    Parquet files are compared by content, so another pyarrow version's bytes do not count.
    """
    shipped = Path(shipped)
    with tempfile.TemporaryDirectory() as folder:
        fresh = Path(folder)
        build_data(source, fresh, overrides_path, spotify_source=spotify_source,
                   music_emotion_source=music_emotion_source)
        different = []
        for path in sorted(fresh.rglob("*")):
            if path.is_file():
                relative = path.relative_to(fresh)
                target = shipped / relative
                if not target.is_file() or not _same_content(path, target):
                    different.append(str(relative))
    return different


def _same_content(fresh: Path, shipped: Path) -> bool:
    """Whether a rebuilt file says what the shipped one says.

    Linear-algebra libraries differ in the last digits of a least-squares fit from one numpy
    build to the next, so JSON numbers are compared to ``REBUILD_RELATIVE_TOLERANCE``, and the
    catalog's float columns (estimates rounded to ``ESTIMATE_DECIMALS``, which such a difference can
    tip across a rounding boundary) may differ by one rounding step (``CATALOG_ROUNDING_STEP``).
    Anything else must be identical.
    """
    if filecmp.cmp(fresh, shipped, shallow=False):
        return True
    if fresh.suffix == ".json":
        try:
            return _close(json.loads(fresh.read_text(encoding="utf-8")),
                          json.loads(shipped.read_text(encoding="utf-8")))
        except (OSError, ValueError):
            return False
    if fresh.suffix == ".parquet":
        return _same_table(fresh, shipped)
    return False


def _close(fresh: object, shipped: object) -> bool:
    if isinstance(fresh, bool) or isinstance(shipped, bool):
        return fresh == shipped
    if isinstance(fresh, (int, float)) and isinstance(shipped, (int, float)):
        return math.isclose(fresh, shipped, rel_tol=REBUILD_RELATIVE_TOLERANCE, abs_tol=REBUILD_RELATIVE_TOLERANCE)
    if isinstance(fresh, dict) and isinstance(shipped, dict):
        return fresh.keys() == shipped.keys() and all(_close(fresh[key], shipped[key]) for key in fresh)
    if isinstance(fresh, list) and isinstance(shipped, list):
        return len(fresh) == len(shipped) and all(_close(fresh_item, shipped_item)
                                                  for fresh_item, shipped_item in zip(fresh, shipped, strict=True))
    return fresh == shipped


def _same_table(fresh: Path, shipped: Path) -> bool:
    import numpy as np
    import pyarrow.parquet as parquet
    import pyarrow.types as arrow_types

    try:
        fresh_table, shipped_table = parquet.read_table(fresh), parquet.read_table(shipped)
    except OSError:
        return False
    if fresh_table.schema != shipped_table.schema or fresh_table.num_rows != shipped_table.num_rows:
        return False
    for name in fresh_table.column_names:
        fresh_column, shipped_column = fresh_table.column(name), shipped_table.column(name)
        if arrow_types.is_floating(fresh_column.type):
            fresh_values = fresh_column.to_numpy(zero_copy_only=False)
            shipped_values = shipped_column.to_numpy(zero_copy_only=False)
            if not np.allclose(fresh_values, shipped_values, rtol=0, atol=CATALOG_ROUNDING_STEP * 1.01,
                               equal_nan=True):
                return False
        elif not fresh_column.equals(shipped_column):
            return False
    return True


def summary(result: BuildResult) -> str:
    """A human-readable account of the build."""
    report = result.report
    lines = [
        f"wrote {result.catalog_path} ({report.songs} songs) and {len(result.clip_ids)} clips "
        f"({', '.join(str(music_id) for music_id in result.clip_ids)})",
        f"artists changed: {len(report.artists_changed)}; titles changed: {len(report.titles_changed)}; "
        f"hand corrections: {report.overrides_applied}",
        "duplicate groups (flagged, first id kept as canonical): "
        + ", ".join("/".join(str(music_id) for music_id in group) for group in report.duplicate_groups),
        "rules applied: " + ", ".join(f"{note} x{count}" for note, count in report.note_counts.items()),
    ]
    for table in result.table_reports:
        defects = ", ".join(f"{name} x{count}" for name, count in sorted(table.defects.items())) or "none"
        lines.append(f"{table.table}: {table.rows_read} rows read, {table.rows_kept} kept; defects: {defects}")
    merge = result.merge_report
    if merge is not None and result.merged_path is not None:
        lines.append(
            f"wrote {result.merged_path} ({merge.catalog_songs} songs: {merge.pmemo_songs} rated, "
            f"{merge.estimated} estimated); {merge.tracks} Spotify ids ({merge.ids_in_several_rows} in several "
            f"rows, {merge.feature_conflicts} with differing features), {merge.same_song_removed} same-song "
            f"duplicates dropped; PMEmo songs with a Spotify id: {merge.pmemo_matched} of {merge.pmemo_songs}")
    if result.mapping is not None:
        for axis in result.mapping.models:
            scores = ", ".join(f"{score.method} r={score.pearson_r:.3f} MAE={score.mean_absolute_error:.3f}"
                               for score in result.mapping.scores if score.axis == axis)
            lines.append(f"{axis}, PMEmo-only baseline (artist-grouped CV): {scores}")
    if result.placement is not None:
        placement = result.placement
        lines.append(f"placement used: PMEmo weight {placement.weight:g}, ridge penalty {placement.penalty:g}; "
                     f"labelled songs {placement.songs_per_source}")
        for score in placement.scores:
            lines.append(f"  {score.source} {score.evaluation} ({score.songs} songs): valence r={score.valence_r:.3f}, "
                         f"arousal r={score.arousal_r:.3f}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m tunex_core.music.build.catalog",
                                     description="Rebuild data/ from the raw PMEmo files and the Spotify tables.")
    parser.add_argument("--source", type=Path, default=SHARED_PMEMO_DIR, help="raw PMEmo folder")
    parser.add_argument("--spotify-source", type=Path, default=SHARED_SPOTIFY_DIR,
                        help="folder with the three Spotify tables (see tunex_core.music.build.spotify_tables)")
    parser.add_argument("--music-emotion-source", type=Path, default=SHARED_MUSIC_EMOTION_DIR,
                        help="folder with deezer_mood/{train,validation}.csv, songs.csv and merge_av_values.csv")
    parser.add_argument("--output", type=Path, default=DATA_DIR, help="folder to write (default: data/)")
    parser.add_argument("--overrides", type=Path, default=CATALOG_OVERRIDES_FILE,
                        help="hand-checked PMEmo corrections (default: data/catalog_overrides.csv)")
    parser.add_argument("--check", action="store_true", help="only report whether the output is up to date")
    arguments = parser.parse_args(argv)
    try:
        if arguments.check:
            different = data_is_current(arguments.source, arguments.output, arguments.spotify_source,
                                        arguments.overrides, arguments.music_emotion_source)
            if different:
                print(f"out of date: {', '.join(different)}; run python -m tunex_core.music.build.catalog")
                return 1
            print(f"{arguments.output} is up to date with {arguments.source}")
            return 0
        print(summary(build_data(arguments.source, arguments.output, arguments.overrides,
                                 spotify_source=arguments.spotify_source,
                                 music_emotion_source=arguments.music_emotion_source)))
    except CatalogError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
