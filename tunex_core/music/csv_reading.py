"""Reading a catalog-side CSV file: its OS errors as one-line ``CatalogError``s, its records with their lines.

Shared by the shipped catalog's reader (``catalog_io``) and the offline build's readers (``build/``).
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tunex_core.music.catalog import CatalogError


@contextmanager
def read_errors_as_catalog_errors(path: Path, *, name: str, expected: str, reading: str) -> Iterator[None]:
    """Reading ``path`` inside this block: a missing file, a folder, bytes that are not UTF-8 or any other
    OS error become a one-line ``CatalogError`` (``{path}: {name} not found``, ``is a folder, expected
    {expected}``, ``cannot read {reading} (…)``). A ``CatalogError`` raised in the block passes unchanged."""
    try:
        yield
    except FileNotFoundError:
        raise CatalogError(f"{path}: {name} not found") from None
    except IsADirectoryError:
        raise CatalogError(f"{path}: is a folder, expected {expected}") from None
    except UnicodeDecodeError as error:
        raise CatalogError(f"{path}: not UTF-8 text ({error.reason} at byte {error.start})") from None
    except OSError as error:
        raise CatalogError(f"{path}: cannot read {reading} ({error.strerror})") from None


def csv_records(reader: Iterator[list[str]], path: Path) -> Iterator[tuple[int, list[str]]]:
    """Each record of the ``csv.reader`` ``reader`` that is not blank, with its line number in ``path``; CSV that
    cannot be parsed raises ``CatalogError`` naming the line."""
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            raise CatalogError(f"{path}: line {reader.line_num}: unreadable CSV ({error})") from None
        if any(field.strip() for field in fields):
            yield reader.line_num, fields
