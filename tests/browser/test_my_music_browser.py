"""End-to-end, with the network off: add a folder of synthesised songs on My music and upload one more, see
them on the Song map, and hear one play in a playlist (the page's ``<audio>`` element plays). Every request that would leave
127.0.0.1 is refused and recorded; there must be none."""

from __future__ import annotations

import re
from urllib.parse import urlparse

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import exception_count, open_from_sidebar, save_tall_screenshot, wait_for_app_idle
from tests.personal.audio_fixtures import write_tone_song

pytestmark = [pytest.mark.browser, pytest.mark.slow]

IMPORT_SECONDS = 180
LOCAL_HOSTS = {"127.0.0.1", "localhost"}


@pytest.fixture
def offline(app_page):
    """Refuse every request to anywhere but this computer; yields the list of refused URLs."""
    refused: list[str] = []

    def guard(route):
        url = route.request.url
        if urlparse(url).hostname in LOCAL_HOSTS or url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            refused.append(url)
            route.abort("internetdisconnected")

    app_page.context.route("**/*", guard)
    yield refused


def test_own_songs_are_analysed_mapped_and_played_offline(app_page, offline, tmp_path):
    music = tmp_path / "My songs"
    write_tone_song(music / "bright.wav", "bright", title="Bright Test Tone", artist="TuneX Tests")
    write_tone_song(music / "album" / "calm.flac", "calm", seed=1)
    write_tone_song(music / "noise.mp3", "noise", seed=2)
    (music / "not a song.mp3").write_text("just text")
    main = app_page.locator('[data-testid="stMain"]')
    main.locator('[data-testid="stRadio"]').get_by_text("Happy", exact=False).click()  # Home: the session mood
    wait_for_app_idle(app_page)
    main.get_by_role("button", name="Use this mood").click()
    wait_for_app_idle(app_page)

    open_from_sidebar(app_page, "My music", "my_music")
    main.get_by_placeholder("e.g. /home/sam/Music").fill(str(music))
    main.get_by_role("button", name="Add and analyse").click()
    # The progress fragment reruns the page when the import ends; then the folder shows its count.
    main.get_by_text(re.compile(r"3 of 4 songs placed")).wait_for(timeout=IMPORT_SECONDS * 1000)
    wait_for_app_idle(app_page)
    expect(main.locator("audio")).to_have_count(1)  # "Listen": a player for one of the songs
    assert exception_count(app_page) == 0

    upload = write_tone_song(tmp_path / "upload" / "uploaded.ogg", "bright", seed=5)
    main.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(str(upload))
    main.get_by_role("button", name="Analyse the uploaded songs").click()
    main.get_by_text(re.compile(r"Uploaded files — 1 of 1 songs placed")).wait_for(timeout=IMPORT_SECONDS * 1000)
    wait_for_app_idle(app_page)
    assert exception_count(app_page) == 0
    save_tall_screenshot(app_page, "my-music-imported")

    open_from_sidebar(app_page, "Song map", "song_map")
    chart = main.locator('[data-testid="stPlotlyChart"]').first
    chart.wait_for(timeout=60_000)
    expect(chart.locator(".legendtext", has_text="My music (4)")).to_have_count(1, timeout=60_000)
    assert exception_count(app_page) == 0

    open_from_sidebar(app_page, "Playlist", "playlist")
    players = main.locator("audio")
    expect(players).to_have_count(4, timeout=60_000)  # every placed song, each playing from disk
    assert "Bright Test Tone" in main.inner_text()
    player = players.first
    player.scroll_into_view_if_needed()
    player.click()  # a user gesture, so the browser lets the page play sound
    player.evaluate("audio => audio.play()")
    app_page.wait_for_function("audio => !audio.paused && audio.currentTime > 0.5", arg=player.element_handle(),
                               timeout=30_000)
    assert exception_count(app_page) == 0
    save_tall_screenshot(app_page, "my-music-playlist")
    assert offline == []
