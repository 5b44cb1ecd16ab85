"""The Journal page (AppTest): empty, with a known history, saved playlists with exports, the profile's data."""

from __future__ import annotations

import json
import time
from datetime import date, datetime, timedelta

from streamlit.testing.v1 import AppTest

from tunex_core.markup import escape_markdown
from tunex_core.mood import Mood
from tunex_core.music.feedback import LIKE, SKIP, FeedbackStore
from tunex_core.paths import PROJECT_ROOT
from tunex_core.personal.checkins import CheckinStore
from tunex_core.personal.playlists import SavedPlaylistStore, SavedSong
from tunex_core.personal.profiles import ProfileStore
from tunex_core.storage import DEFAULT_PROFILE_ID, open_database

PAGE = str(PROJECT_ROOT / "pages" / "journal.py")
HOUR = 3600.0


def journal(profile_id: int = DEFAULT_PROFILE_ID) -> AppTest:
    app = AppTest.from_file(PAGE, default_timeout=60)
    app.session_state["profile_id"] = profile_id
    return app


def downloads(app: AppTest) -> dict[str, object]:
    return {element.proto.label: element for element in app.get("download_button")}


def test_an_empty_journal_explains_where_moods_come_from(isolated_home):
    app = journal().run()

    assert not app.exception
    infos = " ".join(element.value for element in app.info)
    assert "No moods in this period" in infos and "No saved playlists yet" in infos
    assert "No finished check-ins yet" in " ".join(element.value for element in app.markdown)


def test_the_journal_shows_a_known_history(isolated_home):
    now = time.time()
    with FeedbackStore() as store:
        for hours_ago, emotion in ((1, "sad"), (2, "sad"), (30, "happy"), (60, "neutral")):
            store.record_mood(Mood.from_emotion(emotion), at=now - hours_ago * HOUR)
        store.record_play(1, Mood.from_emotion("sad"), at=now - HOUR)
        store.record_feedback(1, LIKE, at=now - HOUR)
        store.record_feedback(2, SKIP, at=now - 2 * HOUR)
        store.record_mood(Mood.from_emotion("angry"), at=now - 100 * 24 * HOUR)  # outside the last 30 days
    with open_database() as database:
        checkins = CheckinStore(database, DEFAULT_PROFILE_ID)
        checkins.start("one", Mood.from_emotion("sad"), "neutral", (0.469, 0.184), at=now - 3 * HOUR)
        checkins.finish("one", Mood.from_emotion("neutral"), at=now - 2 * HOUR)

    app = journal().run()

    assert not app.exception
    metrics = {metric.label: metric.value for metric in app.metric}
    assert metrics["Moods recorded"] == "4"
    assert metrics["Most often"] == "😢 Sad"
    assert metrics["Finished iso sessions"] == "1" and metrics["Moved toward the target"] == "1 of 1"
    assert len(app.get("plotly_chart")) == 4  # timeline, emotions per day, calendar, iso
    tables = [element.value for element in app.dataframe]
    latest = tables[0]
    assert list(latest["mood"][:2]) == ["😢 Sad", "😢 Sad"] and len(latest) == 4
    ratings = next(table for table in tables if "👍 likes" in table.columns)
    assert list(ratings["👍 likes"]) == [1, 0] and list(ratings["👎 skips"]) == [0, 1]

    app.radio(key="journal_period").set_value("Everything").run()
    assert {metric.label: metric.value for metric in app.metric}["Moods recorded"] == "5"
    app.radio(key="journal_grouping").set_value("week").run()
    assert not app.exception


def test_saved_playlists_open_export_and_delete(isolated_home):
    with open_database() as database:
        SavedPlaylistStore(database, DEFAULT_PROFILE_ID).save(
            "Calm down", [SavedSong(11, "Hello", "Adele", "4sPmO7WMQUAf45kwMOtONw"), SavedSong(12, "Other", "B")],
            mode="iso", mood_label="sad", target_label="neutral")

    app = journal().run()

    assert not app.exception
    assert app.selectbox(key="journal_playlist").value.name == "Calm down"
    table = next(element.value for element in app.dataframe if "listen" in element.value.columns)
    assert list(table["listen"]) == ["https://open.spotify.com/track/4sPmO7WMQUAf45kwMOtONw",
                                     "https://open.spotify.com/search/Other%20B"]
    assert {"⬇️ M3U (Spotify links)", "⬇️ CSV", "⬇️ Plain text"} <= set(downloads(app))

    assert app.button(key="journal_delete_playlist").disabled  # only after ticking "Delete it?"
    playlist_id = app.selectbox(key="journal_playlist").value.id
    app.checkbox(key=f"journal_confirm_playlist_{playlist_id}").check().run()
    app.button(key="journal_delete_playlist").click().run()
    assert not app.exception
    assert "Deleted the playlist" in app.success[0].value
    with open_database() as database:
        assert SavedPlaylistStore(database, DEFAULT_PROFILE_ID).playlists() == ()


