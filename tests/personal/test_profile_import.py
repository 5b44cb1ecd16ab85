"""Restoring a profile from its JSON export: round trip, the version-1 file, names, bad files, a locked store."""

from __future__ import annotations

import json

import pytest

from tests.storage_helpers import LockHolder
from tunex_core.emotions import EMOTION_NAMES
from tunex_core.mood import Mood
from tunex_core.music.feedback import LIKE, FeedbackStore
from tunex_core.paths import PROJECT_ROOT
from tunex_core.personal import profile_import
from tunex_core.personal.checkins import CheckinStore
from tunex_core.personal.journal import daily_summaries, iso_summary, load_history, weekly_summaries
from tunex_core.personal.playlists import SavedPlaylistStore, export_bytes
from tunex_core.personal.profile_import import ProfileImportError, import_profile, read_profile_export
from tunex_core.personal.profiles import MAX_NAME_LENGTH, ProfileError, ProfileStore
from tunex_core.storage import DEFAULT_PROFILE_ID, open_database
from tunex_core.vision.calibration import RestingFaceCalibration

VERSION_1_EXPORT = PROJECT_ROOT / "tests" / "fixtures" / "profile_export_v1.json"


def version_1() -> dict:
    return json.loads(VERSION_1_EXPORT.read_text(encoding="utf-8"))


def comparable(export: dict) -> dict:
    """An export without what an import changes on purpose: the name, the time of export, check-in keys."""
    export = json.loads(json.dumps(export))
    export["profile"].pop("name")
    export.pop("exported_at")
    for checkin in export["iso_checkins"]:
        checkin.pop("session_key")
    return export


def test_an_export_comes_back_whole_as_a_new_profile(home):
    original = version_1()
    with FeedbackStore() as store:  # the default profile's own data stays as it is
        store.record_feedback(7, LIKE, at=1000.0)

    with ProfileStore() as store:
        restored = import_profile(store, read_profile_export(VERSION_1_EXPORT.read_bytes()))
        assert restored is not None and restored.name == "Robin"
        assert comparable(json.loads(store.export_json(restored.id))) == comparable(original)
        assert [(row["music_id"], row["action"]) for row in store.export(DEFAULT_PROFILE_ID)["feedback"]] == [(7, "like")]

    with open_database() as database:
        history = load_history(database, restored.id)
        playlists = SavedPlaylistStore(database, restored.id).playlists()
    assert [mood.label for mood in history.moods] == ["sad", "happy", "neutral"]
    assert [checkin.complete for checkin in history.checkins] == [True, False]
    assert playlists[0].songs[0].artist == "Céline Dion" and playlists[0].description.startswith("Iso 😢 Sad → 😐 Neutral")
    calibration = RestingFaceCalibration.from_dict(dict(restored.settings)["face_calibration"])
    assert calibration.readings == 12
    with FeedbackStore(profile_id=restored.id) as store:
        last = store.recent_moods(limit=1)[0].to_mood()
    assert (last.label, last.source) == ("neutral", "photo (group)")


def test_importing_twice_gives_a_second_profile_with_its_own_checkins(home):
    export = read_profile_export(VERSION_1_EXPORT.read_bytes())
    with ProfileStore() as store:
        first = import_profile(store, export)
        second = import_profile(store, export)
        assert (first.name, second.name) == ("Robin", "Robin (2)")
        assert store.free_name("Robin") == "Robin (3)"
    with open_database() as database:
        keys = {checkin.session_key for profile in (first, second)
                for checkin in CheckinStore(database, profile.id).checkins()}
    assert len(keys) == 4


def test_a_chosen_name_is_used_and_a_taken_one_refused(home):
    export = read_profile_export(VERSION_1_EXPORT.read_bytes())
    with ProfileStore() as store:
        store.create("Sam")
        assert import_profile(store, export, "  Robin   at work ").name == "Robin at work"
        with pytest.raises(ProfileError, match="already a profile called 'sam'"):
            import_profile(store, export, "sam")
        with pytest.raises(ProfileError, match="empty"):
            import_profile(store, export, " ")
        assert [profile.name for profile in store.profiles()] == ["Default", "Robin at work", "Sam"]


def test_free_names_stay_within_the_length_limit(home):
    long_name = "x" * MAX_NAME_LENGTH
    with ProfileStore() as store:
        store.create(long_name)
        assert store.free_name(long_name) == "x" * (MAX_NAME_LENGTH - 4) + " (2)"


