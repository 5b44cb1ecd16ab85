"""Language estimation at build time: scripts, the song's own text, the artist's text, unknown when unsure."""

from __future__ import annotations

import csv

import pytest

from tunex_core.music.build.language import (
    UNKNOWN,
    estimate_languages,
    script_counts,
    script_language,
    song_text,
)
from tunex_core.paths import DATA_DIR

pytest.importorskip("lingua")


def test_scripts_that_one_language_owns_decide():
    assert script_language("사랑해요") == "ko"
    assert script_language("残酷な天使のテーゼ") == "ja"  # kana: Japanese even with kanji
    assert script_language("月亮代表我的心") == "zh"
    assert script_language("ขอใจเธอแลกเบอร์โทร") == "th"
    assert script_language("Σ' αγαπώ") == "el"
    assert script_language("Hello") is None and script_language("1999") is None
    assert script_counts("Café 東京") == {"LATIN": 4, "CJK": 2}


def test_a_shared_script_goes_through_the_detector():
    assert script_language("Подмосковные вечера") == "ru"
    assert script_language("Ще не вмерла Україна") == "uk"


def test_decoration_is_not_evidence():
    assert song_text("Despacito (feat. Daddy Yankee) - Remix") == "Despacito"
    assert song_text("Hello", "25") == "Hello. 25"
    assert song_text("Hello", "Hello") == "Hello"


def test_titles_artists_and_unknowns():
    titles = ["Someone Like You", "Hello", "Te Quiero Mucho Mi Amor", "Red Eye", "Gangnam", "La Bicicleta",
              "Quiero Bailar Contigo", "Vivir Mi Vida", "Sunshine"]
    artists = ["Adele", "Adele", "Banda X", "7715", "PSY", "Carlos Vives", "Carlos Vives", "Carlos Vives",
               "Carlos Vives"]
    languages = estimate_languages(titles, artists, [""] * len(titles))
    assert languages[0] == "en" and languages[2] == "es"
    assert languages[3] == UNKNOWN  # one short title, an artist with no other text: no guess
    # "Sunshine" alone is not evidence of anything; its artist's other titles are Spanish.
    assert languages[8] == "es"
    assert len(languages) == len(titles)


SAMPLE = DATA_DIR / "language_sample.csv"


@pytest.mark.skipif(not SAMPLE.is_file(), reason="no hand-labelled language sample")
def test_the_hand_labelled_sample_matches_the_shipped_catalog():
    """The sample's estimates are the shipped catalog's (so the precision in data/README.md is reproducible),
    and every hand label is a language code or unknown."""
    from tunex_core.music.catalog_io import load_catalog

    catalog = load_catalog()
    with SAMPLE.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) >= 200
    for row in rows:
        index = catalog.index_of(int(row["musicId"]))
        assert index is not None
        song = catalog[index]
        assert (song.title, song.language) == (row["title"], row["estimate"])
        assert row["label"] == UNKNOWN or (row["label"].isalpha() and len(row["label"]) == 2)
