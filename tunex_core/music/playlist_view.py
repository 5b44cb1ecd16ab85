"""What the Playlist page shows for each recommended song; no Streamlit here.

For every ``Recommendation`` the page gets a ``PlaylistEntry``: the song's Spotify
track id (from the catalog, which has one for ~99.7 % of its songs, else found by a
Spotify search when credentials are configured), so it plays as an embedded Spotify
player with no account; an "Open in Spotify" link (the track, or a search when there
is no id); the local chorus clip when one ships for the song; and a plain-text "why
this song" built from the song's valence-arousal point and its distance to the mood or
iso step. ``playback_status`` is the page's one-line account of which mode is active.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from tunex_core.emotions import EMOTION_BY_NAME
from tunex_core.music.catalog import CatalogError, ChorusClip
from tunex_core.music.catalog_io import load_chorus_clips
from tunex_core.music.recommend import Playlist, Recommendation
from tunex_core.music.spotify import (
    CREDENTIALS_HELP,
    NOT_CONFIGURED_MESSAGE,
    Resolution,
    SpotifyService,
    SpotifyStatus,
    search_url,
)
from tunex_core.music.track_ids import embed_url, is_valid_track_id, open_url

SEARCH_MODE_LABELS: dict[SpotifyStatus, str] = {
    SpotifyStatus.CONNECTED: "Spotify search connected: songs without an id are looked up",
    SpotifyStatus.OFFLINE: "Spotify search offline: songs without an id get a search link",
    SpotifyStatus.RATE_LIMITED: "Spotify search rate-limited: songs without an id get a search link",
    SpotifyStatus.NOT_CONFIGURED: "Spotify search off (optional): songs without an id get a search link",
    SpotifyStatus.BAD_CREDENTIALS: "Spotify credentials rejected: songs without an id get a search link",
}


@dataclass(frozen=True)
class PlaylistEntry:
    """One song of the playlist with everything needed to play it and explain it.

    ``resolution`` is the Spotify search outcome for a song the catalog has no id for; it is
    None when the catalog's own id is used (no network, no account).
    """

    recommendation: Recommendation
    resolution: Resolution | None
    clip_path: Path | None
    local_path: Path | None = None
    """The listener's own file for one of their songs (it plays from disk; no Spotify)."""

    @property
    def music_id(self) -> int:
        """The catalog song's id."""
        return self.recommendation.song.music_id

    @property
    def spotify_id(self) -> str | None:
        """The validated Spotify track id: the catalog's, else the one a search found, else None."""
        catalog_id = self.recommendation.song.spotify_id
        if is_valid_track_id(catalog_id):
            return catalog_id
        if self.resolution is not None and self.resolution.track is not None:
            return self.resolution.track.id
        return None

    @property
    def from_catalog(self) -> bool:
        """Whether the id came from the catalog (rather than a Spotify search)."""
        return is_valid_track_id(self.recommendation.song.spotify_id)

    @property
    def title(self) -> str:
        """The song title (untrusted text: escape before putting it in markup)."""
        return self.recommendation.song.title

    @property
    def artist(self) -> str:
        """The artist credit (untrusted text: escape before putting it in markup)."""
        return self.recommendation.song.artist

    @property
    def embed_url(self) -> str | None:
        """The Spotify player URL (plays without an account) when the song has an id."""
        spotify_id = self.spotify_id
        return embed_url(spotify_id) if spotify_id is not None else None

    @property
    def listen_url(self) -> str:
        """The track's Spotify page when the song has an id, else a Spotify search for "title artist"."""
        spotify_id = self.spotify_id
        return open_url(spotify_id) if spotify_id is not None else search_url(self.title, self.artist)


POINT_ORIGINS = {
    "rated": "Its point is the mean rating of the PMEmo study's listeners.",
    "estimated": "Its point is an estimate, not a rating: placed from its Spotify audio features, genre, decade, "
                 "title and artist by a model fitted on songs that listeners rated or tagged.",
    "own file": "Its point is an estimate from your file's sound, by TuneX's song model.",
}
"""Where a song's valence-arousal point comes from, by the song's ``va_source`` (or "own file")."""


