"""Cleaning rules for PMEmo's song metadata (titles and artist names).

PMEmo's ``musicId, title, artist`` fields were scraped from music services and
carry real defects. Each rule here is a pure function, so tests can exercise it
on the exact strings found in the data; ``clean_catalog`` applies them all and
records what it changed in ``cleaning_notes``:

Artists
  * ``junk-removed``: text from the first control character on is dropped
    (``"Various Artists\\x93©"``), and so is a single stray letter of another
    script at the end of a name (``"群星쀀"`` → ``"群星"``; Japanese kana and
    kanji count as one script).
  * ``mojibake-repaired``: GBK (Chinese) bytes that were decoded as Latin-1 are
    re-decoded (``"²¼Â×´ï.Àî(Brenda Lee)"`` → ``"布伦达.李(Brenda Lee)"``). The
    repair only fires when every non-ASCII character pairs up into GB2312 byte
    pairs that decode to Chinese characters, so genuine accents ("Céline Dion",
    "Bon Appétit", "MØ") are never touched.
  * ``latin-name-kept``: a repaired ``"native(Latin)"`` name keeps the readable
    Latin name as ``artist`` and moves the native script to ``artist_native``.
  * ``artist-from-title``: a placeholder artist ("Various Artists", "群星")
    with a title like ``"DNCE - Cake By The Ocean"`` takes the credited artist.
  * ``artist-spelling-unified``: spellings that differ only in case or
    punctuation ("Lady GaGa"/"Lady Gaga", "Blink 182"/"Blink-182") become one:
    the preferred spelling listed in ``data/catalog_overrides.csv`` (musicId
    ``*``), else the most frequent spelling (ties: the one seen first).
  Genuine non-Latin names ("방탄소년단", "韩国群星") are kept as they are.

Titles
  * full-width ASCII forms become ASCII (``＂`` → ``"``), spacing is normalised
    (``"Go(Remix)"`` → ``"Go (Remix)"``, ``"((" → "("``);
  * file-name titles (``"06-ed_sheeran-photograph"``), zero-padded track numbers
    (``"09 Conscience"``) and rip tags (``"(CDQ)"``, ``"(HipHopStoners.com)"``)
    are removed;
  * an artist credit in the title (``"Kehlani - CRZY"``,
    ``"Logic,Alessia Cara,Khalid - 1-800-273-8255"``,
    ``"Southern Land—Taylor Ray Holbrook & Ryan Upchurch"``) is removed when it
    names the song's artist; the other names become featured artists;
  * ``feat.`` variants (``"(Feat. Sia)"``, ``"Ft. Rihanna"``, ``"featuring"``)
    are parsed into ``featured_artists`` and written back uniformly as a final
    ``" (feat. A & B)"`` (a credited name already in the title, as in
    ``"Work (Lost Kings Remix)"``, is a remixer and is not repeated);
  * an unclosed parenthesis at the end is a truncation left by the source's
    60-character limit (a 60-character title without one is noted
    ``truncated-in-source``) (``"Stitches(From "Dance Camp" Original Motion Picture
    Soundtrac"``) and is dropped;
  * a title that came lower-cased with a lower-cased credit
    (``"chris brown - grass ain't greener"``) gets its words capitalised.

Duplicates: songs whose folded title (without ``feat.``) and artist are equal
are flagged, not merged: every row keeps its own musicId and annotation, and
``duplicate_of`` points at the lowest musicId of the group (see ``data/README.md``).
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from tunex_core.music.catalog import CatalogRow, fold_text

PLACEHOLDER_ARTISTS = frozenset({"variousartists", "群星"})
"""Folded compilation credits that name no performer ("Various Artists"; 群星 is Chinese for it)."""

RIP_TAG_PATTERN = re.compile(r"\s*\((?:CDQ|[\w.-]+\.(?:com|net|org))\)", re.IGNORECASE)
FEATURING_PATTERN = re.compile(r"\s*\((?:feat\.?|ft\.?|featuring)\s+([^()]*?)\s*(?:\)|$)", re.IGNORECASE)
CREDIT_FEATURING_PATTERN = re.compile(r"\s+(?:feat\.?|ft\.?|featuring)\s+", re.IGNORECASE)
TRACK_NUMBER_PATTERN = re.compile(r"^0\d(?:\s*-\s*|\s+)(?=\S)")
CREDIT_PREFIX_PATTERN = re.compile(r"^(?P<credit>[^-—]+?)\s*(?:\s-\s|—)\s*(?P<rest>.+)$")
CREDIT_SUFFIX_PATTERN = re.compile(r"^(?P<rest>.+?)\s*(?:\s-\s|—)\s*(?P<credit>[^-—]+)$")
NAME_SEPARATOR_PATTERN = re.compile(r"\s*(?:,|&|\band\b)\s*")
KANA_AND_KANJI = frozenset({"CJK", "HIRAGANA", "KATAKANA"})
SOURCE_TITLE_LIMIT = 60
"""PMEmo's title field holds at most 60 characters; a 60-character title was cut off."""


