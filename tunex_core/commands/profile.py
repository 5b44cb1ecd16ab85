"""``python -m tunex_core profile``: list profiles, back one up as JSON, restore a backup as a new profile.

Examples::

    python -m tunex_core profile list                       # name, moods and saved playlists of each
    python -m tunex_core profile export Robin > robin.json  # the Journal's "Download everything (JSON)"
    python -m tunex_core profile export 2 --out robin.json
    python -m tunex_core profile import robin.json [--name "Robin (laptop)"]

``export`` takes a profile's name (any case) or id. ``import`` checks the whole file first and adds
it as a new profile (named as in the file, or "Robin (2)" when that name is taken), like the
Journal page's *Restore a profile from an export*. Problems print one ``error:`` line and exit 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from tunex_core.commands import add_command_with_actions, add_json_option, fail, print_storage_warnings


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``profile`` sub-command."""
    actions = add_command_with_actions(
        subparsers, "profile", help_text="list profiles, export one as JSON, import an export",
        description="List the local profiles, back one up as JSON, or restore a backup.")
    listing = actions.add_parser("list", help="every profile with its number of moods and saved playlists")
    add_json_option(listing)
    listing.set_defaults(handler=run_list)
    export = actions.add_parser("export", help="everything a profile holds, as JSON")
    export.add_argument("profile", metavar="PROFILE", help="the profile's name or id")
    export.add_argument("--out", metavar="FILE", help="write to FILE instead of printing")
    export.set_defaults(handler=run_export)
    restore = actions.add_parser("import", help="add an export as a new profile")
    restore.add_argument("file", metavar="FILE", help="a JSON file made by 'profile export' or the Journal page")
    restore.add_argument("--name", help="the new profile's name (default: the one in the file, made unique)")
    restore.set_defaults(handler=run_import)


def run_list(arguments: argparse.Namespace) -> int:
    """Handle ``profile list``."""
    from tunex_core.personal.profiles import ProfileStore
    from tunex_core.storage import DatabaseBusyError

    try:
        with ProfileStore() as store:
            rows = [{"id": profile.id, "name": profile.name, **store.counts(profile.id)}
                    for profile in store.profiles()]
    except DatabaseBusyError as error:
        return fail(str(error))
    print_storage_warnings()
    if arguments.json:
        print(json.dumps({"profiles": rows}, ensure_ascii=False))
        return 0
    width = max(len(row["name"]) for row in rows)
    print(f"{'id':>4}  {'name':<{width}}  {'moods':>6}  {'saved playlists':>15}")
    for row in rows:
        print(f"{row['id']:>4}  {row['name']:<{width}}  {row['moods']:>6}  {row['saved_playlists']:>15}")
    return 0


def run_export(arguments: argparse.Namespace) -> int:
    """Handle ``profile export``: the JSON on stdout, or in ``--out``."""
    from tunex_core.files import write_text_atomically
    from tunex_core.personal.profiles import ProfileError, ProfileStore
    from tunex_core.storage import DatabaseBusyError

    try:
        with ProfileStore() as store:
            profile = store.find(arguments.profile)
            if profile is None:
                names = ", ".join(f"{known.name} ({known.id})" for known in store.profiles())
                return fail(f"no profile called or numbered {arguments.profile!r}; the profiles are: {names}")
            text = store.export_json(profile.id)
    except (DatabaseBusyError, ProfileError) as error:
        return fail(str(error))
    print_storage_warnings()
    if arguments.out is None:
        print(text)
        return 0
    try:
        write_text_atomically(Path(arguments.out), text + "\n")  # an interrupted export leaves no half backup
    except OSError as error:
        return fail(f"{arguments.out}: {error.strerror or error}")
    print(f"exported {profile.name!r} to {arguments.out}", file=sys.stderr)
    return 0


def run_import(arguments: argparse.Namespace) -> int:
    """Handle ``profile import``."""
    from tunex_core.files import FileReadError, read_limited
    from tunex_core.personal.profile_import import MAX_IMPORT_BYTES, import_profile, read_profile_export
    from tunex_core.personal.profiles import ProfileError, ProfileStore
    from tunex_core.storage import DatabaseBusyError

    try:
        data = read_limited(arguments.file, MAX_IMPORT_BYTES, what="a TuneX export (JSON)")
    except FileReadError as error:
        return fail(f"{arguments.file}: {error}")
    try:
        export = read_profile_export(data)
        with ProfileStore() as store:
            profile = import_profile(store, export, arguments.name)
    except (ProfileError, DatabaseBusyError) as error:
        return fail(f"{arguments.file}: {error}")
    print_storage_warnings()
    if profile is None:
        print("warning: the database is locked by another program; the import waits in memory and is lost "
              "when this command ends: run it again later", file=sys.stderr)
        return 2
    print(f"imported {profile.name!r} (id {profile.id}): {export.summary}")
    return 0