def test_a_mood_without_usable_probabilities_keeps_its_place_in_the_journal(home):
    document = version_1()
    document["moods"][2]["probabilities"] = []
    with ProfileStore() as store:
        restored = import_profile(store, read_profile_export(json.dumps(document).encode()))
    with open_database() as database:
        assert len(load_history(database, restored.id).moods) == 3
    with FeedbackStore(profile_id=restored.id) as store:
        assert store.recent_moods(limit=1)[0].to_mood() is None  # "Use my last mood" skips it, as before


def test_a_byte_order_mark_is_accepted(home):
    assert read_profile_export(b"\xef\xbb\xbf" + VERSION_1_EXPORT.read_bytes()).name == "Robin"


def test_the_summary_says_what_the_file_holds():
    assert read_profile_export(VERSION_1_EXPORT.read_bytes()).summary == (
        "3 moods, 2 songs played, 2 likes and skips, 1 saved playlist, 2 iso check-ins, a resting-face calibration")
    document = version_1()
    for key in ("plays", "feedback", "iso_checkins"):
        document[key] = []
    document["moods"] = document["moods"][:1]
    document["profile"]["settings"] = {"face_calibration": None}
    assert read_profile_export(json.dumps(document).encode()).summary == "1 mood, 1 saved playlist"
    document["moods"] = document["saved_playlists"] = []
    assert read_profile_export(json.dumps(document).encode()).summary == (
        "no moods, songs, likes, playlists or check-ins yet")


def edited(change) -> bytes:
    document = version_1()
    change(document)
    return json.dumps(document).encode()


def setter(path: str, value):
    """A change that sets ``path`` ("moods.0.label") in the document to ``value``."""
    *parents, last = [int(part) if part.isdigit() else part for part in path.split(".")]

    def change(document):
        target = document
        for part in parents:
            target = target[part]
        target[last] = value
    return change


BAD_FILES = [
    (b"", "empty"),
    (b"\xff\xfe\x00{", "not text"),
    (b"{'format': 1}", "not valid JSON"),
    (b"[" * 100_000, "not valid JSON"),
    (b'{"format": "tunex-profile-export", "version": 1, "moods": [{"valence": NaN}]}', "not valid JSON"),
    (b"[]", "not a TuneX profile export"),
    (b'{"format": "something else"}', "not a TuneX profile export"),
    (edited(setter("version", 2)), "newer TuneX"),
    (edited(setter("version", "1")), "version"),
    (edited(setter("profile", None)), "profile must be an object"),
    (edited(setter("profile.name", "")), "profile.name: a profile name cannot be empty"),
    (edited(setter("profile.name", "Bad\u0007name")), "control characters"),
    (edited(setter("profile.settings", [])), "profile.settings must be an object"),
    (edited(setter("moods", {})), "moods must be a list"),
    (edited(setter("moods.1", "happy")), r"moods\[1\] must be an object"),
    (edited(setter("moods.1.label", "joy")), r"moods\[1\]\.label must be one of angry"),
    (edited(setter("moods.0.valence", 1.5)), r"moods\[0\]\.valence must be between 0 and 1"),
    (edited(setter("moods.0.arousal", "0.3")), r"moods\[0\]\.arousal must be a number"),
    (edited(setter("moods.0.recorded_at", -5)), r"moods\[0\]\.recorded_at must be a time"),
    (edited(setter("moods.0.recorded_at", 1e20)), r"moods\[0\]\.recorded_at must be a time"),
    (edited(setter("moods.0.recorded_at", 10**400)), r"moods\[0\]\.recorded_at must be a number, not 1000000"),
    (edited(setter("moods.0.source", "")), r"moods\[0\]\.source must be non-empty text"),
    (edited(setter("plays.0.music_id", "101")), r"plays\[0\]\.music_id must be a song number"),
    (edited(setter("plays.0.music_id", True)), r"plays\[0\]\.music_id must be a song number"),
    (edited(setter("plays.0.music_id", 2**70)), r"plays\[0\]\.music_id must be a song number"),
    (edited(setter("plays.0.mood_label", "blue")), r"plays\[0\]\.mood_label"),
    (edited(setter("feedback.0.action", "love")), r"feedback\[0\]\.action must be one of like, skip"),
    (edited(setter("saved_playlists.0.mode", "shuffle")), r"saved_playlists\[0\]\.mode must be one of match, iso"),
    (edited(setter("saved_playlists.0.songs", [])), r"saved_playlists\[0\]\.songs must list 1 to 500 songs"),
    (edited(lambda document: document["saved_playlists"][0]["songs"].extend(
        document["saved_playlists"][0]["songs"][:1] * 499)), r"songs must list 1 to 500 songs"),
    (edited(setter("saved_playlists.0.songs.0.spotify_id", "javascript:alert(1)")),
     r"saved_playlists\[0\]\.songs\[0\]\.spotify_id must be a Spotify track id"),
    (edited(setter("saved_playlists.0.songs.1.title", 7)), r"saved_playlists\[0\]\.songs\[1\]\.title must be non-empty"),
    (edited(setter("saved_playlists.0.songs.1.artist", "a" * 501)), "longer than 500 characters"),
    (edited(lambda document: document["saved_playlists"].append(
        {**document["saved_playlists"][0], "name": document["saved_playlists"][0]["name"].upper()})),
     "two saved playlists are called"),
    (edited(setter("iso_checkins.0.after_at", None)), r"iso_checkins\[0\]: the mood after listening is incomplete"),
    (edited(setter("iso_checkins.1.target_valence", None)), r"iso_checkins\[1\]\.target_valence must be a number"),
]


