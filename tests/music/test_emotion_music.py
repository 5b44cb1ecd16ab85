"""Tests for ``tunex_core.music.emotion_music``: shipped defaults, user overrides and bad files."""

from __future__ import annotations

import pytest

from tunex_core.emotions import EMOTION_NAMES
from tunex_core.music.emotion_music import EmotionMusic, EmotionMusicError, load_emotion_music
from tunex_core.music.recommend import load_emotion_music as load_from_recommend


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("TUNEX_HOME", str(tmp_path))
    return tmp_path


def test_defaults_cover_every_emotion(home):
    mapping = load_emotion_music()
    assert list(mapping) == list(EMOTION_NAMES)
    assert all(isinstance(music, EmotionMusic) and music.genres and music.keywords
               for music in mapping.values())
    assert "pop" in mapping["happy"].genres and "dance" in mapping["happy"].genres
    assert "acoustic" in mapping["sad"].genres and "piano" in mapping["sad"].genres
    assert load_from_recommend is load_emotion_music


def test_a_user_file_replaces_only_what_it_lists(home):
    (home / "emotion_music.toml").write_text('[Happy]\ngenres = ["k-pop", "  j-pop "]\n', encoding="utf-8")
    defaults_keywords = load_emotion_music(path=None)["happy"].keywords
    mapping = load_emotion_music()
    assert mapping["happy"].genres == ("k-pop", "j-pop")
    assert mapping["happy"].keywords == defaults_keywords
    assert "acoustic" in mapping["sad"].genres


def test_an_explicit_path_wins_over_the_user_file(home, tmp_path_factory):
    (home / "emotion_music.toml").write_text('[sad]\ngenres = ["blues"]\n', encoding="utf-8")
    explicit = tmp_path_factory.mktemp("elsewhere") / "mine.toml"
    explicit.write_text('[sad]\nkeywords = ["rain"]\n', encoding="utf-8")
    mapping = load_emotion_music(explicit)
    assert mapping["sad"].keywords == ("rain",)
    assert "acoustic" in mapping["sad"].genres


@pytest.mark.parametrize(("text", "fragment"), [
    ("[happy\ngenres = []", "invalid TOML"),
    ('[joy]\ngenres = ["pop"]\n', "unknown emotion [joy]"),
    ('[happy]\ngenres = "pop"\n', "list of non-empty strings"),
    ('[happy]\ngenres = ["pop", 3]\n', "list of non-empty strings"),
    ('[happy]\nmoods = ["pop"]\n', "unknown key 'moods'"),
    ('happy = "pop"\n', "must be a table"),
])
def test_bad_files_raise_an_error_naming_the_file(home, text, fragment):
    path = home / "emotion_music.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(EmotionMusicError) as caught:
        load_emotion_music()
    assert str(path) in str(caught.value) and fragment in str(caught.value)


def test_a_missing_explicit_file_is_an_error(home):
    with pytest.raises(EmotionMusicError, match="not found"):
        load_emotion_music(home / "nope.toml")
