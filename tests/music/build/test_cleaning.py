"""Tests for ``tunex_core.music.build.cleaning`` on the exact defects found in PMEmo's metadata."""

from __future__ import annotations

import csv

import pytest

from tunex_core.music.build.catalog import data_is_current, read_overrides
from tunex_core.music.build.cleaning import (
    CatalogOverride,
    clean_artist,
    clean_catalog,
    clean_title,
    repair_mojibake,
    strip_trailing_junk,
    unify_artist_spellings,
)
from tunex_core.music.catalog import CatalogError, CatalogRow
from tunex_core.paths import (
    CATALOG_OVERRIDES_FILE,
    DATA_DIR,
    PMEMO_CATALOG_FILE,
    SHARED_MUSIC_EMOTION_DIR,
    SHARED_PMEMO_DIR,
    SHARED_SPOTIFY_DIR,
)


def row(music_id: int, title: str, artist: str, valence: float = 0.5, arousal: float = 0.5) -> CatalogRow:
    return CatalogRow(music_id=music_id, title=title, artist=artist, valence=valence, arousal=arousal)


@pytest.mark.parametrize(("raw", "repaired"), [
    ("²¼Â×´ï.Àî(Brenda Lee)", "布伦达.李(Brenda Lee)"),
    ("¿ËÀïË¹ÀûÑÇ(Chris Rea)", "克里斯利亚(Chris Rea)"),
])
def test_gbk_mojibake_is_repaired(raw, repaired):
    assert repair_mojibake(raw) == repaired


@pytest.mark.parametrize("name", [
    "Céline Dion", "Michael Bublé", "Emeli Sandé", "José Feliciano", "MØ", "Bon Appétit", "Sneakin’",
    "방탄소년단", "韩国群星", "浜崎あゆみ", "Drake",
])
def test_genuine_accents_and_non_latin_names_are_not_touched(name):
    assert repair_mojibake(name) == name
    assert strip_trailing_junk(name) == name
    cleaned = clean_artist(name)
    assert (cleaned.name, cleaned.native, cleaned.notes) == (name, "", ())


def test_repaired_names_keep_the_readable_latin_name_and_the_native_one():
    cleaned = clean_artist("²¼Â×´ï.Àî(Brenda Lee)")
    assert (cleaned.name, cleaned.native) == ("Brenda Lee", "布伦达.李")
    assert cleaned.notes == ("mojibake-repaired", "latin-name-kept")


@pytest.mark.parametrize(("raw", "cleaned"), [
    ("Various Artists\x93©", "Various Artists"),
    ("群星쀀", "群星"),
])
def test_trailing_junk_is_removed(raw, cleaned):
    assert clean_artist(raw).name == cleaned
    assert "junk-removed" in clean_artist(raw).notes