@pytest.mark.parametrize(("data", "message"), BAD_FILES)
def test_bad_files_are_refused_with_the_reason_and_where(home, data, message):
    with pytest.raises(ProfileImportError, match=message):
        read_profile_export(data)


def test_an_oversized_file_is_refused_before_it_is_parsed(monkeypatch):
    monkeypatch.setattr(profile_import, "MAX_IMPORT_BYTES", 1000)
    with pytest.raises(ProfileImportError, match="the limit is 0 MB"):
        read_profile_export(VERSION_1_EXPORT.read_bytes())


def test_an_import_under_another_programs_lock_waits_and_is_saved_whole(home):
    export = read_profile_export(VERSION_1_EXPORT.read_bytes())
    with ProfileStore():
        pass  # the database file exists
    holder = LockHolder(home / "tunex.sqlite3")
    try:
        with ProfileStore() as store:
            assert import_profile(store, export) is None  # queued, like every write under a lock
            assert [profile.name for profile in store.profiles()] == ["Default"]
    finally:
        holder.release()
    with ProfileStore() as store:  # the next open saves the queue
        robin = next(profile for profile in store.profiles() if profile.name == "Robin")
        assert comparable(store.export(robin.id)) == comparable(version_1())


def test_moods_recorded_by_the_app_pass_the_checks(home):
    with ProfileStore() as store:
        sam = store.create("Sam")
    with FeedbackStore(profile_id=sam.id) as store:
        for probabilities in ([1, 0, 0, 0, 0, 0, 0], [0.2, 0.1, 0.1, 0.2, 0.1, 0.1, 0.2], [0, 1, 0, 0, 0, 0, 0]):
            store.record_mood(Mood.from_probabilities(probabilities, source="live camera"))
    with ProfileStore() as store:
        assert len(read_profile_export(store.export_json(sam.id).encode()).moods) == 3


def places(document, prefix=()):
    """Every (nested) key or index path in ``document``."""
    if isinstance(document, dict):
        items = document.items()
    elif isinstance(document, list):
        items = enumerate(document)
    else:
        return
    for key, value in items:
        yield (*prefix, key)
        yield from places(value, (*prefix, key))


ODD_VALUES = [None, True, 0, -1, 0.5, 1.5, 2**63, 10**30, 1e308, "", " ", "happy", "\u0000", "a" * 600, [], {},
              [1] * 7, ["a"] * 7, 1764000000.0, "4sPmO7WMQUAf45kwMOtONw", "iso", "like"]


def test_a_damaged_export_is_refused_or_imported_into_a_journal_that_works(home):
    """Every place in the version-1 file set to every odd value, one at a time: each file is refused with a
    reason, or imports into a profile whose journal, playlists and last mood all work."""
    outcomes = {"refused": 0, "imported": 0}
    edits = [(place, value) for place in places(version_1()) for value in ODD_VALUES]
    with open_database() as database:
        store = ProfileStore(database=database)
        for number, (place, value) in enumerate(edits):
            document = version_1()
            *parents, last = place
            target = document
            for part in parents:
                target = target[part]
            target[last] = value
            try:
                export = read_profile_export(json.dumps(document).encode())
            except ProfileImportError:
                outcomes["refused"] += 1
                continue
            restored = import_profile(store, export, f"Edit {number}")
            history = load_history(database, restored.id)
            for summaries in (daily_summaries(history.moods), weekly_summaries(history.moods)):
                assert sum(summary.count for summary in summaries) == len(history.moods)
            assert iso_summary(history.checkins).sessions <= len(history.checkins)
            for playlist in SavedPlaylistStore(database, restored.id).playlists():
                assert all(export_bytes(playlist, kind) for kind in ("m3u", "csv", "text"))
            records = FeedbackStore(database=database, profile_id=restored.id).recent_moods(5)
            assert all(mood is None or mood.label in EMOTION_NAMES for mood in (record.to_mood() for record in records))
            outcomes["imported"] += 1
    assert outcomes["refused"] > 1000 and outcomes["imported"] > 1000, outcomes
