"""Sub-commands of ``python -m tunex_core``; each module defines ``register(subparsers)``.

The helpers here are shared by the command modules: one ``error:`` line, the store's warnings, and the
options several commands share.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def fail(message: str) -> int:
    """Print ``error: message`` on stderr and return the exit status for a command that cannot do its job (2)."""
    print(f"error: {message}", file=sys.stderr)
    return 2


def print_storage_warnings() -> None:
    """One ``warning:`` line on stderr per notice of the store (a damaged file moved aside, a temporary store)."""
    from tunex_core.storage import storage_status

    for notice in storage_status().notices:
        print(f"warning: {notice}", file=sys.stderr)


# Options that several commands share, spelt once.

def add_command_with_actions(subparsers: argparse._SubParsersAction, name: str, *, help_text: str,
                             description: str) -> argparse._SubParsersAction:
    """Add the command ``name`` whose work is one of several actions (``catalog info``); return its actions."""
    parser = subparsers.add_parser(name, help=help_text, description=description)
    return parser.add_subparsers(dest=f"{name}_action", required=True, metavar="ACTION")


def add_json_option(parser: argparse.ArgumentParser, *, last_line: bool = False) -> None:
    """``--json``: print one JSON object (``last_line``: as the last line, after any progress)."""
    parser.add_argument("--json", action="store_true",
                        help="print one JSON object as the last line" if last_line else "print one JSON object")


def add_profile_option(parser: argparse.ArgumentParser, help_text: str = "the profile's name or id") -> None:
    """``--profile``: a profile's name or id (None: the default profile)."""
    parser.add_argument("--profile", default=None, help=help_text)


def add_votes_option(parser: argparse.ArgumentParser, help_text: str) -> None:
    """``--votes``: FER+ crowd votes aligned with ``--data``; ``help_text`` says what the command does with them."""
    parser.add_argument("--votes", default=None, metavar="FERPLUS_NPZ", help=help_text)


def add_photo_options(parser: argparse.ArgumentParser, *, photos_help: str, labels_help: str,
                      required: bool = False) -> None:
    """``--photos DIR`` and ``--labels CSV``: a labelled set of real photos."""
    parser.add_argument("--photos", required=required, default=None, metavar="DIR", help=photos_help)
    parser.add_argument("--labels", required=required, default=None, metavar="CSV", help=labels_help)


def add_shipped_model_options(parser: argparse.ArgumentParser,
                              models_dir_help: str = "the shipped model's folder (default: the project's models/)"
                              ) -> None:
    """``--data`` (FER-2013 with both held-out splits) and ``--models-dir``, for the commands that write models/."""
    parser.add_argument("--data", required=True, help="FER-2013 with PublicTest and PrivateTest")
    add_models_dir_option(parser, models_dir_help)


def add_models_dir_option(parser: argparse.ArgumentParser,
                          models_dir_help: str = "the shipped model's folder (default: the project's models/)"
                          ) -> None:
    """``--models-dir``: the shipped model's folder; read it with ``models_dir_of``."""
    parser.add_argument("--models-dir", default=None, help=models_dir_help)


def models_dir_of(arguments: argparse.Namespace) -> Path:
    """The folder ``--models-dir`` names, else the project's ``models/``."""
    from tunex_core.paths import MODELS_DIR

    return Path(arguments.models_dir) if arguments.models_dir else MODELS_DIR