@pytest.mark.parametrize(("raw", "artist", "title", "credited", "featured"), [
    ("Titanium (Feat. Sia)", "David Guetta", "Titanium (feat. Sia)", "David Guetta", ("Sia",)),
    ("Cold Water (feat. Justin Bieber & MØ)", "Major Lazer", "Cold Water (feat. Justin Bieber & MØ)",
     "Major Lazer", ("Justin Bieber", "MØ")),
    ("Kanye West Ft. Rihanna - Famous (New Version) (CDQ)", "Kanye West",
     "Famous (New Version) (feat. Rihanna)", "Kanye West", ("Rihanna",)),
    ("Logic,Alessia Cara,Khalid - 1-800-273-8255", "Logic", "1-800-273-8255 (feat. Alessia Cara & Khalid)",
     "Logic", ("Alessia Cara", "Khalid")),
    ("Rihanna,Lost Kings - Work (Lost Kings Remix)", "Rihanna", "Work (Lost Kings Remix)", "Rihanna",
     ("Lost Kings",)),
    ("Southern Land—Taylor Ray Holbrook & Ryan Upchurch", "Taylor Ray Holbrook",
     "Southern Land (feat. Ryan Upchurch)", "Taylor Ray Holbrook", ("Ryan Upchurch",)),
    ("DNCE - Cake By The Ocean (From ＂Grease Live!＂ Music From The", "Various Artists", "Cake By The Ocean",
     "DNCE", ()),
    ("chris brown - grass ain't greener", "Chris Brown", "Grass Ain't Greener", "Chris Brown", ()),
    ("Tinashé - Superlove", "Tinashe", "Superlove", "Tinashe", ()),
    ("YOUNG MA - OOOUUU (intro)", "Young M.a.", "OOOUUU (intro)", "Young M.a.", ()),
    ("06-ed_sheeran-photograph", "Ed Sheeran", "Photograph", "Ed Sheeran", ()),
    ("Lauren_Duski_-_Ghost_In_This_House_-_Studio_Version_-_The_Vo", "Lauren Duski",
     "Ghost In This House (Studio Version)", "Lauren Duski", ()),
    ("09 Conscience (feat. Future)", "Kodak Black", "Conscience (feat. Future)", "Kodak Black", ("Future",)),
    ("02 - Stressed Out", "Twenty One Pilots", "Stressed Out", "Twenty One Pilots", ()),
    ("OneRepublic - Wherever I Go (CDQ) (HipHopStoners.com)", "OneRepublic", "Wherever I Go", "OneRepublic",
     ()),
    ("Hallelujah((Album Version)", "Leonard Cohen", "Hallelujah (Album Version)", "Leonard Cohen", ()),
    ("Crank It (Woah!)(Radio Edit)", "Kideko", "Crank It (Woah!) (Radio Edit)", "Kideko", ()),
    ('Stitches(From "Dance Camp" Original Motion Picture Soundtrac', "Shawn Mendes", "Stitches",
     "Shawn Mendes", ()),
    # Numbers that are the title, not a track number, stay.
    ("7 Years", "Lukas Graham", "7 Years", "Lukas Graham", ()),
    ("24K Magic", "Bruno Mars", "24K Magic", "Bruno Mars", ()),
    ("1999 (LP Version)", "Prince", "1999 (LP Version)", "Prince", ()),
    # A dash that is part of the title, with another artist's name, stays.
    ("Sweatshirt - Tribute to Jacob Sartorius", "Billboard Masters",
     "Sweatshirt - Tribute to Jacob Sartorius", "Billboard Masters", ()),
])
def test_titles_are_cleaned(raw, artist, title, credited, featured):
    cleaned = clean_title(raw, artist)
    assert (cleaned.title, cleaned.artist, cleaned.featured_artists) == (title, credited, featured)
    assert bool(cleaned.notes) == (title != raw or credited != artist)


def test_spelling_variants_become_one_spelling():
    artists = ["Lady GaGa", "Lady Gaga", "Lady GaGa", "Blink 182", "Blink-182", "Drake"]
    assert unify_artist_spellings(artists) == [
        "Lady GaGa", "Lady GaGa", "Lady GaGa", "Blink 182", "Blink 182", "Drake"]
    assert unify_artist_spellings(artists, preferred=["Lady Gaga", "blink-182"])[:5] == [
        "Lady Gaga", "Lady Gaga", "Lady Gaga", "blink-182", "blink-182"]


def test_duplicates_are_flagged_not_merged():
    rows = [
        row(90, "Make Me...", "Britney Spears", 0.487, 0.65),
        row(92, "Make Me...", "Britney Spears", 0.575, 0.65),
        row(853, "Call On Me", "Starley", 0.625, 0.65),
        row(854, "Call on Me", "Starley", 0.787, 0.838),
        row(224, "Sneakin'", "Drake", 0.5, 0.588),
        row(277, "Sneakin’", "Drake", 0.388, 0.2),
        row(160, "Rockabye (feat. Sean Paul & Anne-Marie)", "Sean Paul"),
        row(162, "Rockabye (feat. Sean Paul & Anne-Marie)", "Sean Paul"),
        row(1, "Good Drank", "2 Chainz"),
    ]
    cleaned, report = clean_catalog(rows)
    by_id = {item.music_id: item for item in cleaned}
    assert report.duplicate_groups == ((90, 92), (160, 162), (224, 277), (853, 854))
    assert [by_id[music_id].duplicate_of for music_id in (90, 92, 853, 854, 224, 277, 1)] == [
        None, 90, None, 853, None, 224, None]
    assert len(cleaned) == len(rows)
    assert (by_id[277].valence, by_id[277].arousal) == (0.388, 0.2)
    assert "duplicate" in by_id[92].cleaning_notes


