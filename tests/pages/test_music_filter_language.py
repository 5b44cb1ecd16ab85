"""The language filter's first choice follows the browser's language when Streamlit reports one."""

from __future__ import annotations

from types import SimpleNamespace

import pages.music_filters as music_filters
from tunex_core.music.catalog import Catalog


def small_catalog() -> Catalog:
    return Catalog([1, 2, 3], ["Hola", "Hello", "x"], ["A", "B", "C"], [0.1, 0.2, 0.3], [0.5, 0.5, 0.5],
                   languages=["es", "en", "unknown"])


def test_the_browser_language_is_the_first_choice_when_the_catalog_has_it(monkeypatch):
    catalog = small_catalog()
    for locale, expected in (("es-ES", "es"), ("en_GB", "en"), ("en", "en"), ("de-DE", None), (None, None),
                             ("", None)):
        monkeypatch.setattr(music_filters, "st", SimpleNamespace(context=SimpleNamespace(locale=locale)))
        assert music_filters.browser_language(catalog) == expected, locale


def test_an_older_streamlit_without_a_locale_means_any_language(monkeypatch):
    monkeypatch.setattr(music_filters, "st", SimpleNamespace(context=SimpleNamespace()))
    assert music_filters.browser_language(small_catalog()) is None


def test_labels_and_descriptions():
    assert music_filters.language_label("en") == "English (en)"
    assert music_filters.language_label("unknown") == "language unknown"
    assert music_filters.language_label("xx") == "xx"
    song_filter = music_filters.CatalogFilter(languages=frozenset({"es", "en"}))
    assert music_filters.describe_filter(song_filter) == "English, Spanish"
