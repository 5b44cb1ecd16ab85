"""Command-line entry point.

Each module in ``tunex_core.commands`` contributes sub-commands through a
``register(subparsers)`` function. Command modules import heavy libraries
(TensorFlow, OpenCV) inside their handlers only, so commands that do not need
them (``recommend``, ``spotify``) start in well under a second.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil

import tunex_core.commands


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser with every registered sub-command."""
    parser = argparse.ArgumentParser(
        prog="python -m tunex_core",
        description="TuneX: facial-expression emotion recognition and mood-based music.",
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module_info in sorted(pkgutil.iter_modules(tunex_core.commands.__path__),
                              key=lambda info: info.name):
        module = importlib.import_module(f"tunex_core.commands.{module_info.name}")
        module.register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Parse ``argv`` and run the chosen command; return its exit status."""
    parser = build_parser()
    arguments = parser.parse_args(argv)
    return int(arguments.handler(arguments) or 0)
