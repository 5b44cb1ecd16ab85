"""The user-editable mapping from emotion to music genres and search keywords.

Defaults ship in ``data/emotion_music.toml``. A user's ``emotion_music.toml`` in
the TuneX user folder (``~/.tunex``, moved by ``TUNEX_HOME``) or a file passed
explicitly is laid over them: each emotion and field it lists replaces the
default, everything else keeps the default. A malformed file raises
``EmotionMusicError`` naming the file (and the line, for TOML syntax errors).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from tunex_core.emotions import EMOTION_NAMES
from tunex_core.paths import EMOTION_MUSIC_FILE, user_emotion_music_file

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10 only
    import tomli as tomllib

FIELDS = ("genres", "keywords")


class EmotionMusicError(ValueError):
    """An emotion-to-music TOML file is missing or malformed; the message names the file."""


@dataclass(frozen=True)
class EmotionMusic:
    """What to look for when the listener feels one emotion."""

    genres: tuple[str, ...]
    keywords: tuple[str, ...]


def _read_toml(path: Path) -> dict:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise EmotionMusicError(f"{path}: emotion-music file not found") from None
    except IsADirectoryError:
        raise EmotionMusicError(f"{path}: is a folder, expected a TOML file") from None
    except UnicodeDecodeError:
        raise EmotionMusicError(f"{path}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as error:
        raise EmotionMusicError(f"{path}: invalid TOML ({error})") from None


def _parse(path: Path, document: dict) -> dict[str, dict[str, tuple[str, ...]]]:
    """Validate a TOML document into ``{emotion: {field: values}}`` (only what the file lists)."""
    parsed: dict[str, dict[str, tuple[str, ...]]] = {}
    for name, table in document.items():
        emotion = name.strip().lower()
        if emotion not in EMOTION_NAMES:
            raise EmotionMusicError(f"{path}: unknown emotion [{name}]; "
                                    f"use one of {', '.join(EMOTION_NAMES)}")
        if not isinstance(table, dict):
            raise EmotionMusicError(f"{path}: {name} must be a table like [{emotion}] "
                                    "with genres and keywords lists")
        fields: dict[str, tuple[str, ...]] = {}
        for field, values in table.items():
            if field not in FIELDS:
                raise EmotionMusicError(f"{path}: [{emotion}] has unknown key {field!r}; "
                                        f"use {' and '.join(FIELDS)}")
            if not isinstance(values, list) or not all(isinstance(value, str) and value.strip()
                                                       for value in values):
                raise EmotionMusicError(f"{path}: [{emotion}] {field} must be a list of non-empty strings")
            fields[field] = tuple(dict.fromkeys(value.strip() for value in values))
        parsed[emotion] = fields
    return parsed


def load_emotion_music(path: str | Path | None = None) -> dict[str, EmotionMusic]:
    """Genres and keywords for every emotion: the shipped defaults overlaid with ``path`` when given,
    else with the user's ``emotion_music.toml`` if it exists. Raises ``EmotionMusicError``."""
    defaults = _parse(EMOTION_MUSIC_FILE, _read_toml(EMOTION_MUSIC_FILE))
    missing = [name for name in EMOTION_NAMES
               if name not in defaults or any(field not in defaults[name] for field in FIELDS)]
    if missing:
        raise EmotionMusicError(f"{EMOTION_MUSIC_FILE}: no complete entry for {', '.join(missing)}")
    if path is not None:
        override_path: Path | None = Path(path)
    else:
        user_file = user_emotion_music_file()
        override_path = user_file if user_file.exists() else None
    overrides = _parse(override_path, _read_toml(override_path)) if override_path is not None else {}
    mapping = {}
    for name in EMOTION_NAMES:
        fields = {**defaults[name], **overrides.get(name, {})}
        mapping[name] = EmotionMusic(genres=fields["genres"], keywords=fields["keywords"])
    return mapping
