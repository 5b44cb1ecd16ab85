"""``python -m tunex_core music``: place your own songs by their sound, and keep them in a profile's library.

Examples::

    python -m tunex_core music analyze song.mp3 ~/Music/Album [--json]
    python -m tunex_core music add ~/Music [--profile Sam]      # analyse new and changed songs, remember the folder
    python -m tunex_core music list [--profile Sam] [--json]
    python -m tunex_core music remove ~/Music [--profile Sam]   # forget its songs in TuneX (files stay on disk)

``analyze`` prints one line per file (valence and arousal on the catalog's 0..1 plane, or the reason it
could not be analysed); with ``--json`` the last line is one object
``{"songs": [{"path", "valence", "arousal", "error", ...}, ...]}``. Nothing is stored. Problems with the
command itself print one ``error:`` line and exit 2; a file that cannot be analysed is not an error of
the command.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from tunex_core.commands import add_command_with_actions, add_json_option, add_profile_option, fail, print_storage_warnings

PROGRESS_EVERY_SECONDS = 2.0
# The analysis ``music add`` runs, as "module:function" (see ``personal.library_worker``).
IMPORT_ANALYSER = "tunex_core.music.audio.analysis:analyze_song"


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``music`` sub-command."""
    actions = add_command_with_actions(
        subparsers, "music", help_text="analyse your own songs; add, list and remove music folders",
        description="Place your own songs on the valence-arousal plane by their sound, and keep music folders "
                    "in a profile's library.")
    analyze = actions.add_parser("analyze", help="valence and arousal of audio files and folders (nothing stored)")
    analyze.add_argument("paths", nargs="+", metavar="FILE_OR_FOLDER")
    add_json_option(analyze, last_line=True)
    analyze.set_defaults(handler=run_analyze)
    add = actions.add_parser("add", help="add a folder to a profile's music and analyse its new and changed songs")
    add.add_argument("folder", metavar="FOLDER")
    add_profile_option(add, "the profile's name or id (default: the default profile)")
    add.set_defaults(handler=run_add)
    listing = actions.add_parser("list", help="the folders and songs of a profile's music")
    add_profile_option(listing)
    add_json_option(listing)
    listing.set_defaults(handler=run_list)
    remove = actions.add_parser("remove", help="forget a folder's songs in TuneX (the files stay on disk)")
    remove.add_argument("folder", metavar="FOLDER_OR_ID", help="the folder's path, or its id from 'music list'")
    add_profile_option(remove)
    remove.set_defaults(handler=run_remove)


def _number(value: float | None) -> float | None:
    return None if value is None else round(float(value), 4)


def run_analyze(arguments: argparse.Namespace) -> int:
    """Handle ``music analyze``."""
    from tunex_core.personal.library_files import display_path
    from tunex_core.personal.library_scan import scan_paths

    try:
        from tunex_core.music.audio.analysis import analyze_song
    except ImportError as error:
        return fail(f"the song analysis is not available: {error}")
    scan = scan_paths(arguments.paths)
    for problem in scan.problems:
        print(f"warning: {problem}", file=sys.stderr)
    if not scan.files:
        return fail(f"no audio files found in {', '.join(display_path(path) for path in arguments.paths)}")
    songs = []
    for state in scan.files:
        analysis = analyze_song(state.path)
        song = {"path": display_path(state.path), "valence": _number(analysis.valence),
                "arousal": _number(analysis.arousal), "error": analysis.error,
                "duration_seconds": _number(analysis.duration_seconds), "title": analysis.title,
                "artist": analysis.artist}
        songs.append(song)
        if analysis.error is not None:
            print(f"{song['path']}: error: {analysis.error}")
        else:
            tags = " — ".join(text for text in (analysis.title, analysis.artist) if text)
            print(f"{song['path']}: valence {song['valence']:.2f}, arousal {song['arousal']:.2f}"
                  + (f" ({tags})" if tags else ""))
    if arguments.json:
        print(json.dumps({"songs": songs}, ensure_ascii=False))
    return 0


class UnknownProfileError(LookupError):
    """No profile has the name or number given (the message lists the profiles there are)."""


def _profile(name_or_id: str | None):
    """The profile named or numbered ``name_or_id`` (default profile when None); ``UnknownProfileError`` if none."""
    from tunex_core.personal.profiles import ProfileStore
    from tunex_core.storage import DEFAULT_PROFILE_ID

    with ProfileStore() as store:
        profile = store.get(DEFAULT_PROFILE_ID) if name_or_id is None else store.find(name_or_id)
        if profile is None:
            names = ", ".join(f"{known.name} ({known.id})" for known in store.profiles())
            raise UnknownProfileError(f"no profile called or numbered {name_or_id!r}; the profiles are: {names}")
    return profile


