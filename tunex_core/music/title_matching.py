"""Normalise song titles and artist names and score how well two songs match.

Used to pick the Spotify track that is the same recording as a catalog song.
Catalog titles and streaming titles differ in decoration: "feat." credits,
"(Remastered 2011)", "- Live at Wembley", "(The Voice Performance)", accents,
punctuation and case. Normalisation strips that decoration; scoring then
compares what is left with ``difflib.SequenceMatcher`` and penalises versions
(live, remix, karaoke...) that the catalog title does not ask for.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import lru_cache

# Words that mark a bracketed part or a " - " suffix as decoration rather than title.
DECORATION_WORDS = frozenset({
    "feat", "ft", "featuring", "with", "remix", "mix", "remaster", "remastered", "live",
    "version", "edit", "performance", "mono", "stereo", "acoustic", "radio", "single",
    "album", "explicit", "clean", "bonus", "demo", "deluxe", "from", "soundtrack",
    "instrumental", "karaoke", "cover", "original", "extended", "anniversary", "session",
    "sessions", "recorded", "recording", "unplugged", "edition",
})
FEATURING_WORDS = frozenset({"feat", "ft", "featuring", "with"})
# Decoration that names a different recording: penalised when only one of the two titles has it.
OTHER_VERSION_WORDS = frozenset({
    "live", "remix", "karaoke", "instrumental", "cover", "acoustic", "demo", "tribute",
    "unplugged", "rehearsal", "sped", "slowed", "reverb", "8d", "lullaby",
})
OTHER_VERSION_PENALTY = 0.15

TITLE_WEIGHT = 0.6
ARTIST_WEIGHT = 0.4
MINIMUM_TITLE_SIMILARITY = 0.85
MINIMUM_ARTIST_SIMILARITY = 0.7
MATCH_THRESHOLD = 0.8
MEMO_SIZE = 1 << 17
"""Results remembered per function (in this process only; pure functions of their strings): the catalog
build compares each of 16,000 labelled songs with dozens of candidate tracks and folded the same track
titles and credits 1.8 million times."""

_BRACKETED = re.compile(r"[(\[{]([^)\]}]*)[)\]}]")
_FEATURING = re.compile(r"\s+(?:feat\.?|ft\.?|featuring)\s.*$", re.IGNORECASE)
_DASH_SUFFIX = re.compile(r"\s+[-–—]\s+")
_APOSTROPHES = re.compile(r"['’`´]")
_NON_WORD = re.compile(r"[^0-9a-z]+")
# Whole words only: "feat" must not split "featuring" (or "Feather") in two.
_ARTIST_SEPARATORS = re.compile(
    r"\s*(?:,|;|/|&|\+|\bx\b|\band\b|\bfeaturing\b|\bfeat\b\.?|\bft\b\.?|\bwith\b|\bvs\b\.?)\s*"
)
_YEAR_ONLY = re.compile(r"^\d{4}$")


@lru_cache(maxsize=MEMO_SIZE)
def fold(text: str) -> str:
    """Lower-case, strip accents and apostrophes, turn other punctuation into spaces."""
    decomposed = unicodedata.normalize("NFKD", text)
    without_accents = "".join(char for char in decomposed if not unicodedata.combining(char))
    lowered = _APOSTROPHES.sub("", without_accents.lower()).replace("&", " and ")
    return " ".join(_NON_WORD.sub(" ", lowered).split())


def _is_decoration(text: str) -> bool:
    words = fold(text).split()
    return bool(words) and (any(word in DECORATION_WORDS for word in words)
                            or all(_YEAR_ONLY.match(word) for word in words))


def strip_decoration(title: str) -> str:
    """Remove featuring credits, decorative brackets and " - Live/Remaster" suffixes.

    The result keeps the original spelling (useful in a search query); bracketed
    parts that are not decoration, such as "(I Can't Get No)", are kept.
    """
    without_brackets = _BRACKETED.sub(
        lambda match: " " if _is_decoration(match.group(1)) else match.group(0), title
    )
    parts = _DASH_SUFFIX.split(without_brackets)
    kept = [parts[0]] + [part for part in parts[1:] if not _is_decoration(part)]
    without_suffixes = " - ".join(kept)
    without_featuring = _FEATURING.sub("", without_suffixes)
    cleaned = " ".join(without_featuring.split())
    return cleaned or " ".join(title.split())


def _is_featuring(text: str) -> bool:
    words = fold(text).split()
    return bool(words) and words[0] in FEATURING_WORDS


def title_credits(title: str) -> tuple[str, ...]:
    """The artist credits a title carries: "Running Back (feat. Lil Wayne)" → ``("Lil Wayne",)``; also
    "[ft. X]", "(with X)" and a trailing "feat. X". Each credit is one string ("Sean Paul & Anne-Marie")."""
    credits = []
    for match in _BRACKETED.finditer(title):
        words = match.group(1).split(maxsplit=1)
        if len(words) == 2 and _is_featuring(words[0]):
            credits.append(words[1].strip())
    trailing = _FEATURING.search(_BRACKETED.sub(" ", title))
    if trailing:
        credits.append(trailing.group(0).split(maxsplit=1)[1].strip())
    return tuple(credit for credit in credits if credit)


def song_key(title: str, artist: str) -> str:
    """A key equal for the same song listed twice: folded title without featuring credits, and the
    first credited artist. Version words stay ("Memories" and "Memories - Remix" differ)."""
    without_brackets = _BRACKETED.sub(lambda match: " " if _is_featuring(match.group(1)) else match.group(0),
                                      title)
    names = artist_names(artist)
    return fold(_FEATURING.sub("", without_brackets)) + "\0" + (names[0] if names else fold(artist))


@lru_cache(maxsize=MEMO_SIZE)
def normalise_title(title: str) -> str:
    """The comparable form of a title: decoration stripped, folded to plain words."""
    return fold(strip_decoration(title))


@lru_cache(maxsize=MEMO_SIZE)
def artist_names(artist: str) -> tuple[str, ...]:
    """The individual artists in a credit such as "Beyoncé feat. JAY-Z", folded.

    A leading "the" is dropped ("The Beatles" and "Beatles" are the same band).
    """
    decomposed = unicodedata.normalize("NFKD", artist)
    plain = "".join(char for char in decomposed if not unicodedata.combining(char)).lower()
    names = []
    for part in _ARTIST_SEPARATORS.split(plain):
        folded = fold(part)
        if folded.startswith("the "):
            folded = folded[4:]
        if folded:
            names.append(folded)
    return tuple(names)


def primary_artist(artist: str) -> str:
    """The first credited artist in its original spelling (for a search query)."""
    first = _ARTIST_SEPARATORS.split(artist.strip(), maxsplit=1)[0].strip()
    return first or artist.strip()


@lru_cache(maxsize=MEMO_SIZE)
def similarity(first: str, second: str) -> float:
    """Similarity of two folded strings in 0..1 (1 when equal)."""
    if first == second:
        return 1.0
    if not first or not second:
        return 0.0
    return SequenceMatcher(None, first, second).ratio()


def title_similarity(catalog_title: str, candidate_title: str) -> float:
    """How alike two titles are once decoration is stripped."""
    return similarity(normalise_title(catalog_title), normalise_title(candidate_title))


def artist_similarity(catalog_artist: str, candidate_artists: Sequence[str]) -> float:
    """How well the catalog credit matches a track's artist list.

    The catalog's first artist is compared with every track artist, and the
    whole credits are compared as sorted word lists; the best of these counts.
    """
    catalog_names = artist_names(catalog_artist)
    candidate_names = [name for artist in candidate_artists for name in artist_names(artist)]
    if not catalog_names or not candidate_names:
        return 0.0
    best_single = max(similarity(catalog_names[0], name) for name in candidate_names)
    whole = similarity(" ".join(sorted(catalog_names)), " ".join(sorted(candidate_names)))
    return max(best_single, whole)


def other_version_words(catalog_title: str, candidate_title: str) -> frozenset[str]:
    """Version words (live, remix, karaoke...) in one title but not the other.

    A live take is penalised for a studio catalog song, and the studio track is
    penalised when the catalog asks for "(NuKid Remix)".
    """
    catalog_words = set(fold(catalog_title).split()) & OTHER_VERSION_WORDS
    candidate_words = set(fold(candidate_title).split()) & OTHER_VERSION_WORDS
    return frozenset(catalog_words ^ candidate_words)


@dataclass(frozen=True)
class MatchScore:
    """How well a candidate track matches a catalog song, with the parts of the score."""

    title: float
    artist: float
    penalty: float

    @property
    def total(self) -> float:
        """Weighted title and artist similarity minus the other-version penalty."""
        return TITLE_WEIGHT * self.title + ARTIST_WEIGHT * self.artist - self.penalty

    @property
    def accepted(self) -> bool:
        """Whether the candidate is close enough to count as the same recording."""
        return (self.title >= MINIMUM_TITLE_SIMILARITY
                and self.artist >= MINIMUM_ARTIST_SIMILARITY
                and self.total >= MATCH_THRESHOLD)

    @property
    def exact(self) -> bool:
        """Same title and artist with no other-version decoration: no better candidate exists."""
        return self.title == 1.0 and self.artist == 1.0 and self.penalty == 0.0


def match_score(catalog_title: str, catalog_artist: str,
                candidate_title: str, candidate_artists: Sequence[str]) -> MatchScore:
    """Score a candidate track (title, artist list) against a catalog song."""
    penalty = OTHER_VERSION_PENALTY if other_version_words(catalog_title, candidate_title) else 0.0
    return MatchScore(title=title_similarity(catalog_title, candidate_title),
                      artist=artist_similarity(catalog_artist, candidate_artists),
                      penalty=penalty)
