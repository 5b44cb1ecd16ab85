"""Offline builds: the song catalog (PMEmo cleaning, Spotify tables, merge, mapping) and the song-emotion model."""
