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


def test_the_duration_is_read_when_the_table_has_it(tmp_path):
    layout = TABLE_LAYOUTS[2]
    header = ",".join((*TOP_HEADER, "duration_ms"))
    rows_text = [",".join(["a" * 22, "A", "T", *["0.5"] * len(FEATURES), duration])
                 for duration in ("215000", "-3", "n/a")]
    path = tmp_path / "top.csv"
    path.write_text(header + "\n" + "\n".join(rows_text) + "\n", encoding="utf-8")
    rows, _ = read_spotify_table(path, layout)
    assert [row.duration for row in rows] == [215.0, None, None]  # seconds; a bad value is unknown, not a drop
    path.write_text(",".join(TOP_HEADER) + "\n" + rows_text[0].rsplit(",", 1)[0] + "\n", encoding="utf-8")
    assert read_spotify_table(path, layout)[0][0].duration is None  # a table without the column still reads