def test_your_data_exports_renames_and_deletes_only_after_confirmation(isolated_home):
    with ProfileStore() as store:
        sam = store.create("Sam")
    with FeedbackStore(profile_id=sam.id) as store:
        store.record_feedback(5, LIKE)
        store.record_mood(Mood.from_emotion("happy"))

    app = journal(sam.id).run()
    assert not app.exception
    assert "⬇️ Download everything (JSON)" in downloads(app)
    assert app.code[0].value == str(isolated_home / "tunex.sqlite3")  # as it is: no markdown escapes in a path
    clear = app.button(key="journal_clear")
    assert clear.disabled  # nothing is deleted without the confirmation box

    app.text_input(key=f"journal_new_name_{sam.id}").set_value("Samantha")
    app.button(key="journal_rename").click().run()
    assert ProfileStore().get(sam.id).name == "Samantha"

    app.checkbox(key="journal_confirm_clear").check().run()
    app.button(key="journal_clear").click().run()
    assert not app.exception
    with FeedbackStore(profile_id=sam.id) as store:
        assert not store.adjustments() and store.recent_moods() == ()

    app.checkbox(key="journal_confirm_delete").check().run()
    app.button(key="journal_delete_profile").click().run()
    assert not app.exception
    assert app.session_state["profile_id"] == DEFAULT_PROFILE_ID
    assert [profile.id for profile in ProfileStore().profiles()] == [DEFAULT_PROFILE_ID]


def test_the_last_seven_days_are_seven_calendar_days(isolated_home):
    first_day = datetime.combine(date.today() - timedelta(days=6), datetime.min.time()).timestamp()
    with FeedbackStore() as store:
        store.record_mood(Mood.from_emotion("sad"), at=first_day - 60)  # 23:59 the day before: outside
        store.record_mood(Mood.from_emotion("happy"), at=first_day + 60)  # 00:01 of the first day: inside
    app = journal().run()
    app.radio(key="journal_period").set_value("Last 7 days").run()

    metrics = {metric.label: metric.value for metric in app.metric}
    assert metrics["Moods recorded"] == "1" and metrics["Days with moods"] == "1"
    assert metrics["Most often"] == "😄 Happy"


def test_a_waiting_export_is_read_once_not_on_every_rerun(isolated_home, monkeypatch):
    from tunex_core.personal import profile_import

    reads = []
    real_read = profile_import.read_profile_export
    monkeypatch.setattr(profile_import, "read_profile_export", lambda data: reads.append(1) or real_read(data))
    exported = (PROJECT_ROOT / "tests" / "fixtures" / "profile_export_v1.json").read_bytes()
    app = journal().run()
    app.file_uploader(key="journal_import_file_0").upload("tunex-Robin.json", exported, "application/json").run()
    app.radio(key="journal_period").set_value("Everything").run()
    app.radio(key="journal_period").set_value("Last 7 days").run()

    assert not app.exception and len(reads) == 1
    assert app.text_input(key="journal_import_name_0").value == "Robin"


def test_the_json_export_is_the_profiles_data(isolated_home):
    with FeedbackStore() as store:
        store.record_feedback(5, LIKE, at=1000.0)
    with ProfileStore() as store:
        exported = json.loads(store.export_json(DEFAULT_PROFILE_ID))
    assert exported["feedback"] == [{"created_at": 1000.0, "music_id": 5, "action": "like"}]


def test_an_export_is_restored_as_a_new_profile_and_selected(isolated_home):
    exported = (PROJECT_ROOT / "tests" / "fixtures" / "profile_export_v1.json").read_bytes()
    app = journal().run()
    app.file_uploader(key="journal_import_file_0").upload("tunex-Robin.json", exported, "application/json").run()

    assert not app.exception
    assert "“Robin”, exported 28 Nov 2025: 3 moods, 2 songs played" in " ".join(info.value for info in app.info)
    assert app.text_input(key="journal_import_name_0").value == "Robin"
    app.button(key="journal_import").click().run()

    assert not app.exception
    robin = next(profile for profile in ProfileStore().profiles() if profile.name == "Robin")
    assert app.session_state["profile_id"] == robin.id
    assert escape_markdown("Imported “Robin”: 3 moods") in app.success[0].value
    assert "Everything TuneX keeps about **Robin**" in " ".join(markdown.value for markdown in app.markdown)
    assert app.radio(key="journal_period").value == "Everything"  # the restored moods are from 2025
    assert {metric.label: metric.value for metric in app.metric}["Moods recorded"] == "3"
    assert app.file_uploader(key="journal_import_file_1").value is None  # a fresh picker, nothing to import twice

    app.file_uploader(key="journal_import_file_1").upload("again.json", exported, "application/json").run()
    assert app.text_input(key="journal_import_name_1").value == "Robin (2)"
    app.text_input(key="journal_import_name_1").set_value("robin")
    app.button(key="journal_import").click().run()
    assert not app.exception
    assert escape_markdown("Nothing was imported: there is already a profile called 'robin'") in app.warning[0].value
    assert [profile.name for profile in ProfileStore().profiles()] == ["Default", "Robin"]


def test_a_file_that_is_not_an_export_is_refused_with_the_reason(isolated_home):
    app = journal().run()
    document = json.loads((PROJECT_ROOT / "tests" / "fixtures" / "profile_export_v1.json").read_text(encoding="utf-8"))
    document["moods"][1]["label"] = "joy"
    app.file_uploader(key="journal_import_file_0").upload("edited.json", json.dumps(document).encode(),
                                                          "application/json").run()
    assert not app.exception
    assert "This file cannot be imported: moods\\[1\\]\\.label must be one of angry" in app.error[0].value
    assert "journal_import" not in {button.key for button in app.button}
    assert [profile.name for profile in ProfileStore().profiles()] == ["Default"]
