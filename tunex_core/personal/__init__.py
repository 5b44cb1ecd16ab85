"""A listener's own data: profiles, saved playlists, iso check-ins and the mood journal (no Streamlit)."""
