"""Profiles: isolation of each listener's data, rename, empty, delete, settings and the JSON export."""

from __future__ import annotations

import json

import pytest

from tunex_core.mood import Mood
from tunex_core.music.feedback import LIKE, SKIP, FeedbackStore
from tunex_core.personal.checkins import CheckinStore
from tunex_core.personal.playlists import SavedPlaylistStore, SavedSong
from tunex_core.personal.profiles import EXPORT_FORMAT, ProfileError, ProfileStore, validated_name
from tunex_core.storage import DEFAULT_PROFILE_ID, DEFAULT_PROFILE_NAME, open_database


def fill(profile_id: int, music_id: int, emotion: str) -> None:
    """One like, one play, one mood, one saved playlist and one check-in for ``profile_id``."""
    with FeedbackStore(profile_id=profile_id) as store:
        store.record_feedback(music_id, LIKE, at=1000.0)
        store.record_play(music_id, Mood.from_emotion(emotion), at=1001.0)
        store.record_mood(Mood.from_emotion(emotion), at=1002.0)
    with open_database() as database:
        SavedPlaylistStore(database, profile_id).save(f"{emotion} songs", [SavedSong(music_id, "T", "A")],
                                                      mode="match", mood_label=emotion, at=1003.0)
        CheckinStore(database, profile_id).start(f"session-{profile_id}", Mood.from_emotion(emotion), "neutral",
                                                 (0.469, 0.184), at=1004.0)


def test_the_default_profile_exists_for_people_who_never_choose(home):
    with ProfileStore() as store:
        profiles = store.profiles()
    assert [(profile.id, profile.name, profile.is_default) for profile in profiles] == [
        (DEFAULT_PROFILE_ID, DEFAULT_PROFILE_NAME, True)]


def test_profiles_keep_their_data_apart(home):
    with ProfileStore() as store:
        sam = store.create("Sam")
        alex = store.create("  Alex   Smith ")
    assert alex.name == "Alex Smith"
    fill(DEFAULT_PROFILE_ID, 1, "happy")
    fill(sam.id, 2, "sad")

    with FeedbackStore(profile_id=sam.id) as store:
        assert set(store.adjustments().songs) == {2}
        assert [mood.label for mood in store.recent_moods()] == ["sad"]
        assert [play.music_id for play in store.recent_plays()] == [2]
    with FeedbackStore() as store:
        assert set(store.adjustments().songs) == {1}
    with FeedbackStore(profile_id=alex.id) as store:
        assert not store.adjustments() and store.recent_moods() == () and store.recent_plays() == ()
    with open_database() as database:
        assert [playlist.name for playlist in SavedPlaylistStore(database, sam.id).playlists()] == ["sad songs"]
        assert SavedPlaylistStore(database, alex.id).playlists() == ()
        assert [checkin.session_key for checkin in CheckinStore(database, sam.id).checkins()] == [f"session-{sam.id}"]


def test_names_are_checked(home):
    with ProfileStore() as store:
        store.create("Sam")
        with pytest.raises(ProfileError, match="already a profile"):
            store.create("sam")
        for bad in ("", "   ", "x" * 41, "tab\there\x07"):
            with pytest.raises(ProfileError):
                store.create(bad)
        with pytest.raises(ProfileError, match="already"):
            store.rename(DEFAULT_PROFILE_ID, "SAM")
    assert validated_name("Zoë  Ünal") == "Zoë Ünal"


def test_rename_keeps_the_data(home):
    with ProfileStore() as store:
        sam = store.create("Sam")
    fill(sam.id, 2, "sad")
    with ProfileStore() as store:
        store.rename(sam.id, "Samantha")
        assert store.get(sam.id).name == "Samantha"
        store.rename(DEFAULT_PROFILE_ID, "Family")
        assert store.get(DEFAULT_PROFILE_ID).name == "Family"
    with FeedbackStore(profile_id=sam.id) as store:
        assert set(store.adjustments().songs) == {2}


def test_delete_removes_the_profile_and_all_its_rows_only(home):
    with ProfileStore() as store:
        sam = store.create("Sam")
    fill(DEFAULT_PROFILE_ID, 1, "happy")
    fill(sam.id, 2, "sad")

    with ProfileStore() as store:
        store.delete(sam.id)
        assert [profile.id for profile in store.profiles()] == [DEFAULT_PROFILE_ID]
        with pytest.raises(ProfileError, match="cannot be deleted"):
            store.delete(DEFAULT_PROFILE_ID)
        replacement = store.create("Sam")
    assert replacement.id != sam.id  # ids are never reused, so a stale selection cannot see new data

    with open_database() as database:
        for table in ("recommend_feedback", "recommend_plays", "mood_history", "saved_playlists", "iso_checkins"):
            owners = {row[0] for row in database.query(f"SELECT profile_id FROM {table}")}
            assert owners == {DEFAULT_PROFILE_ID}, table
        assert len(database.query("SELECT * FROM saved_playlist_songs")) == 1


def test_clear_empties_a_profile_but_keeps_it(home):
    fill(DEFAULT_PROFILE_ID, 1, "happy")
    with ProfileStore() as store:
        store.clear(DEFAULT_PROFILE_ID)
        export = store.export(DEFAULT_PROFILE_ID)
    assert [profile.id for profile in ProfileStore().profiles()] == [DEFAULT_PROFILE_ID]
    assert all(export[key] == [] for key in ("moods", "plays", "feedback", "saved_playlists", "iso_checkins"))


def test_settings_are_a_json_slot_per_profile(home):
    with ProfileStore() as store:
        sam = store.create("Sam")
        store.update_settings(sam.id, {"face_calibration": {"happy": 0.1}})
        store.update_settings(sam.id, {"theme": "dark"})
        assert store.get(sam.id).settings == {"face_calibration": {"happy": 0.1}, "theme": "dark"}
        assert store.get(DEFAULT_PROFILE_ID).settings == {}


def test_the_export_holds_everything_of_the_profile(home):
    with ProfileStore() as store:
        sam = store.create("Sam")
    fill(sam.id, 2, "sad")
    fill(DEFAULT_PROFILE_ID, 1, "happy")
    with FeedbackStore(profile_id=sam.id) as store:
        store.record_feedback(3, SKIP, at=2000.0)

    with ProfileStore() as store:
        exported = json.loads(store.export_json(sam.id, now=0.0))

    assert exported["format"] == EXPORT_FORMAT and exported["exported_at"] == "1970-01-01T00:00:00+00:00"
    assert exported["profile"]["name"] == "Sam"
    assert [(row["music_id"], row["action"]) for row in exported["feedback"]] == [(2, "like"), (3, "skip")]
    assert [row["label"] for row in exported["moods"]] == ["sad"]
    assert exported["moods"][0]["probabilities"] == [0, 0, 0, 0, 1, 0, 0]
    assert [row["music_id"] for row in exported["plays"]] == [2]
    assert exported["saved_playlists"][0]["songs"] == [
        {"position": 1, "music_id": 2, "title": "T", "artist": "A", "spotify_id": None}]
    assert exported["iso_checkins"][0]["before_label"] == "sad"
