"""Estimate each catalog song's language from its text (title, album, artist), offline, at build time.

The shipped catalog stores the result (column ``language``: an ISO 639-1 code, or ``unknown``);
the app never runs the detector. Evidence, in order:

1. **Script.** When the title has letters of a script that one language owns (Hangul →
   ko, kana → ja, Thai → th, Greek → el, Hebrew → he, Tamil → ta, ...), that language; Han
   characters without kana → zh. Cyrillic, Arabic and Devanagari are shared by several
   languages: the detector chooses among those (``SCRIPT_DETECTORS``) or the song is ``unknown``.
2. **The song's own Latin text** (title without decoration such as "(feat. X)" or
   "- Remastered", plus the album name where TidyTuesday gives one), through Lingua
   (lingua-language-detector: its models ship inside the pip package, nothing is downloaded),
   restricted to ``LATIN_LANGUAGES``: taken when its confidence is at least ``SONG_CONFIDENCE``.
3. **The artist's text**: all the titles and albums of the song's first artist in the catalog,
   together (a title alone is often one word; an artist's twenty titles are a paragraph): taken
   when the detector's confidence is at least ``ARTIST_CONFIDENCE`` and the text has at least
   ``ARTIST_MIN_LETTERS`` letters.
4. Otherwise ``unknown``: a guess is never shown as a fact.

The thresholds were set before the hand-labelled sample (``data/language_sample.csv``) was
scored, and not changed after.
"""

from __future__ import annotations

import unicodedata
from collections import Counter, defaultdict
from collections.abc import Sequence
from functools import cache

from tunex_core.music.title_matching import artist_names, strip_decoration

UNKNOWN = "unknown"
LATIN_LANGUAGES: tuple[str, ...] = (
    "ENGLISH", "SPANISH", "PORTUGUESE", "FRENCH", "GERMAN", "ITALIAN", "DUTCH", "SWEDISH", "DANISH", "BOKMAL",
    "FINNISH", "POLISH", "TURKISH", "INDONESIAN", "TAGALOG", "ROMANIAN", "CATALAN",
)
"""Lingua names of the Latin-script languages a song may be given (more languages: more confusions on
one-word titles)."""
SCRIPT_LANGUAGES: dict[str, str] = {
    "HANGUL": "ko", "HIRAGANA": "ja", "KATAKANA": "ja", "THAI": "th", "GREEK": "el", "HEBREW": "he",
    "TAMIL": "ta", "TELUGU": "te", "KANNADA": "kn", "MALAYALAM": "ml", "BENGALI": "bn", "GUJARATI": "gu",
    "GURMUKHI": "pa", "GEORGIAN": "ka", "ARMENIAN": "hy", "LAO": "lo", "KHMER": "km", "MYANMAR": "my",
    "SINHALA": "si", "ETHIOPIC": "am",
}
"""Scripts (the first word of a letter's Unicode name) that one language owns."""
SCRIPT_DETECTORS: dict[str, tuple[str, ...]] = {
    "CYRILLIC": ("RUSSIAN", "UKRAINIAN", "BULGARIAN", "SERBIAN", "MACEDONIAN", "BELARUSIAN", "KAZAKH"),
    "ARABIC": ("ARABIC", "PERSIAN", "URDU"),
    "DEVANAGARI": ("HINDI", "MARATHI"),
}
"""Scripts several languages share: the detector chooses among them."""
SONG_CONFIDENCE = 0.6
ARTIST_CONFIDENCE = 0.5
SCRIPT_CONFIDENCE = 0.5
ARTIST_MIN_LETTERS = 25


def script_counts(text: str) -> Counter:
    """Letters of ``text`` per script (``LATIN``, ``CJK``, ``HANGUL``, ...)."""
    counts: Counter = Counter()
    for char in text:
        if char.isalpha():
            try:
                counts[unicodedata.name(char).split()[0]] += 1
            except ValueError:
                continue
    return counts


@cache
def _detector(names: tuple[str, ...]):
    from lingua import Language, LanguageDetectorBuilder

    return LanguageDetectorBuilder.from_languages(*(getattr(Language, name) for name in names)).build()


