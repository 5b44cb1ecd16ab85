"""TuneX core: everything the app does, without Streamlit.

The package is split by concern. Arrows point down only: a part may import the
parts below it and the shared modules, never a part beside or above it.

    commands/, cli, __main__   the CLI (``python -m tunex_core …``): may use every part
       │
       ├── personal/    a listener's own data and music ─────────────────► music/
       ├── training/    training and releasing the emotion model ────────┐ and report/ (metrics.json's schema)
       ├── live/        the live camera session ─────────────────────────┤
       │                                                                 ▼
       ├── vision/      faces and emotions in pictures
       ├── music/       the song catalog, recommendations, Spotify, a song file's sound
       ├── report/      models/metrics.json: its schema, its validation, the model report read from it
       ├── sharing/     serving TuneX to other devices (start.sh --share)
       ▼
    shared (top level): emotions, mood, paths, storage, files, errors, markup

Rules (checked by ``tests/test_architecture.py``):

- ``vision``, ``music``, ``report`` and ``sharing`` import only the shared modules;
- ``training`` and ``live`` import ``vision`` and the shared modules; ``training`` also imports ``report``:
  it writes ``metrics.json``, whose types are defined once, in ``report/metrics_schema``, beside their
  validation (report imports only shared modules, so this adds no cycle; a part of its own for one schema
  module would be a layer for one file, and the top level is full);
- ``personal`` imports ``music`` and the shared modules;
- ``commands`` may import anything in ``tunex_core``; nothing else imports ``commands``;
- nothing in ``tunex_core`` imports Streamlit; the pages in ``pages/`` only call ``tunex_core``;
- every module has a line in the map below, and a module over 400 lines has its reason below that;
- every module has its test module in the mirrored place, ``tests/<part>/test_<module>.py`` (``__main__``
  alone excepted, with its reason, in the test).

Module map (one line each; a new module adds its line):

    __main__                    ``python -m tunex_core``
    cli                         the command line's parser, built from every module of commands/
    emotions                    the seven emotions: order, names, emoji, colours, valence-arousal points
    errors                      exceptions importable without TensorFlow
    files                       bounded reads of user-named files, atomic writes
    markup                      untrusted text made safe inside Streamlit markdown
    mood                        a mood: what the face side hands to the music side
    paths                       every file-system location (one home for paths)
    storage                     the SQLite database: location, schema versions, failing soft
    commands/catalog            ``catalog info``
    commands/evaluate           ``evaluate``: score a model (or an ensemble) on FER-2013
    commands/experiment         ``experiment``: score a candidate and record it beside the others
    commands/music              ``music``: analyse own songs, a profile's music folders
    commands/predict            ``predict``: faces and emotions in image files
    commands/profile            ``profile list / export / import``
    commands/recommend          ``recommend``: songs for a mood
    commands/release            ``release``, ``record-baseline``, ``export``: write the shipped model's folder
    commands/share              ``share``: serve TuneX to the local network over HTTPS
    commands/spotify            ``spotify status / resolve``
    commands/train              ``train``: train the emotion CNN
    live/charts                 the Live page's two charts, drawn as small images
    live/ice                    ICE servers (STUN, TURN) for WebRTC
    live/memory                 handing freed video memory back to the system
    live/session                a live session: its analysis thread, group and driving moods, the hand-off
    live/slots                  how many live sessions are analysed at once, and the analyses they share
    live/smoothing              per-frame probabilities smoothed into a stable mood
    live/tracking               faces followed from frame to frame, each face's mood smoothed on its own
    music/catalog               record types and ``Catalog``, the columnar song catalog
    music/catalog_io            catalog files (CSV, Parquet) and the chorus clips
    music/csv_reading           a catalog-side CSV's OS errors and records, as one-line CatalogErrors
    music/audio/analysis        one song file analysed: valence, arousal, tags, or why it failed
    music/audio/decoding        decoding the analysed excerpt of a song (PyAV)
    music/audio/features        a song excerpt's features (numpy only)
    music/audio/model           the fitted song-emotion model, loaded once
    music/emotion_music         the user-editable emotion-to-genre/keyword mapping
    music/feedback              a profile's plays, likes and skips
    music/playlist_view         what the Playlist page shows per song (player, link, status)
    music/recommend             match and iso playlists on the valence-arousal plane
    music/song_map              the Song map's Plotly figures
    music/title_matching        normalising titles and artists, match scores
    music/track_ids             Spotify track ids and the URLs built from them
    music/build/catalog         rebuild data/ (offline): the build's entry point
    music/build/gradient_boosting  boosted regression trees for the song-emotion model (numpy, offline)
    music/build/cleaning        cleaning rules for PMEmo's titles and artists
    music/build/language        estimating each song's language from its text (offline)
    music/build/mapping         the fitted mapping from Spotify's audio features to the plane
    music/build/merge           merging PMEmo with the Spotify tables
    music/build/music_emotion   reading the labelled music-emotion research sets (Deezer mood, 4Q)
    music/build/placement       the placement fitted on every labelled source
    music/build/placement_features  the placement's features (audio, genre, title sentiment, artist profile)
    music/build/title_words     valence/arousal from title and artist words, fitted on Deezer train
    music/build/song_model      training the song-emotion model (offline): data, cross-validation, command
    music/build/song_model_fit  the song-emotion model's estimators and their choice by grouped CV
    music/build/spotify_tables  reading the public Spotify tables
    music/spotify/cache         Spotify resolutions and searches in SQLite
    music/spotify/client        the bounded HTTP client (timeouts, 429 waits, cool-down)
    music/spotify/config        credentials, endpoints and their messages
    music/spotify/records       statuses, tracks, resolutions, search pages
    music/spotify/redaction     tokens kept out of spotipy's logs
    music/spotify/service       what pages and the CLI call: status, resolution, discovery
    personal/checkins           "how do you feel now?" before and after an iso playlist
    personal/journal            the mood journal's figures
    personal/journal_charts     the mood journal's Plotly figures
    personal/library            a profile's own music: folders, uploads, each song's figures
    personal/library_catalog    own songs as a catalog, alone or beside the shipped one
    personal/library_files      stored paths, printable paths, TuneX's copies of uploaded songs
    personal/library_import     background imports: scan, analyse, keep
    personal/library_scan       finding audio files in a folder, bounded
    personal/library_worker     the process that analyses one song at a time, and its parent's side
    personal/playlists          saved playlists and their exports (M3U, CSV, text)
    personal/profile_import     restoring a profile from its JSON export
    personal/profiles           named local profiles and their data
    personal/upload_budget      how much guests of a shared TuneX may keep on the host's disk
    report/charts               one face's emotion probabilities as a Plotly figure
    report/model_charts         the Model page's Plotly figures
    report/json_checks          checks of decoded JSON values that name the offending key
    report/metrics_schema       ``models/metrics.json``'s typed sections, one definition for writer and reader
    report/metrics_validation   decoded ``metrics.json`` checked against the schema, into a ``ModelReport``
    report/model_report         ``models/metrics.json`` read from disk and shaped for the Model page
    report/real_faces           the model's figures beyond FER-2013's labels (crowd, real photos)
    sharing/access              the access code and the sharing settings
    sharing/addresses           this machine's local-network addresses
    sharing/certificate         the self-signed HTTPS certificate
    training/augment            training-time augmentation, webcam degradations
    training/checkpoints        a run's checkpoints: per-epoch saving, resume protocol, export, averaging
    training/dataset            FER-2013 in its three layouts
    training/evaluation         accuracy, per-class scores, confusion matrix, calibration
    training/experiments        candidates scored the same way, recorded in metrics.json
    training/export             Keras model to LiteRT
    training/ferplus            FER+ crowd votes as soft targets and labels
    training/model_card         the model card's generated section, written from metrics.json
    training/perturb            fixed webcam-like perturbations of a split
    training/photos             scoring the model on labelled real photos
    training/recipes            training choices importable without TensorFlow
    training/release            a training run turned into the shipped model and its metrics
    training/trainer            the training loop: its settings, data pipeline and distillation targets
    vision/calibration          calibration to a person's resting face
    vision/drawing              face boxes and labels drawn on frames
    vision/faces                face detection and FER-style crops
    vision/images               decoding user images safely
    vision/inference            batch inference (LiteRT or Keras), temperature
    vision/model                the CNN architectures, saving and loading
    vision/pipeline             frame in, faces with emotions out
    vision/pool                 a thread-safe pool of per-thread objects

Modules over 400 lines, and why (checked by the same test):

    music/catalog               one columnar type with its validation and every lookup; splitting it
                                would scatter the arrays' invariants
    music/build/cleaning        a table of cleaning rules, each small and tested on PMEmo's real defects
    music/recommend             match and iso share the ranking, diversity and feedback steps
    storage                     the schema, its migrations and the fail-soft paths share one connection logic
"""

__version__ = "0.1.0"
