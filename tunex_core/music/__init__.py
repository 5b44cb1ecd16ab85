"""Music: the song catalog (cleaning, build), recommendation, feedback, the emotion-to-music mapping, Spotify."""