def run_add(arguments: argparse.Namespace) -> int:
    """Handle ``music add``: remember the folder, analyse what is new or changed, report progress on stderr."""
    from tunex_core.personal.library import LibraryStore
    from tunex_core.personal.library_files import LibraryError, display_path
    from tunex_core.personal.library_import import ImportJob
    from tunex_core.storage import DatabaseBusyError

    try:
        profile = _profile(arguments.profile)
        with LibraryStore(profile.id) as store:
            folder = store.add_folder(arguments.folder)
    except (UnknownProfileError, LibraryError, DatabaseBusyError) as error:
        return fail(str(error))
    print_storage_warnings()
    job = ImportJob(profile.id, analyser=IMPORT_ANALYSER)
    job.add_folder(folder.id, folder.path)
    last = 0.0
    try:
        while not job.wait(0.2):
            if time.monotonic() - last >= PROGRESS_EVERY_SECONDS:
                print(job.progress().summary(), file=sys.stderr)
                last = time.monotonic()
    except KeyboardInterrupt:
        job.stop()
        job.wait()
    progress = job.progress()
    for problem in progress.problems:
        print(f"warning: {problem}", file=sys.stderr)
    print(f"{display_path(folder.path)} ({profile.name}): {progress.summary()}")
    return 2 if progress.state == "failed" else 0


def run_list(arguments: argparse.Namespace) -> int:
    """Handle ``music list``."""
    from tunex_core.personal.library import LibraryStore
    from tunex_core.personal.library_files import display_path
    from tunex_core.storage import DatabaseBusyError

    try:
        profile = _profile(arguments.profile)
        with LibraryStore(profile.id) as store:
            folders = store.folders()
            songs = store.songs()
    except (UnknownProfileError, DatabaseBusyError) as error:
        return fail(str(error))
    print_storage_warnings()
    if arguments.json:
        print(json.dumps({"profile": profile.name, "folders": [
            {"id": folder.id, "path": display_path(folder.path), "kind": folder.kind, "songs": folder.songs,
             "analysed": folder.analysed} for folder in folders],
            "songs": [{"path": display_path(song.path), "folder_id": song.folder_id, "music_id": song.music_id,
                       "title": song.display_title, "artist": song.artist, "valence": _number(song.valence),
                       "arousal": _number(song.arousal), "duration_seconds": _number(song.duration_seconds),
                       "error": song.error} for song in songs]}, ensure_ascii=False))
        return 0
    if not folders:
        print(f"{profile.name} has no music yet: add a folder with 'python -m tunex_core music add FOLDER'.")
        return 0
    for folder in folders:
        print(f"[{folder.id}] {folder.label}: {folder.analysed} of {folder.songs} songs placed")
        for song in (song for song in songs if song.folder_id == folder.id):
            where = (f"valence {song.valence:.2f}, arousal {song.arousal:.2f}" if song.placed
                     else f"not placed: {song.error}")
            print(f"    {song.display_title} — {song.display_artist}: {where}")
    return 0


def run_remove(arguments: argparse.Namespace) -> int:
    """Handle ``music remove``: by the folder's path or its id."""
    from pathlib import Path

    from tunex_core.personal.library import LibraryStore
    from tunex_core.personal.library_files import LibraryError
    from tunex_core.storage import DatabaseBusyError

    try:
        profile = _profile(arguments.profile)
        with LibraryStore(profile.id) as store:
            folder = store.folder_by_path(Path(arguments.folder).expanduser())
            if folder is None and arguments.folder.isdecimal():
                folder = store.folder(int(arguments.folder))
            if folder is None:
                known = "; ".join(f"[{known.id}] {known.label}" for known in store.folders()) or "none"
                return fail(f"{arguments.folder!r} is not a folder of {profile.name}'s music (the folders: {known})")
            forgotten = store.remove_folder(folder.id)
    except (UnknownProfileError, LibraryError, DatabaseBusyError) as error:
        return fail(str(error))
    print_storage_warnings()
    songs = f"{forgotten} song{'' if forgotten == 1 else 's'}"
    print(f"removed {folder.label} from {profile.name}'s music: {songs} forgotten (no file was deleted)"
          if folder.kind == "folder" else f"removed the uploaded files from {profile.name}'s music ({songs})")
    return 0
