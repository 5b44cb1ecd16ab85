"""Tests for ``tunex_core.music.build.spotify_tables``: a broken row is counted, mojibake repaired."""

from __future__ import annotations

from tunex_core.music.build.spotify_tables import FEATURES, TABLE_LAYOUTS, read_spotify_table, repair_latin1_mojibake

TOP_HEADER = ("id", "artist_names", "track_name", *FEATURES)


def test_a_broken_row_in_the_middle_names_its_line(tmp_path):
    layout = TABLE_LAYOUTS[2]
    text = ",".join(TOP_HEADER) + "\n" + ",".join(["a" * 22, "A", "T", *["0.5"] * len(FEATURES)]) + '\n"x,\n'
    path = tmp_path / "top.csv"
    path.write_text(text, encoding="utf-8")
    rows, report = read_spotify_table(path, layout)
    assert len(rows) == 1 and report.defects["wrong number of fields"] == 1 and report.rows_read == 2


def test_mojibake_repair_leaves_genuine_accents_alone():
    assert repair_latin1_mojibake("BeyoncÃ©") == "Beyoncé"
    assert repair_latin1_mojibake("SENTADÃO") == "SENTADÃO"
    assert repair_latin1_mojibake("Céline Dion") == "Céline Dion"
    assert repair_latin1_mojibake("plain") == "plain"
