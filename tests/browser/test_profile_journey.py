"""End-to-end: pick a profile, read a mood, save a playlist, and find both in that profile's journal."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import exception_count, open_from_sidebar, save_tall_screenshot, wait_for_app_idle

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PROFILE = "Robin"
PLAYLIST = "Robin calm evening"


def test_profile_mood_saved_playlist_and_journal(app_page, streamlit_server, tmp_path):
    page = app_page
    main = page.locator('[data-testid="stMain"]')
    sidebar = page.locator('[data-testid="stSidebar"]')

    # Pick a profile: create it in the sidebar; it becomes the selected one.
    sidebar.get_by_text("New profile").click()
    sidebar.get_by_label("Name").fill(PROFILE)
    sidebar.get_by_role("button", name="Create profile").click()
    wait_for_app_idle(page)
    expect(sidebar.get_by_role("combobox", name="Profile")).to_have_value(PROFILE, timeout=30_000)

    # Read a mood with Home's manual picker.
    main.locator('[data-testid="stRadio"]').get_by_text("Sad", exact=False).click()
    wait_for_app_idle(page)
    main.get_by_role("button", name="Use this mood").click()
    wait_for_app_idle(page)
    sidebar.get_by_text(re.compile("your pick on Home")).wait_for(timeout=30_000)

    # Save the playlist under a name.
    open_from_sidebar(page, "Playlist", "playlist")
    expect(main.get_by_role("link", name="Open in Spotify")).to_have_count(10, timeout=60_000)
    name_box = main.get_by_label("Playlist name")
    name_box.fill(PLAYLIST)
    name_box.press("Enter")
    wait_for_app_idle(page)
    main.get_by_role("button", name="Save playlist").click()
    wait_for_app_idle(page)
    main.get_by_text(re.compile(f"Saved “{PLAYLIST}”")).wait_for(timeout=30_000)
    expect(main.get_by_role("button", name=re.compile("M3U"))).to_be_visible()
    assert exception_count(page) == 0

    # The journal of this profile shows the mood and the saved playlist.
    open_from_sidebar(page, "Journal", "journal")
    main.get_by_text(re.compile(f"Profile {PROFILE}")).wait_for(timeout=30_000)
    moods = main.locator('[data-testid="stMetric"]').filter(has_text="Moods recorded")
    expect(moods).to_contain_text("1")
    main.locator('[data-testid="stPlotlyChart"]').first.wait_for(timeout=60_000)
    save_tall_screenshot(page, "journey-journal")
    main.get_by_role("tab", name=re.compile(r"Saved playlists \(1\)")).click()
    expect(main.get_by_role("combobox", name="Saved playlist")).to_have_value(re.compile(PLAYLIST), timeout=30_000)
    with page.expect_download() as m3u:
        main.get_by_role("button", name=re.compile("M3U")).first.click()
    assert m3u.value.suggested_filename.endswith(".m3u8")
    playlist_file = Path(m3u.value.path()).read_text(encoding="utf-8")
    assert playlist_file.startswith("#EXTM3U\n") and playlist_file.count("https://open.spotify.com/") == 10
    assert exception_count(page) == 0
    save_tall_screenshot(page, "journey-saved-playlist")

    # Everything the profile holds, as JSON.
    main.get_by_role("tab", name="Your data").click()
    with page.expect_download() as export:
        main.get_by_role("button", name=re.compile("Download everything")).click()
    export_file = tmp_path / export.value.suggested_filename  # Playwright keeps downloads under a bare hash
    export.value.save_as(export_file)
    exported = json.loads(export_file.read_text(encoding="utf-8"))
    assert exported["profile"]["name"] == PROFILE
    assert [mood["label"] for mood in exported["moods"]] == ["sad"]
    assert [playlist["name"] for playlist in exported["saved_playlists"]] == [PLAYLIST]

    # The address names the profile, so reloading the page (a new Streamlit session) keeps it.
    assert re.search(r"/journal\?profile=\d+$", page.url), page.url
    page.reload(wait_until="domcontentloaded")
    wait_for_app_idle(page, "journal")
    expect(sidebar.get_by_role("combobox", name="Profile")).to_have_value(PROFILE, timeout=30_000)
    main.get_by_text(re.compile(f"Profile {PROFILE}")).wait_for(timeout=30_000)
    # The reload dropped the session mood; Robin's last one is a click away.
    sidebar.get_by_role("button", name=re.compile(r"Use my last mood: .*Sad \(")).click()
    wait_for_app_idle(page)
    sidebar.get_by_text(re.compile("your pick on Home")).wait_for(timeout=30_000)
    assert exception_count(page) == 0

    # The default profile's journal does not have Robin's playlist.
    sidebar.get_by_role("combobox", name="Profile").click()
    page.get_by_role("option", name="Default").click()
    wait_for_app_idle(page)
    main.get_by_text(re.compile("Profile Default")).wait_for(timeout=30_000)
    expect(main.get_by_role("tab", name=re.compile(r"Saved playlists \(0\)"))).to_be_visible()
    assert exception_count(page) == 0
    assert "profile=" not in page.url

    # Restore the export (as on another computer): a new profile with Robin's playlist, selected at once.
    main.get_by_role("tab", name="Your data").click()
    main.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(export_file)
    main.get_by_text(re.compile(f"“{PROFILE}”, exported .*: 1 mood")).wait_for(timeout=30_000)
    expect(main.get_by_label("Name of the new profile")).to_have_value(f"{PROFILE} (2)")
    main.get_by_role("button", name="Import", exact=True).click()
    wait_for_app_idle(page)
    expect(sidebar.get_by_role("combobox", name="Profile")).to_have_value(f"{PROFILE} (2)", timeout=30_000)
    expect(main.get_by_role("tab", name=re.compile(r"Saved playlists \(1\)"))).to_be_visible()
    main.get_by_text(re.compile(f"Imported “{PROFILE} \\(2\\)”")).wait_for(timeout=30_000)
    assert exception_count(page) == 0
    save_tall_screenshot(page, "journey-restored-profile")