@dataclass(frozen=True)
class CleanedArtist:
    """An artist name after cleaning, with its native-script form and the rules that fired."""

    name: str
    native: str = ""
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class CleanedTitle:
    """A title after cleaning: the display title, the artist (possibly taken from the title),
    the featured artists and the rules that fired."""

    title: str
    artist: str
    featured_artists: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class CatalogOverride:
    """A hand-checked correction, applied before the automatic rules.

    With a ``music_id`` it replaces the raw ``title`` or ``artist`` of that song. Without one
    (``*`` in the file) it must be an ``artist`` and names the preferred spelling for every
    artist name with the same ``match_key`` (e.g. "Lady Gaga" over "Lady GaGa").
    """

    music_id: int | None
    field: str
    value: str
    reason: str


@dataclass(frozen=True)
class CleaningReport:
    """What ``clean_catalog`` changed: counts and the musicIds behind them."""

    songs: int
    artists_changed: tuple[int, ...]
    titles_changed: tuple[int, ...]
    note_counts: dict[str, int]
    duplicate_groups: tuple[tuple[int, ...], ...]
    overrides_applied: int


def match_key(text: str) -> str:
    """Fold ``text`` to lower-case letters and digits only, for comparing names and titles."""
    return "".join(char for char in fold_text(text) if char.isalnum())


def normalise_spacing(text: str) -> str:
    """Collapse runs of spaces and trim; ``"Go(Remix)"`` → ``"Go (Remix)"``, ``")("`` → ``") ("``."""
    text = re.sub(r"\(\(+", "(", text)
    text = re.sub(r"(?<=[^\s(])\(", " (", text)
    return re.sub(r"\s+", " ", text).strip()


def fullwidth_to_ascii(text: str) -> str:
    """Replace full-width ASCII forms (U+FF01..U+FF5E, e.g. ``＂``) with their ASCII characters."""
    return "".join(chr(ord(char) - 0xFEE0) if 0xFF01 <= ord(char) <= 0xFF5E else char for char in text)


def _script(char: str) -> str:
    name = unicodedata.name(char, "")
    script = name.split(" ", 1)[0] if name else ""
    return "CJK" if script in KANA_AND_KANJI else script


def strip_trailing_junk(name: str) -> str:
    """Drop everything from the first control character on, then a lone final letter in another script."""
    for position, char in enumerate(name):
        if unicodedata.category(char) == "Cc":
            name = name[:position]
            break
    name = name.strip()
    letters = [char for char in name if unicodedata.category(char).startswith("L")]
    if len(letters) >= 3 and name[-1] == letters[-1]:
        last_script = _script(letters[-1])
        other_scripts = {_script(char) for char in letters[:-1]}
        if len(other_scripts) == 1 and last_script not in other_scripts:
            name = name[:-1].strip()
    return name


def repair_mojibake(text: str) -> str:
    """Undo GBK-read-as-Latin-1 damage; return ``text`` unchanged when it is not that kind of mojibake."""
    if text.isascii():
        return text
    try:
        raw = text.encode("latin-1")
    except UnicodeEncodeError:
        try:
            raw = text.encode("cp1252")
        except UnicodeEncodeError:
            return text
    high_bytes = re.findall(rb"[\x80-\xff]+", raw)
    # Genuine Latin text has lone accented letters; GB2312 text is pairs of bytes >= 0xA1.
    if any(len(run) % 2 or min(run) < 0xA1 for run in high_bytes):
        return text
    try:
        repaired = raw.decode("gbk")
    except UnicodeDecodeError:
        return text
    non_ascii = [char for char in repaired if not char.isascii()]
    if not non_ascii or not all("\u4e00" <= char <= "\u9fff" or "\u3000" <= char <= "\u303f"
                                for char in non_ascii):
        return text
    return repaired


def clean_artist(raw: str) -> CleanedArtist:
    """Apply the artist rules (junk, mojibake, native/Latin split) to one raw artist name."""
    notes: list[str] = []
    name = normalise_spacing(raw)
    without_junk = strip_trailing_junk(name)
    if without_junk != name:
        notes.append("junk-removed")
        name = without_junk
    repaired = repair_mojibake(name)
    native = ""
    if repaired != name:
        notes.append("mojibake-repaired")
        name = repaired
        latin = re.fullmatch(r"(?P<native>[^()]*?)\s*\((?P<latin>[A-Za-z][A-Za-z .'&-]*)\)", name)
        if latin and not latin["native"].isascii():
            native, name = latin["native"].strip(), latin["latin"].strip()
            notes.append("latin-name-kept")
    return CleanedArtist(name=name or raw.strip(), native=native, notes=tuple(notes))


