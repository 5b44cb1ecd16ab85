"""Spotify track ids and the URLs built from them (no network, no Spotify client).

An id is exactly 22 base-62 characters. Nothing else is ever put into a Spotify URL:
``embed_url`` and ``open_url`` raise ``ValueError`` for anything that is not an id.
"""

from __future__ import annotations

import re

EMBED_URL_PREFIX = "https://open.spotify.com/embed/track/"
OPEN_URL_PREFIX = "https://open.spotify.com/track/"
TRACK_ID_PATTERN = re.compile(r"[0-9A-Za-z]{22}")


def is_valid_track_id(track_id: object) -> bool:
    """Whether ``track_id`` is a Spotify track ID: exactly 22 base-62 characters."""
    return isinstance(track_id, str) and TRACK_ID_PATTERN.fullmatch(track_id) is not None


def validated_track_id(track_id: object) -> str:
    """Return ``track_id`` if it is a valid Spotify track ID, else raise ``ValueError``."""
    if not is_valid_track_id(track_id):
        raise ValueError("not a Spotify track ID (expected 22 base-62 characters)")
    return str(track_id)


def embed_url(track_id: str) -> str:
    """The embeddable player URL of a track (plays with no account or token)."""
    return EMBED_URL_PREFIX + validated_track_id(track_id)


def open_url(track_id: str) -> str:
    """The track's page on open.spotify.com."""
    return OPEN_URL_PREFIX + validated_track_id(track_id)
