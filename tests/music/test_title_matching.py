"""Title/artist normalisation and match scoring."""

from __future__ import annotations

import pytest

from tunex_core.music.title_matching import (
    artist_names,
    match_score,
    normalise_title,
    primary_artist,
    strip_decoration,
    title_credits,
)


@pytest.mark.parametrize(("title", "expected"), [
    ("Hallelujah (The Voice Performance)", "hallelujah"),
    ("Hello - Live at Wembley", "hello"),
    ("Yesterday - Remastered 2009", "yesterday"),
    ("Yesterday - 2009", "yesterday"),
    ("Crazy in Love (feat. JAY-Z)", "crazy in love"),
    ("Crazy In Love feat. Jay-Z", "crazy in love"),
    ("Umbrella [Radio Edit]", "umbrella"),
    ("Café del Mar", "cafe del mar"),
    ("Don’t Stop Me Now", "dont stop me now"),
    ("Don't Stop Me Now!", "dont stop me now"),
    ("(I Can't Get No) Satisfaction", "i cant get no satisfaction"),
    ("Rock & Roll", "rock and roll"),
    ("Smells Like Teen Spirit - Nevermind", "smells like teen spirit nevermind"),
])
def test_normalise_title(title, expected):
    assert normalise_title(title) == expected


def test_strip_decoration_keeps_spelling_for_queries():
    assert strip_decoration("Café del Mar (Energy 52 Remix)") == "Café del Mar"
    assert strip_decoration("(Sittin' On) The Dock of the Bay") == "(Sittin' On) The Dock of the Bay"


@pytest.mark.parametrize(("credit", "names"), [
    ("Beyoncé feat. JAY-Z", ("beyonce", "jay z")),
    ("The Beatles", ("beatles",)),
    ("Simon & Garfunkel", ("simon", "garfunkel")),
    ("Calvin Harris, Rihanna", ("calvin harris", "rihanna")),
    ("Katrina and the Waves", ("katrina", "waves")),
    ("DJ ESCO Featuring Future & Lil Uzi Vert", ("dj esco", "future", "lil uzi vert")),
    ("Clean Bandit ft. Sean Paul", ("clean bandit", "sean paul")),
    ("Feather Weight feat. Ftreeze vs. Vsop", ("feather weight", "ftreeze", "vsop")),
])
def test_artist_names(credit, names):
    assert artist_names(credit) == names


@pytest.mark.parametrize(("title", "credits"), [
    ("Running Back (feat. Lil Wayne)", ("Lil Wayne",)),
    ("Rockabye (feat. Sean Paul & Anne-Marie)", ("Sean Paul & Anne-Marie",)),
    ("Home (with Machine Gun Kelly & Bebe Rexha) - Remix", ("Machine Gun Kelly & Bebe Rexha",)),
    ("Wild Thoughts [ft. Rihanna]", ("Rihanna",)),
    ("Sing Me to Sleep feat. Iselin", ("Iselin",)),
    ("Withering Heights (Remastered 2011)", ()),
    ("(With) Open Arms", ()),
])
def test_title_credits(title, credits):
    assert title_credits(title) == credits


def test_primary_artist_keeps_spelling():
    assert primary_artist("Beyoncé feat. JAY-Z") == "Beyoncé"
    assert primary_artist("Calvin Harris, Rihanna") == "Calvin Harris"


def test_exact_match_beats_live_and_karaoke_versions():
    exact = match_score("Hello", "Adele", "Hello", ["Adele"])
    live = match_score("Hello", "Adele", "Hello - Live at Wembley", ["Adele"])
    karaoke = match_score("Hello", "Adele", "Hello (Karaoke Version)", ["Adele Tribute Band"])

    assert exact.exact and exact.accepted and exact.total == pytest.approx(1.0)
    assert live.accepted and not live.exact and live.total < exact.total
    assert not karaoke.accepted


def test_a_remix_in_the_catalog_prefers_the_remix():
    remix = match_score("Wild Things (NuKid Remix)", "Alessia Cara", "Wild Things - NuKid Remix",
                        ["Alessia Cara", "NuKid"])
    original = match_score("Wild Things (NuKid Remix)", "Alessia Cara", "Wild Things", ["Alessia Cara"])

    assert remix.exact
    assert original.accepted and original.total < remix.total


def test_a_live_catalog_title_is_not_penalised_for_a_live_track():
    assert match_score("Hello - Live", "Adele", "Hello - Live at Wembley", ["Adele"]).penalty == 0.0


@pytest.mark.parametrize(("title", "artist", "candidate_title", "candidate_artists"), [
    ("Hello", "Adele", "Hello Goodbye", ["The Beatles"]),
    ("Hello", "Adele", "Hello", ["Lionel Richie"]),
    ("Happy", "Pharrell Williams", "Happy Together", ["The Turtles"]),
])
def test_near_misses_are_rejected(title, artist, candidate_title, candidate_artists):
    assert not match_score(title, artist, candidate_title, candidate_artists).accepted


def test_small_spelling_differences_are_accepted():
    score = match_score("Dont Stop Me Now", "Queen", "Don't Stop Me Now - Remastered 2011", ["Queen"])
    assert score.accepted and score.exact
    assert match_score("Colour Me Badd", "Colour Me Badd", "Color Me Badd", ["Color Me Badd"]).accepted
