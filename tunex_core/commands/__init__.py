"""Sub-commands of ``python -m tunex_core``; each module defines ``register(subparsers)``.

The helpers here are shared by the command modules: one ``error:`` line, and the store's warnings.
"""

from __future__ import annotations

import sys


def fail(message: str) -> int:
    """Print ``error: message`` on stderr and return the exit status for a command that cannot do its job (2)."""
    print(f"error: {message}", file=sys.stderr)
    return 2


def print_storage_warnings() -> None:
    """One ``warning:`` line on stderr per notice of the store (a damaged file moved aside, a temporary store)."""
    from tunex_core.storage import storage_status

    for notice in storage_status().notices:
        print(f"warning: {notice}", file=sys.stderr)
