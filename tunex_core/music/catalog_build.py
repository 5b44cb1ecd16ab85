"""Rebuild ``data/`` (the shipped song catalog and chorus clips) from the raw PMEmo files.

Usage (from the project root)::

    python -m tunex_core.music.catalog_build                      # reads ../shared/data/pmemo
    python -m tunex_core.music.catalog_build --source DIR --output data
    python -m tunex_core.music.catalog_build --check              # exit 1 if data/ is out of date

The build is deterministic: running it twice gives byte-identical files. It
writes ``pmemo_catalog.csv`` (cleaned by ``tunex_core.music.catalog_cleaning`` with the
hand-checked corrections in ``catalog_overrides.csv``), copies PMEmo's MIT
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
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from tunex_core.music.catalog import CatalogError, load_catalog, read_catalog_rows, write_catalog_rows
from tunex_core.music.catalog_cleaning import CatalogOverride, CleaningReport, clean_catalog
from tunex_core.paths import CATALOG_OVERRIDES_FILE, DATA_DIR, SHARED_PMEMO_DIR

RAW_CATALOG_NAME = "pmemo_static.csv"
CATALOG_NAME = "pmemo_catalog.csv"
LICENSE_NAME = "PMEMO_LICENSE"
CLIPS_FOLDER = "clips"
ANNOTATION_KEYS = ("id", "title", "artist", "album", "duration", "chorus", "valence_mean", "arousal_mean",
                   "quadrant", "dynamic")
DYNAMIC_KEYS = ("t", "v", "a")


@dataclass(frozen=True)
class BuildResult:
    """What a build wrote and what the cleaning changed."""

    catalog_path: Path
    clip_ids: tuple[int, ...]
    report: CleaningReport


def read_overrides(path: str | Path = CATALOG_OVERRIDES_FILE) -> list[CatalogOverride]:
    """Hand-checked corrections: a CSV with ``musicId, field, value, reason`` (musicId ``*``: a
    preferred artist spelling)."""
    path = Path(path)
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle)
            overrides = []
            for record in reader:
                try:
                    music_id = record["musicId"].strip()
                    overrides.append(CatalogOverride(
                        None if music_id == "*" else int(music_id), record["field"].strip(),
                        record["value"], record["reason"]))
                except (KeyError, TypeError, ValueError) as error:
                    raise CatalogError(f"{path}: line {reader.line_num}: bad override ({error})") from None
    except FileNotFoundError:
        raise CatalogError(f"{path}: overrides file not found") from None
    return overrides


def build_data(source: str | Path = SHARED_PMEMO_DIR, output: str | Path = DATA_DIR,
               overrides_path: str | Path = CATALOG_OVERRIDES_FILE) -> BuildResult:
    """Clean ``source/pmemo_static.csv`` into ``output`` and copy the clips, licence and annotations."""
    source, output = Path(source), Path(output)
    if not (source / RAW_CATALOG_NAME).is_file():
        raise CatalogError(f"{source}: no {RAW_CATALOG_NAME} here; pass --source with the PMEmo folder")
    raw_rows = read_catalog_rows(source / RAW_CATALOG_NAME)
    try:
        rows, report = clean_catalog(raw_rows, read_overrides(overrides_path))
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
    return BuildResult(catalog_path=catalog_path, clip_ids=tuple(clip_ids), report=report)


def _copy_if_changed(source: Path, target: Path) -> None:
    if not target.exists() or not filecmp.cmp(source, target, shallow=False):
        shutil.copyfile(source, target)


def data_is_current(source: str | Path = SHARED_PMEMO_DIR, shipped: str | Path = DATA_DIR) -> list[str]:
    """Rebuild into a temporary folder and list the shipped files that differ (empty = up to date)."""
    shipped = Path(shipped)
    with tempfile.TemporaryDirectory() as folder:
        fresh = Path(folder)
        build_data(source, fresh)
        different = []
        for path in sorted(fresh.rglob("*")):
            if path.is_file():
                relative = path.relative_to(fresh)
                target = shipped / relative
                if not target.is_file() or not filecmp.cmp(path, target, shallow=False):
                    different.append(str(relative))
    return different


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
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m tunex_core.music.catalog_build",
                                     description="Rebuild data/ from the raw PMEmo files.")
    parser.add_argument("--source", type=Path, default=SHARED_PMEMO_DIR, help="raw PMEmo folder")
    parser.add_argument("--output", type=Path, default=DATA_DIR, help="folder to write (default: data/)")
    parser.add_argument("--check", action="store_true", help="only report whether the output is up to date")
    arguments = parser.parse_args(argv)
    try:
        if arguments.check:
            different = data_is_current(arguments.source, arguments.output)
            if different:
                print(f"out of date: {', '.join(different)}; run python -m tunex_core.music.catalog_build")
                return 1
            print(f"{arguments.output} is up to date with {arguments.source}")
            return 0
        print(summary(build_data(arguments.source, arguments.output)))
    except CatalogError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
