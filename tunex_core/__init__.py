"""TuneX core: everything the app does, without Streamlit.

The package is split by concern. Arrows point down only: a part may import the
parts below it and the shared modules, never a part beside or above it.

    commands/, cli, __main__   the CLI (``python -m tunex_core …``): may use every part
       │
       ├── personal/    profiles, saved playlists, iso check-ins, journal ──► music/
       │                library (own music: store, scan, import, worker, catalog)
       ├── training/    dataset, trainer, evaluation, photos, release ───┐
       ├── live/        the camera session, smoothing, ICE servers ──────┤
       │                                                                 ▼
       ├── vision/      faces, images, model, inference, pipeline, drawing
       ├── music/       catalog, catalog_io, build/ (the catalog build, the song model), recommend, feedback,
       │                emotion_music, title_matching, song_map, playlist_view, spotify,
       │                audio/ (a song file's valence-arousal: decoding, features, model, analysis)
       ├── report/      model_report, real_faces, model_charts, charts
       ├── sharing/     certificate, access (code, settings), addresses: start.sh --share
       ▼
    shared (top level): emotions, mood, paths, storage, errors, markup

Rules (checked by ``tests/test_architecture.py``):

- ``vision``, ``music``, ``report`` and ``sharing`` import only the shared modules;
- ``training`` and ``live`` import ``vision`` and the shared modules;
- ``personal`` imports ``music`` and the shared modules;
- ``commands`` may import anything in ``tunex_core``; nothing else imports ``commands``;
- nothing in ``tunex_core`` imports Streamlit; the pages in ``pages/`` only call ``tunex_core``.
"""

__version__ = "0.1.0"