def split_names(text: str) -> list[str]:
    """Split a credit such as ``"Sean Paul & Anne-Marie"`` or ``"A, B and C"`` into names."""
    return [part.strip() for part in NAME_SEPARATOR_PATTERN.split(text) if part.strip()]


def _credit_names(credit: str) -> list[str]:
    """Names in a title credit: ``"Kanye West Ft. Rihanna"`` → Kanye West, Rihanna."""
    names: list[str] = []
    for part in CREDIT_FEATURING_PATTERN.split(credit):
        names.extend(split_names(part))
    return names


def capitalise_words(text: str) -> str:
    """Upper-case the first letter of each word (``"ain't"`` stays ``"Ain't"``, unlike ``str.title``)."""
    return re.sub(r"(^|[\s(\"-])([a-z])", lambda match: match[1] + match[2].upper(), text)


def clean_title(raw_title: str, artist: str) -> CleanedTitle:
    """Apply the title rules to ``raw_title`` of a song credited to the (cleaned) ``artist``."""
    notes: list[str] = []
    featured: list[str] = []
    truncated = len(raw_title) >= SOURCE_TITLE_LIMIT
    title = normalise_spacing(fullwidth_to_ascii(raw_title))
    if title != raw_title:
        notes.append("spacing-normalised")
    artist_key = match_key(artist)

    if " " not in title and "_" in title and "-" in title:
        segments = [segment.replace("_", " ").strip() for segment in title.split("-")]
        if truncated:
            segments = segments[:-1]
        kept = [segment for segment in segments
                if segment and not segment.isdigit() and match_key(segment) != artist_key]
        if kept:
            title = capitalise_words(kept[0]) + "".join(f" ({segment})" for segment in kept[1:])
            notes.append("file-name-title")

    without_number = TRACK_NUMBER_PATTERN.sub("", title)
    if without_number != title:
        title = without_number
        notes.append("track-number-removed")

    lowercase_credit = False
    prefix = CREDIT_PREFIX_PATTERN.match(title)
    if prefix:
        names = _credit_names(prefix["credit"])
        if names and (match_key(names[0]) == artist_key or artist_key in PLACEHOLDER_ARTISTS):
            if artist_key in PLACEHOLDER_ARTISTS and match_key(names[0]) != artist_key:
                artist = names[0]
                notes.append("artist-from-title")
            lowercase_credit = prefix["credit"] == prefix["credit"].lower()
            featured.extend(names[1:])
            title = prefix["rest"]
            notes.append("credit-removed")
    if "credit-removed" not in notes:
        suffix = CREDIT_SUFFIX_PATTERN.match(title)
        if suffix:
            names = _credit_names(suffix["credit"])
            if names and match_key(names[0]) == artist_key:
                featured.extend(names[1:])
                title = suffix["rest"]
                notes.append("credit-removed")

    without_tags = RIP_TAG_PATTERN.sub("", title)
    if without_tags != title:
        title = without_tags
        notes.append("rip-tag-removed")

    featuring = FEATURING_PATTERN.search(title)
    if featuring:
        featured.extend(split_names(featuring[1]))
        title = (title[: featuring.start()] + title[featuring.end():]).strip()
        if featuring[0].strip() != f"(feat. {featuring[1]})" or title[featuring.start():].strip():
            notes.append("feat-normalised")

    unclosed_at: list[int] = []
    for position, char in enumerate(title):
        if char == "(":
            unclosed_at.append(position)
        elif char == ")" and unclosed_at:
            unclosed_at.pop()
    if unclosed_at:
        title = title[: unclosed_at[0]].strip()
        notes.append("truncated-parenthetical-removed")
    elif truncated and "file-name-title" not in notes:
        notes.append("truncated-in-source")

    if lowercase_credit and title == title.lower():
        title = capitalise_words(title)
        notes.append("capitalised")

    unique_featured = tuple(dict.fromkeys(name for name in featured if name))
    # A credited name already in the title ("Work (Lost Kings Remix)") is a remixer, not a guest.
    guests = [name for name in unique_featured if match_key(name) not in match_key(title)]
    if guests:
        title = f"{title} (feat. {' & '.join(guests)})"
    title = normalise_spacing(title) or raw_title.strip()
    changed = title != raw_title or "artist-from-title" in notes or "truncated-in-source" in notes
    return CleanedTitle(title=title, artist=artist, featured_artists=unique_featured,
                        notes=tuple(notes) if changed else ())


def base_title(title: str) -> str:
    """``title`` without a ``(feat. ...)`` part, for duplicate detection."""
    return FEATURING_PATTERN.sub("", title).strip()


