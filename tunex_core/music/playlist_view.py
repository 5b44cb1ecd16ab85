"""What the Playlist page shows for each recommended song; no Streamlit here.

For every ``Recommendation`` the page gets a ``PlaylistEntry``: the Spotify
track (when resolved, else an "Open in Spotify" search link), the local chorus
clip when one ships for the song, and a plain-text "why this song" built from
the song's valence-arousal point and its distance to the mood or iso step.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from tunex_core.emotions import EMOTION_BY_NAME
from tunex_core.music.catalog import CatalogError, ChorusClip, load_chorus_clips
from tunex_core.music.recommend import Playlist, Recommendation
from tunex_core.music.spotify import Resolution, SpotifyService, SpotifyStatus, search_url

STATUS_LABELS: dict[SpotifyStatus, str] = {
    SpotifyStatus.CONNECTED: "🟢 Spotify connected",
    SpotifyStatus.OFFLINE: "🟠 Spotify offline",
    SpotifyStatus.RATE_LIMITED: "🟡 Spotify rate-limited",
    SpotifyStatus.NOT_CONFIGURED: "⚪ Spotify not configured",
    SpotifyStatus.BAD_CREDENTIALS: "🔴 Spotify credentials rejected",
}


@dataclass(frozen=True)
class PlaylistEntry:
    """One song of the playlist with everything needed to play it and explain it."""

    recommendation: Recommendation
    resolution: Resolution
    clip_path: Path | None

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
        """The Spotify player URL when the song was found on Spotify."""
        return self.resolution.track.embed_url if self.resolution.track is not None else None

    @property
    def listen_url(self) -> str:
        """The track's Spotify page when found, else a Spotify search for "title artist"."""
        if self.resolution.track is not None:
            return self.resolution.track.open_url
        return search_url(self.title, self.artist)


def explain(recommendation: Recommendation, mode: str) -> str:
    """Plain-text "why this song": the song's point, the point it was aimed at and the distance."""
    song = recommendation.song
    region = EMOTION_BY_NAME.get(song.region)
    region_text = f" (in the {region.display_name.lower()} region)" if region else ""
    aimed_at = "your mood point" if mode == "match" else f"step {recommendation.position}'s target"
    return (f"The song sits at valence {song.valence:.2f}, arousal {song.arousal:.2f}{region_text}. "
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


def playlist_entries(playlist: Playlist, service: SpotifyService,
                     clips: Mapping[int, Path]) -> list[PlaylistEntry]:
    """Resolve every playlist song on Spotify (database cache first) and attach local clips."""
    resolutions = service.resolve_many([item.song for item in playlist.items])
    return [PlaylistEntry(recommendation=item, resolution=resolution,
                          clip_path=clips.get(item.song.music_id) or clips.get(item.song.canonical_id))
            for item, resolution in zip(playlist.items, resolutions, strict=True)]
