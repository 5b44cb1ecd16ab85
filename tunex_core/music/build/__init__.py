"""The catalog build: PMEmo cleaning, the Spotify tables, the merge and the features-to-plane mapping (offline only)."""