def test_clean_catalog_records_originals_and_applies_overrides():
    rows = [row(84, "Rockin' Around The Christmas Tree", "²¼Â×´ï.Àî(Brenda Lee)"),
            row(563, "Telephone (Feat. Beyonc?", "群星쀀"), row(1, "Good Drank", "2 Chainz")]
    overrides = [CatalogOverride(563, "title", "Telephone (feat. Beyoncé)", "lost é")]
    cleaned, report = clean_catalog(rows, overrides)
    brenda, telephone, untouched = cleaned
    assert (brenda.artist, brenda.artist_native, brenda.artist_original) == (
        "Brenda Lee", "布伦达.李", "²¼Â×´ï.Àî(Brenda Lee)")
    assert (telephone.title, telephone.artist, telephone.featured_artists) == (
        "Telephone (feat. Beyoncé)", "群星", ("Beyoncé",))
    assert telephone.title_original == "Telephone (Feat. Beyonc?"
    assert "hand-corrected" in telephone.cleaning_notes
    assert (untouched.title_original, untouched.artist_original, untouched.cleaning_notes) == ("", "", ())
    assert report.artists_changed == (84, 563) and report.overrides_applied == 1
    with pytest.raises(ValueError, match="no such song"):
        clean_catalog(rows, [CatalogOverride(999, "title", "x", "")])


def test_shipped_catalog_is_clean():
    with PMEMO_CATALOG_FILE.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 767
    artists = [item["artist"] for item in rows]
    assert not any(char in artist for artist in artists for char in "²¼Â×´ïÀî¿ËÑÇ\x93©쀀")
    repaired = {item["artist"] for item in rows if item["musicId"] in ("84", "146")}
    assert repaired == {"Brenda Lee", "Chris Rea"}
    assert artists.count("방탄소년단") == 3 and "韩国群星" in artists
    # 12 spelled either way in the source, and "Telephone", which the source credits to 群星 (by hand).
    assert "Lady GaGa" not in artists and artists.count("Lady Gaga") == 13
    by_id = {item["musicId"]: item for item in rows}
    assert (by_id["93"]["title"], by_id["93"]["artist"]) == ("What the World Needs Now Is Love", "Broadway for Orlando")
    duplicates = [item for item in rows if item["duplicate_of"]]
    assert len(duplicates) == 12
    assert all(int(item["duplicate_of"]) < int(item["musicId"]) for item in duplicates)
    assert not any("Feat." in item["title"] or " Ft. " in item["title"] for item in rows
                   if "Originally Performed" not in item["title"])


def test_overrides_file_is_valid():
    overrides = read_overrides(CATALOG_OVERRIDES_FILE)
    assert overrides and all(override.reason for override in overrides)


@pytest.mark.parametrize(("content", "message"), [
    (b"musicId,field,value,reason\n1,title," + b"x" * 140_000 + b",too long\n", "unreadable CSV after line 1"),
    (b"musicId,field,value,reason\n1,title,\xff\xfe,latin-1\n", "not UTF-8 text"),
    (b"musicId,field,value,reason\nseven,title,X,not a number\n", "line 2: bad override"),
])
def test_a_broken_overrides_file_is_named_not_a_traceback(tmp_path, content, message):
    path = tmp_path / "overrides.csv"
    path.write_bytes(content)
    with pytest.raises(CatalogError, match=message):
        read_overrides(path)


def test_an_overrides_folder_is_refused(tmp_path):
    with pytest.raises(CatalogError, match="is a folder"):
        read_overrides(tmp_path)


@pytest.mark.skipif(not (SHARED_PMEMO_DIR / "pmemo_static.csv").is_file() or not SHARED_SPOTIFY_DIR.is_dir()
                    or not SHARED_MUSIC_EMOTION_DIR.is_dir(),
                    reason="the raw PMEmo files, the Spotify tables or the music-emotion tables in ../shared are "
                           "not available")
def test_shipped_data_matches_a_fresh_build_from_the_raw_files():
    assert data_is_current(SHARED_PMEMO_DIR, DATA_DIR) == []
