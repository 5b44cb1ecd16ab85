"""Precision of the catalog's estimated languages on the hand-labelled sample (data/language_sample.csv).

Usage: python scripts/language_precision.py

A song counts as estimated when its estimate is not ``unknown``. "Strict" counts an estimate on an
instrumental (or on a song whose language the labeller could not tell) as wrong; "songs with lyrics
in a known language" leaves those out. The sample: 140 songs drawn at random from the catalog and 60
drawn at random among the songs estimated to be neither English nor unknown.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "language_sample.csv"


def report(rows: list[dict], name: str) -> str:
    """One line: songs, estimated share, strict precision and precision on songs with known lyrics."""
    estimated = [row for row in rows if row["estimate"] != "unknown"]
    known = [row for row in estimated if not row["note"]]
    right = sum(row["estimate"] == row["label"] for row in estimated)
    right_known = sum(row["estimate"] == row["label"] for row in known)
    return (f"{name}: {len(rows)} songs, {len(estimated)} estimated ({len(estimated) / len(rows):.0%}); precision "
            f"strict {right}/{len(estimated)} = {right / max(1, len(estimated)):.1%}, on songs with lyrics in a known "
            f"language {right_known}/{len(known)} = {right_known / max(1, len(known)):.1%}")


def main() -> int:
    """Print the precision per stratum of the sample."""
    with SAMPLE.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    print(report(rows, "all"))
    print(report([row for row in rows if row["stratum"] == "random"], "random 140"))
    print(report([row for row in rows if row["stratum"] != "random"], "non-English estimates 60"))
    english = [row for row in rows if row["estimate"] == "en"]
    print(f"estimated English: {sum(row['label'] == 'en' for row in english)}/{len(english)} English "
          f"({sum(bool(row['note']) for row in english)} instrumental or not known)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