def explain(recommendation: Recommendation, mode: str, own_file: bool = False) -> str:
    """Plain-text "why this song": the song's point and where it comes from, the point it was aimed at and the
    distance. ``own_file``: the song is the listener's own (placed from its audio, not from Spotify's features)."""
    song = recommendation.song
    region = EMOTION_BY_NAME.get(song.region)
    region_text = f" (in the {region.display_name.lower()} region)" if region else ""
    aimed_at = "your mood point" if mode == "match" else f"step {recommendation.position}'s target"
    origin = POINT_ORIGINS["own file" if own_file else song.va_source]
    return (f"The song sits at valence {song.valence:.2f}, arousal {song.arousal:.2f}{region_text}. {origin} "
            f"It is {recommendation.distance:.2f} from {aimed_at} "
            f"(valence {recommendation.target_valence:.2f}, arousal {recommendation.target_arousal:.2f}). "
            f"Chosen because: {recommendation.reason}.")


def clip_paths(clips: Sequence[ChorusClip]) -> dict[int, Path]:
    """Map music id to the local chorus clip file."""
    return {clip.music_id: clip.audio_path for clip in clips if clip.audio_path.is_file()}


def shipped_clip_paths() -> dict[int, Path]:
    """The shipped chorus clips by music id; empty when the clips folder is unusable."""
    try:
        return clip_paths(load_chorus_clips())
    except (CatalogError, OSError):
        return {}


def playlist_entries(playlist: Playlist, service: SpotifyService, clips: Mapping[int, Path],
                     local_files: Mapping[int, Path] | None = None) -> list[PlaylistEntry]:
    """Use each song's catalog Spotify id; resolve only songs without one through ``service`` (its
    database cache first; a search only with credentials); attach local clips. Songs in ``local_files``
    (the listener's own, by music id) play from their file and are never looked up on Spotify."""
    local_files = local_files or {}

    def needs_search(song) -> bool:
        return not is_valid_track_id(song.spotify_id) and song.music_id not in local_files

    missing = [item.song for item in playlist.items if needs_search(item.song)]
    resolved = iter(service.resolve_many(missing)) if missing else iter(())
    entries = []
    for item in playlist.items:
        resolution = next(resolved) if needs_search(item.song) else None
        entries.append(PlaylistEntry(recommendation=item, resolution=resolution,
                                     clip_path=clips.get(item.song.music_id) or clips.get(item.song.canonical_id),
                                     local_path=local_files.get(item.song.music_id)))
    return entries


@dataclass(frozen=True)
class PlaybackStatus:
    """The page's status line: which mode is active, how many songs play, and how serious it is."""

    text: str
    level: str
    """``ok`` (players work), ``info`` (players work; search is off) or ``warning`` (search failing)."""
    playable: int
    songs: int


def playback_status(service: SpotifyService, entries: Sequence[PlaylistEntry]) -> PlaybackStatus:
    """One line: players need no account, N of M songs play here, and the state of the optional search."""
    state = service.state
    playable = sum(entry.spotify_id is not None or entry.local_path is not None for entry in entries)
    local = sum(entry.local_path is not None for entry in entries)
    if entries and local == len(entries):
        return PlaybackStatus(f"🟢 Your own songs, played from this computer with no network — {local} of {local} "
                              "play here.", "ok", playable, len(entries))
    mode = ("Spotify players + search" if state.status is SpotifyStatus.CONNECTED
            else "Spotify players, no account needed")
    own = f" ({local} of them yours, from this computer)" if local else ""
    text = (f"🟢 {mode} — {playable} of {len(entries)} songs play here{own}. "
            f"{SEARCH_MODE_LABELS[state.status]}.")
    if state.status is SpotifyStatus.CONNECTED:
        return PlaybackStatus(text, "ok", playable, len(entries))
    if state.status is SpotifyStatus.NOT_CONFIGURED:
        detail = "" if playable == len(entries) else f" To look them up: {CREDENTIALS_HELP}"
        if state.message != NOT_CONFIGURED_MESSAGE:
            detail = f" {state.message}"  # the settings exist but are unusable
        return PlaybackStatus(text + detail, "info", playable, len(entries))
    return PlaybackStatus(f"{text} {state.message}", "warning", playable, len(entries))