def _top(values) -> tuple[str, float]:
    if not values:
        return UNKNOWN, 0.0
    top = values[0]
    return top.language.iso_code_639_1.name.lower(), float(top.value)


def _best(text: str, names: tuple[str, ...]) -> tuple[str, float]:
    return _top(_detector(names).compute_language_confidence_values(text))


def _best_of_each(texts: Sequence[str], names: tuple[str, ...]) -> dict[str, tuple[str, float]]:
    """``_best`` of every distinct text, in one call that Lingua may spread over the CPU's cores: the same
    values as one call per text (the same model, text by text; the shipped catalog's languages are
    unchanged). On the team's loaded 2-core machine it was no faster than one call per text."""
    distinct = sorted(set(texts))
    values = _detector(names).compute_language_confidence_values_in_parallel(distinct)
    return {text: _top(text_values) for text, text_values in zip(distinct, values, strict=True)}


def script_language(title: str) -> str | None:
    """The language the title's script gives (``unknown`` when the script is shared and the detector is unsure),
    or None for a title whose letters are all Latin (or that has none).

    Any letter of another script counts ("불타오르네 FIRE" is Korean, "Benz Truck (гелик)" is not English):
    a title in a non-Latin script never gets a Latin-script language from the text detector.
    """
    counts = script_counts(title)
    if not any(name != "LATIN" for name in counts):
        return None
    if counts["HIRAGANA"] or counts["KATAKANA"]:
        return "ja"
    script, _ = max(((name, count) for name, count in counts.items() if name != "LATIN"),
                    key=lambda item: (item[1], item[0]))
    if script in SCRIPT_LANGUAGES:
        return SCRIPT_LANGUAGES[script]
    if script == "CJK":
        return "zh"
    if script in SCRIPT_DETECTORS:
        language, confidence = _best(title, SCRIPT_DETECTORS[script])
        return language if confidence >= SCRIPT_CONFIDENCE else UNKNOWN
    return UNKNOWN


def song_text(title: str, album: str = "") -> str:
    """The text a song's language is read from: the title without decoration, and the album when it differs."""
    text = strip_decoration(title)
    album = strip_decoration(album) if album else ""
    return f"{text}. {album}" if album and album.casefold() != text.casefold() else text


def estimate_languages(titles: Sequence[str], artists: Sequence[str], albums: Sequence[str]) -> list[str]:
    """One language code (or ``unknown``) per song (see the module docstring)."""
    texts = [song_text(title, album) for title, album in zip(titles, albums, strict=True)]
    first_artists = [(artist_names(artist) or (artist.casefold(),))[0] for artist in artists]
    by_artist: dict[str, list[str]] = defaultdict(list)
    scripts = [script_language(strip_decoration(title)) for title in titles]
    for text, artist, by_script in zip(texts, first_artists, scripts, strict=True):
        if by_script is None:
            by_artist[artist].append(text)
    joined_texts = {artist: ". ".join(sorted(set(artist_texts))) for artist, artist_texts in by_artist.items()}
    joined_texts = {artist: joined for artist, joined in joined_texts.items()
                    if sum(char.isalpha() for char in joined) >= ARTIST_MIN_LETTERS}
    song_texts = [text for text, by_script in zip(texts, scripts, strict=True)
                  if by_script is None and any(char.isalpha() for char in text)]
    detected = _best_of_each([*joined_texts.values(), *song_texts], LATIN_LANGUAGES)
    artist_language: dict[str, str] = {}
    for artist, joined in joined_texts.items():
        language, confidence = detected[joined]
        if confidence >= ARTIST_CONFIDENCE:
            artist_language[artist] = language
    languages = []
    for text, artist, by_script in zip(texts, first_artists, scripts, strict=True):
        if by_script is not None:
            languages.append(by_script)
            continue
        if not any(char.isalpha() for char in text):
            languages.append(artist_language.get(artist, UNKNOWN))
            continue
        language, confidence = detected[text]
        if confidence >= SONG_CONFIDENCE:
            languages.append(language)
        else:
            languages.append(artist_language.get(artist, UNKNOWN))
    return languages