def unify_artist_spellings(artists: Sequence[str], preferred: Iterable[str] = ()) -> list[str]:
    """Map spellings that share a ``match_key`` to the ``preferred`` spelling, else to the most
    frequent one (ties: first seen)."""
    counts = Counter(artists)
    first_seen = {artist: index for index, artist in reversed(list(enumerate(artists)))}
    best: dict[str, str] = {match_key(name) or name: name for name in preferred}
    chosen_by_count: dict[str, str] = {}
    for artist in counts:
        key = match_key(artist) or artist
        current = chosen_by_count.get(key)
        if current is None or (counts[artist], -first_seen[artist]) > (counts[current], -first_seen[current]):
            chosen_by_count[key] = artist
    for key, artist in chosen_by_count.items():
        best.setdefault(key, artist)
    return [best[match_key(artist) or artist] for artist in artists]


def find_duplicates(rows: Sequence[CatalogRow]) -> list[tuple[int, ...]]:
    """Groups (sorted musicIds) of rows with the same folded base title and artist."""
    groups: dict[tuple[str, str], list[int]] = {}
    for row in rows:
        key = (match_key(base_title(row.title)), match_key(row.artist) or row.artist)
        groups.setdefault(key, []).append(row.music_id)
    return sorted(tuple(sorted(ids)) for ids in groups.values() if len(ids) > 1)


def apply_overrides(rows: Sequence[CatalogRow],
                    overrides: Iterable[CatalogOverride]) -> tuple[list[CatalogRow], int]:
    """Replace raw ``title``/``artist`` values by per-song corrections; unknown ids or fields raise.

    Spelling preferences (overrides without a musicId) are left for ``unify_artist_spellings``.
    """
    by_id = {row.music_id: index for index, row in enumerate(rows)}
    updated = list(rows)
    applied = 0
    for override in overrides:
        if override.field not in ("title", "artist"):
            raise ValueError(f"override for musicId {override.music_id}: field must be title or artist, "
                             f"not {override.field!r}")
        if override.music_id is None:
            if override.field != "artist":
                raise ValueError("an override without a musicId must be an artist spelling")
            continue
        if override.music_id not in by_id:
            raise ValueError(f"override for musicId {override.music_id}: no such song")
        index = by_id[override.music_id]
        updated[index] = replace(updated[index], **{override.field: override.value})
        applied += 1
    return updated, applied


def clean_catalog(raw_rows: Sequence[CatalogRow],
                  overrides: Iterable[CatalogOverride] = ()) -> tuple[list[CatalogRow], CleaningReport]:
    """Clean raw PMEmo rows: overrides, artist and title rules, spelling unification, duplicate flags."""
    overrides = list(overrides)
    corrected, applied = apply_overrides(raw_rows, overrides)
    overridden = {override.music_id for override in overrides if override.music_id is not None}
    preferred_spellings = [override.value for override in overrides if override.music_id is None]
    stage: list[CatalogRow] = []
    for raw, row in zip(raw_rows, corrected, strict=True):
        artist = clean_artist(row.artist)
        title = clean_title(row.title, artist.name)
        notes = [*artist.notes, *title.notes]
        if raw.music_id in overridden:
            notes.insert(0, "hand-corrected")
        stage.append(replace(
            row, title=title.title, artist=title.artist, featured_artists=title.featured_artists,
            artist_native=artist.native, title_original=raw.title, artist_original=raw.artist,
            cleaning_notes=tuple(notes),
        ))

    unified = unify_artist_spellings([row.artist for row in stage], preferred_spellings)
    cleaned: list[CatalogRow] = []
    for row, artist in zip(stage, unified, strict=True):
        notes = row.cleaning_notes + (("artist-spelling-unified",) if artist != row.artist else ())
        cleaned.append(replace(row, artist=artist, cleaning_notes=notes))

    duplicate_groups = find_duplicates(cleaned)
    canonical_of = {music_id: group[0] for group in duplicate_groups for music_id in group[1:]}
    final: list[CatalogRow] = []
    for row in cleaned:
        canonical = canonical_of.get(row.music_id)
        notes = row.cleaning_notes + (("duplicate",) if canonical is not None else ())
        final.append(replace(
            row, duplicate_of=canonical, cleaning_notes=notes,
            title_original=row.title_original if row.title_original != row.title else "",
            artist_original=row.artist_original if row.artist_original != row.artist else "",
        ))

    note_counts = Counter(note for row in final for note in row.cleaning_notes)
    report = CleaningReport(
        songs=len(final),
        artists_changed=tuple(row.music_id for row in final if row.artist_original),
        titles_changed=tuple(row.music_id for row in final if row.title_original),
        note_counts=dict(sorted(note_counts.items())),
        duplicate_groups=tuple(duplicate_groups),
        overrides_applied=applied,
    )
    return final, report
